"""The download route (``bot.downloads``) when its store fails: a short Danish page with 503 and
``Retry-After``, never a 500 or a traceback. A real aiohttp app and a real file store whose
``download`` breaks; the rest of the route is tested through the served app
(``tests/app/test_downloads.py``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

import aiohttp
from aiohttp import web

from bot.downloads import FIGURES_ROUTE, ROUTE, download_route, figures_route
from bot.figures import FIGURES_PATH
from cards.texts import Texts
from storage.document_files import FileDocumentStore
from storage.documents import DocumentBytes, DocumentRedirect
from storage.errors import StorageError
from storage.links import DocumentLinks, LinkSigner

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


# --- HR's figures -------------------------------------------------------------------------------


async def _figures_answer(
    url_of: Callable[[str], Awaitable[str]],
    make: Callable[[Texts], Awaitable[bytes]],
    *,
    language: str = "da",
) -> tuple[int, bytes, dict[str, str]]:
    links = DocumentLinks("http://127.0.0.1:1", SECRET, clock=CLOCK.__call__)
    app = web.Application()
    app.router.add_get(FIGURES_ROUTE, figures_route(links, make))
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    try:
        url = await url_of(f"http://{host}:{port}")
        headers = {"Accept-Language": language}
        async with aiohttp.ClientSession() as http, http.get(url, headers=headers) as response:
            return response.status, await response.read(), dict(response.headers)
    finally:
        await runner.cleanup()


class _Clock:
    now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


CLOCK = _Clock()


def _signed(path: str = FIGURES_PATH, **query: str) -> Callable[[str], Awaitable[str]]:
    async def url(base: str) -> str:
        signed = LinkSigner(SECRET, CLOCK).url(base, path, timedelta(minutes=15), prefix="/")
        return signed + "".join(f"&{k}={v}" for k, v in query.items())

    return url


async def test_the_figures_are_made_when_a_good_link_is_followed() -> None:
    asked: list[str] = []

    async def make(texts: Texts) -> bytes:
        asked.append(texts.language)
        return "\ufeffÅr;Arbejdsplads\r\n".encode()

    status, body, headers = await _figures_answer(_signed(), make, language="en")
    assert (status, asked) == (200, ["en"])
    assert body.decode("utf-8").startswith("\ufeffÅr")
    assert headers["Content-Type"] == "text/csv; charset=utf-8"
    assert headers["Content-Disposition"] == 'attachment; filename="noegletal.csv"'
    assert headers["Cache-Control"] == "no-store"


async def test_a_figures_link_that_is_not_good_makes_nothing() -> None:
    async def make(_: Texts) -> bytes:
        raise AssertionError("nothing is made for a refused link")

    async def plan_link(base: str) -> str:  # a plan's link, taken to the figures' route
        signed = LinkSigner(SECRET, CLOCK).url(base, PATH, timedelta(minutes=15))
        return signed.replace(
            "/documents/conversations/c-0001/plan-v1.pdf", "/figures/noegletal.csv"
        )

    for url in (
        _signed("figures/other.csv"),  # another file
        _signed(filename="x.csv"),  # a filename the link was not signed with
        plan_link,
    ):
        status, body, _ = await _figures_answer(url, make)
        assert status == 403 and "nøgletallene" in body.decode()
    expired = _signed()

    async def later(base: str) -> str:
        url = await expired(base)
        CLOCK.now += 16 * 60
        return url

    try:
        status, body, _ = await _figures_answer(later, make)
    finally:
        CLOCK.now = 1_000_000.0
    assert status == 410 and "Skriv »nøgletal«" in body.decode()


async def test_figures_storage_down_is_a_503_page() -> None:
    async def make(_: Texts) -> bytes:
        raise StorageError("blob storage list failed /secret")

    status, body, headers = await _figures_answer(_signed(), make)
    assert status == 503 and headers["Retry-After"] == "30" and b"/secret" not in body
