"""The small HTML pages a person's browser shows when a link to a plan (or to HR's figures)
cannot be used.

``download_page(reason, texts, subject="plan")`` is a complete, self-contained HTML document for
one of ``REASONS``: ``invalid`` (the link is not one of ours, or was changed), ``expired``,
``gone`` (the plan was deleted: erased on request or past retention) and ``unavailable``
(storage failed). It says what happened and how to get a fresh link (»Nyt link« on the plan card
in the private chat with Samtaleguide; for ``subject="figures"``, »nøgletal« there again), and
nothing about the document or the conversation: the page is built from fixed texts only, never
from the request, and every text is HTML-escaped all the same.

No scripts, no images, no external resources: one inline stylesheet, allowed by its hash in
``PAGE_CSP`` (the Content-Security-Policy to send with the page). A viewport and a narrow column
make it read well on a phone; it follows the system's light or dark mode.

``texts_for_accept_language(header)``: Danish, or English when the browser's ``Accept-Language``
prefers English to Danish (by q-value; ties and everything else are Danish).
"""

from __future__ import annotations

import base64
import hashlib
import html

from cards.texts import Texts

REASONS = ("invalid", "expired", "gone", "unavailable")
SUBJECTS = ("plan", "figures")

_CSS = (
    ":root{color-scheme:light dark}"
    "*{box-sizing:border-box}"
    "body{margin:0;background:#f4f4f7;color:#1f1f24;"
    'font:1.0625rem/1.55 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}'
    "main{max-width:34rem;margin:0 auto;padding:1.5rem 1rem}"
    ".card{background:#fff;border-radius:12px;padding:1.5rem 1.25rem;"
    "box-shadow:0 1px 3px rgba(0,0,0,.12)}"
    ".brand{margin:0 0 1rem;font-size:.875rem;font-weight:600;color:#5b5fc7}"
    "h1{margin:0 0 .75rem;font-size:1.5rem;line-height:1.25}"
    "h2{margin:1.5rem 0 .5rem;font-size:1.0625rem}"
    "p{margin:0 0 .75rem}"
    "ol{margin:0;padding-left:1.4rem}"
    "li{margin:.35rem 0}"
    ".note{margin:1rem 0 0;font-size:.9375rem;color:#55555f}"
    "@media (prefers-color-scheme:dark){body{background:#1b1b1f;color:#ececf1}"
    ".card{background:#26262c;box-shadow:none}.brand{color:#a6a9ff}.note{color:#b4b4bd}}"
)
_CSS_HASH = base64.b64encode(hashlib.sha256(_CSS.encode("utf-8")).digest()).decode("ascii")

PAGE_CSP = (
    f"default-src 'none'; style-src 'sha256-{_CSS_HASH}'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'; sandbox"
)


def download_page(reason: str, texts: Texts, subject: str = "plan") -> str:
    """The page for ``reason`` (one of ``REASONS``) about a link to ``subject`` (one of
    ``SUBJECTS``) in the language of ``texts``."""
    if subject not in SUBJECTS:
        raise ValueError(f"unknown download subject {subject!r}")
    title, body = _what_happened(reason, texts)
    prefix = "download." if subject == "plan" else "download.figures."
    if subject == "figures" and reason != "gone":
        body = texts.get(f"download.figures.{reason}.body")
    steps = [texts.get(f"{prefix}step{n}") for n in (1, 2, 3)]
    note = texts.get("download.gone.note") if reason == "gone" and subject == "plan" else ""
    e = html.escape
    items = "".join(f"<li>{e(step)}</li>" for step in steps)
    return (
        "<!doctype html>\n"
        f'<html lang="{e(texts.language)}">\n'
        "<head>\n"
        '<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="robots" content="noindex, nofollow">\n'
        '<meta name="referrer" content="no-referrer">\n'
        f"<title>{e(title)} – {e(texts.get('app.name'))}</title>\n"
        f"<style>{_CSS}</style>\n"
        "</head>\n"
        "<body>\n"
        '<main><div class="card">\n'
        f'<p class="brand">{e(texts.get("app.name"))}</p>\n'
        f"<h1>{e(title)}</h1>\n"
        f"<p>{e(body)}</p>\n"
        f"<h2>{e(texts.get('download.fresh'))}</h2>\n"
        f"<ol>{items}</ol>\n"
        + (f'<p class="note">{e(note)}</p>\n' if note else "")
        + "</div></main>\n"
        "</body>\n"
        "</html>\n"
    )


def _what_happened(reason: str, texts: Texts) -> tuple[str, str]:
    if reason == "invalid":
        return texts.get("download.invalid.title"), texts.get("download.invalid.body")
    if reason == "expired":
        return texts.get("download.expired.title"), texts.get("download.expired.body")
    if reason == "gone":
        return texts.get("download.gone.title"), texts.get("download.gone.body")
    if reason == "unavailable":
        return texts.get("download.unavailable.title"), texts.get("download.unavailable.body")
    raise ValueError(f"unknown download page {reason!r}")


def texts_for_accept_language(header: str | None) -> Texts:
    """Danish, unless ``Accept-Language`` ranks English above Danish."""
    best = {"da": 0.0, "en": 0.0}
    for entry in (header or "")[:1000].split(",")[:50]:
        tag, *params = entry.split(";")
        primary = tag.strip().lower().split("-", 1)[0]
        if primary not in best:
            continue
        weight = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value.strip())
                except ValueError:
                    weight = 0.0
                if not 0.0 <= weight <= 1.0:  # also NaN
                    weight = 0.0
        best[primary] = max(best[primary], weight)
    return Texts("en" if best["en"] > best["da"] else "da")
