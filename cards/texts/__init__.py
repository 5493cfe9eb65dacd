"""User-facing text, one module per language (``da`` first, ``en`` too).

``texts_for(locale)`` picks the language from a Teams locale such as ``da-DK`` or ``en-US``
(Danish unless the locale is English). ``Texts.get(key, **params)`` fills ``{placeholders}``;
a missing key is a programming error and raises ``KeyError``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from types import MappingProxyType
from typing import Any

from cards.texts import da, en

LANGUAGES = MappingProxyType({"da": da.TEXTS, "en": en.TEXTS})


@dataclass(frozen=True)
class Texts:
    language: str

    def get(self, key: str, **params: Any) -> str:
        template = LANGUAGES[self.language][key]
        return template.format(**params) if params else template

    def has(self, key: str) -> bool:
        return key in LANGUAGES[self.language]

    def date(self, value: date) -> str:
        """``22. november 2026`` in Danish, ``22 November 2026`` in English."""
        months = LANGUAGES[self.language]["months"].split(",")
        sep = ". " if self.language == "da" else " "
        return f"{value.day}{sep}{months[value.month - 1]} {value.year}"

    def moment(self, value: datetime) -> str:
        at = " kl. " if self.language == "da" else " at "
        return f"{self.date(value.date())}{at}{value:%H:%M}"


def texts_for(locale: str | None) -> Texts:
    return Texts("en" if (locale or "").lower().startswith("en") else "da")
