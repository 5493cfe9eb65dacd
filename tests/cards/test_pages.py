"""The download pages (``cards.pages``): complete, escaped, scriptless, in both languages."""

from __future__ import annotations

import base64
import hashlib
import re
from html.parser import HTMLParser

import pytest

from cards.pages import PAGE_CSP, REASONS, download_page, texts_for_accept_language
from cards.texts import Texts


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attributes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes += [name for name, _ in attrs]


@pytest.mark.parametrize("language", ["da", "en"])
@pytest.mark.parametrize("reason", REASONS)
def test_every_page_is_complete_and_scriptless(reason: str, language: str) -> None:
    page = download_page(reason, Texts(language))

    parsed = _Tags()
    parsed.feed(page)
    assert set(parsed.tags) <= {"html", "head", "meta", "title", "style", "body", "main", "div"} | {
        "p",
        "h1",
        "h2",
        "ol",
        "li",
    }
    assert not [a for a in parsed.attributes if a.startswith("on") or a in ("src", "href")]
    assert f'<html lang="{language}">' in page
    assert "http" not in page and "url(" not in page and "@import" not in page
    style = re.search(r"<style>(.*?)</style>", page, re.S)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in PAGE_CSP
    assert "script" not in PAGE_CSP and PAGE_CSP.startswith("default-src 'none';")
    assert ("»Nyt link«" if language == "da" else "“New link”") in page


def test_each_reason_says_something_else() -> None:
    titles = {re.findall(r"<h1>(.*)</h1>", download_page(r, Texts("da")))[0] for r in REASONS}
    assert len(titles) == len(REASONS)
    assert "Lav udviklingsplanen igen" in download_page("gone", Texts("da"))
    assert "Lav udviklingsplanen igen" not in download_page("expired", Texts("da"))
    with pytest.raises(ValueError):
        download_page("other", Texts("da"))


def test_texts_are_escaped() -> None:
    page = download_page("gone", Texts("en"))
    assert "conversation&#x27;s leader" in page  # the apostrophe of "the conversation's leader"


@pytest.mark.parametrize(
    ("header", "language"),
    [
        (None, "da"),
        ("", "da"),
        ("da", "da"),
        ("en", "en"),
        ("EN-gb", "en"),
        ("en-US,en;q=0.9,da;q=0.5", "en"),
        ("da-DK,da;q=0.9,en;q=0.8", "da"),
        ("de, en;q=0.1", "en"),
        ("en;q=0.4, da;q=0.4", "da"),
        ("en;q=0", "da"),
        ("en;q=2", "da"),
        ("en;q=nan", "da"),
        ("en;q=", "da"),
        ("*;q=1, en;q=0.2", "en"),
        ("sv, nb", "da"),
        (",,,;;;=", "da"),
        ("da;q=0.1, " + "x, " * 2000 + "en", "da"),  # only the start of a huge header counts
    ],
)
def test_the_language_follows_accept_language(header: str | None, language: str) -> None:
    assert texts_for_accept_language(header).language == language


@pytest.mark.parametrize("language", ["da", "en"])
@pytest.mark.parametrize("reason", ["invalid", "expired", "unavailable"])
def test_the_figures_pages_say_how_to_get_a_new_link_to_the_figures(
    reason: str, language: str
) -> None:
    texts = Texts(language)
    page = download_page(reason, texts, "figures")
    assert texts.get("download.figures.step2") in page.replace("&#x27;", "'")
    assert "udviklingsplan" not in page.lower() and "development plan" not in page.lower()
    with pytest.raises(ValueError):
        download_page(reason, texts, "something else")
