"""HR's figures: who may see them, what they are made of, and the short-lived link to the file.

``Figures.allowed(person)``: the person's Entra object id is one of ``HR_VIEWERS`` (from the
activity, never from card data; Teams ids are not accepted). ``rows(years)`` reads the
workplaces' index records of those years (``bot.year_index``) and counts them
(``dialogs.round.figures``, every count below ``HR_THRESHOLD`` withheld). ``link()`` is a signed
link to ``{PUBLIC_BASE_URL}/figures/noegletal.csv``, valid for ``PLAN_LINK_MINUTES`` like a
plan's, signed with the same secret (``storage.links``); the file is made when the link is
followed (``csv``, served by ``bot.downloads.figures_route``) and never stored. A link holds
nothing but its expiry and signature; whoever holds it can fetch the figures until it expires,
which tell nothing about any one person.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta

from bot.year_index import YearIndex
from cards.figures import figures_csv
from cards.texts import Texts
from dialogs.conversation import Person
from dialogs.round import FigureRow, figures
from storage.links import DocumentLinks

FIGURES_FILE = "noegletal.csv"
FIGURES_PATH = "figures/" + FIGURES_FILE  # what a link signs (never a document's path)


class Figures:
    def __init__(
        self,
        index: YearIndex,
        *,
        viewers: frozenset[str],
        threshold: int,
        links: DocumentLinks,
        link_ttl: timedelta,
        clock: Callable[[], datetime],
    ) -> None:
        self.index = index
        self.viewers = frozenset(v.lower() for v in viewers)
        self.threshold = threshold
        self.links = links
        self.link_ttl = link_ttl
        self.clock = clock

    def allowed(self, person: Person) -> bool:
        return bool(person.aad_object_id) and person.aad_object_id.lower() in self.viewers

    @property
    def minutes(self) -> int:
        return int(self.link_ttl.total_seconds() // 60)

    async def years(self) -> list[int]:
        return await self.index.years()

    async def rows(self, years: Iterable[int]) -> list[FigureRow]:
        groups = [group for year in years for group in await self.index.workplaces(year)]
        return figures(groups, self.clock().date(), self.threshold)

    async def link(self) -> str:
        return await self.links.url(FIGURES_PATH, self.link_ttl, prefix="/")

    async def csv(self, texts: Texts) -> bytes:
        """Every year's figures as a CSV file in the language of ``texts``."""
        rows = await self.rows(await self.years())
        return figures_csv(rows, texts, threshold=self.threshold)
