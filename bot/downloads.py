"""The download route ``GET /documents/{path}``: every link to a plan ends here, for both stores.

A link is ``{PUBLIC_BASE_URL}/documents/{path}?expires=…&sig=…[&filename=…]``, signed by the
document store's ``links`` (``storage.links``). The route answers:

1. The link is checked before anything is looked up, so a refusal says nothing about which
   documents exist:
   - **403** (page ``invalid``): ``expires`` or ``sig`` missing, malformed or given twice, or a
     signature that is not for exactly this path, expiry and filename (a changed path, expiry,
     filename or signature; another secret);
   - **410** (page ``expired``): the signature is right (so the expiry is the one we signed) and
     its time is up.
2. Then the store says how to deliver (``DocumentStore.download``):
   - the local store's bytes: **200** with the document's content type and
     ``Content-Disposition: attachment; filename="…"``;
   - Azure's: **302** to a SAS URL of exactly that blob, read-only, valid for two minutes
     (``REDIRECT_TTL``), on which Blob Storage answers with the same attachment filename and
     content type. The bot never streams the plan in Azure, and Azure's own error pages are
     never reached by a link we made: the SAS is fresh when the browser follows it.
   - **404** (page ``gone``): no such document any more (erased on request, past retention).
   - **503** (page ``unavailable``, ``Retry-After``): the store failed. Never a 500, never a
     traceback.

``GET /figures/noegletal.csv`` (``figures_route``) serves HR's figures the same way: the link
(signed for ``figures/noegletal.csv``, no filename) is checked first (403, 410), then the CSV
file is made from the index there and then and sent (200, ``text/csv``), or 503 when storage
fails; nothing of it is stored. Its pages say how to get a fresh link (»nøgletal« again).

Every refusal is a small, self-contained page (``cards.pages``) in Danish, or English when the
browser's ``Accept-Language`` prefers English; it says how to get a fresh link and names nothing
of the document or the conversation. Every answer carries ``Cache-Control: no-store``,
``X-Content-Type-Options: nosniff``, ``Referrer-Policy: no-referrer``, no framing and no indexing;
pages are ``text/html; charset=utf-8`` with a Content-Security-Policy that allows no scripts
(``cards.pages.PAGE_CSP``) and ``Vary: Accept-Language``. Logs carry the outcome, never a
signature or a SAS URL.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.figures import FIGURES_FILE, FIGURES_PATH
from cards.pages import PAGE_CSP, download_page, texts_for_accept_language
from cards.texts import Texts
from storage.documents import (
    DocumentBytes,
    DocumentNotFound,
    DocumentStore,
    download_filename,
    parse_path,
)
from storage.errors import StorageError
from storage.links import ROUTE, DocumentLinks, LinkCheck

__all__ = ["FIGURES_ROUTE", "ROUTE", "STATUS", "download_route", "figures_route"]

FIGURES_ROUTE = "/figures/{name}"
CSV_TYPE = "text/csv; charset=utf-8"

log = logging.getLogger("samtaleguide.downloads")

STATUS = {"invalid": 403, "expired": 410, "gone": 404, "unavailable": 503}
RETRY_AFTER_SECONDS = 30

_SAFE_HEADERS = {
    "Cache-Control": "no-store",
    "Pragma": "no-cache",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "X-Robots-Tag": "noindex, nofollow",
}
_DOCUMENT_CSP = "default-src 'none'; sandbox"


def download_route(
    store: DocumentStore,
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The handler for ``GET /documents/{path:.+}`` (register with ``ROUTE``)."""

    async def download(request: web.Request) -> web.StreamResponse:
        try:
            return await _download(request, store)
        except Exception:  # never a 500, never a traceback to the browser
            log.exception("document download failed")
            return page(request, "unavailable")

    return download


