"""The download route (``bot.downloads``) when its store fails: a short Danish page with 503 and
``Retry-After``, never a 500 or a traceback. A real aiohttp app and a real file store whose
``download`` breaks; the rest of the route is tested through the served app
(``tests/app/test_downloads.py``)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import aiohttp
from aiohttp import web

from bot.downloads import ROUTE, download_route
from storage.document_files import FileDocumentStore
from storage.documents import DocumentBytes, DocumentRedirect
from storage.errors import StorageError

SECRET = bytes(range(32))
PATH = "conversations/c-0001/plan-v1.pdf"


class BrokenStore(FileDocumentStore):
    def __init__(self, root: Path, error: Exception) -> None:
        super().__init__(root, base_url="http://127.0.0.1:1", link_secret=SECRET)
        self.error = error

    async def download(
        self, path: str, *, filename: str | None = None
    ) -> DocumentBytes | DocumentRedirect:
        raise self.error


async def _answer(store: FileDocumentStore) -> tuple[int, str, dict[str, str]]:
    app = web.Application()
    app.router.add_get(ROUTE, download_route(store))
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        url = (await store.links.signer()).url(f"http://{host}:{port}", PATH, timedelta(minutes=5))
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            return response.status, await response.text(), dict(response.headers)
    finally:
        await runner.cleanup()


async def test_a_failing_store_is_a_503_page_never_a_500(tmp_path: Path) -> None:
    for error in (
        StorageError("blob storage read failed /secret/path"),
        RuntimeError("disk on fire /secret/path"),
    ):
        status, text, headers = await _answer(BrokenStore(tmp_path, error))

        assert status == 503
        assert "<h1>Prøv igen om lidt</h1>" in text
        assert headers["Retry-After"] == "30"
        assert headers["Content-Type"] == "text/html; charset=utf-8"
        assert headers["Cache-Control"] == "no-store"
        assert "/secret/path" not in text and "Traceback" not in text