async def _download(request: web.Request, store: DocumentStore) -> web.StreamResponse:
    path = request.match_info.get("path", "")
    expires = _single(request, "expires")
    sig = _single(request, "sig")
    filenames = request.query.getall("filename", [])
    if expires is None or sig is None or len(filenames) > 1:
        return refused(request, "invalid")
    filename = filenames[0] if filenames else None
    answer = await _checked(request, store.links, path, expires, sig, filename, "plan")
    if answer is not None:
        return answer
    try:
        document = parse_path(path)
        attachment = download_filename(document, filename)
        delivery = await store.download(document.path, filename=attachment)
    except (DocumentNotFound, ValueError):
        return refused(request, "gone")
    except StorageError:
        log.warning("document download failed: storage unavailable")
        return page(request, "unavailable")
    if isinstance(delivery, DocumentBytes):
        log.info("document downloaded", extra={"status": 200})
        return _attachment(delivery.data, document.content_type, attachment)
    log.info("document download redirected", extra={"status": 302})
    return web.Response(
        status=302,
        headers={
            "Location": delivery.url,
            "Content-Security-Policy": _DOCUMENT_CSP,
            **_SAFE_HEADERS,
        },
    )


def figures_route(
    links: DocumentLinks, make_csv: Callable[[Texts], Awaitable[bytes]]
) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    """The handler for ``GET /figures/{name}`` (register with ``FIGURES_ROUTE``): HR's figures
    as a CSV file made by ``make_csv`` in the browser's language, for a checked link."""

    async def download(request: web.Request) -> web.StreamResponse:
        try:
            return await _figures(request, links, make_csv)
        except Exception:  # never a 500, never a traceback to the browser
            log.exception("figures download failed")
            return page(request, "unavailable", "figures")

    return download


async def _figures(
    request: web.Request, links: DocumentLinks, make_csv: Callable[[Texts], Awaitable[bytes]]
) -> web.StreamResponse:
    name = request.match_info.get("name", "")
    expires = _single(request, "expires")
    sig = _single(request, "sig")
    if name != FIGURES_FILE or expires is None or sig is None or "filename" in request.query:
        return refused(request, "invalid", "figures")
    answer = await _checked(request, links, FIGURES_PATH, expires, sig, None, "figures")
    if answer is not None:
        return answer
    try:
        data = await make_csv(texts_for_accept_language(request.headers.get("Accept-Language")))
    except StorageError:
        log.warning("figures could not be made: storage unavailable")
        return page(request, "unavailable", "figures")
    log.info("figures downloaded", extra={"status": 200})
    return _attachment(data, CSV_TYPE, FIGURES_FILE)


async def _checked(
    request: web.Request,
    links: DocumentLinks,
    path: str,
    expires: str,
    sig: str,
    filename: str | None,
    subject: str,
) -> web.Response | None:
    """The page refusing a link that is invalid or expired (or that cannot be checked while
    storage is down); ``None`` for a good link."""
    try:
        check = await links.check(path, expires, sig, filename)
    except StorageError:  # the Azure store reads its key on first use
        log.warning("%s link could not be checked: storage unavailable", subject)
        return page(request, "unavailable", subject)
    if check is LinkCheck.INVALID:
        return refused(request, "invalid", subject)
    if check is LinkCheck.EXPIRED:
        return refused(request, "expired", subject)
    return None


def _attachment(body: bytes, content_type: str, filename: str) -> web.Response:
    return web.Response(
        body=body,
        status=200,
        headers={
            "Content-Type": content_type,
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Content-Security-Policy": _DOCUMENT_CSP,
            **_SAFE_HEADERS,
        },
    )


def refused(request: web.Request, reason: str, subject: str = "plan") -> web.Response:
    log.info("document link refused", extra={"reason": reason, "status": STATUS[reason]})
    return page(request, reason, subject)


def page(request: web.Request, reason: str, subject: str = "plan") -> web.Response:
    """The page for ``reason`` with its status code, in the browser's language."""
    texts = texts_for_accept_language(request.headers.get("Accept-Language"))
    headers = {
        "Content-Type": "text/html; charset=utf-8",
        "Content-Language": texts.language,
        "Content-Security-Policy": PAGE_CSP,
        "Vary": "Accept-Language",
        **_SAFE_HEADERS,
    }
    if reason == "unavailable":
        headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return web.Response(
        status=STATUS[reason],
        body=download_page(reason, texts, subject).encode("utf-8"),
        headers=headers,
    )


def _single(request: web.Request, name: str) -> str | None:
    values = request.query.getall(name, [])
    return values[0] if len(values) == 1 else None
