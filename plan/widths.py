"""Table columns sized to what they hold, so that no word is broken across lines.

The plan is set in Arial (LibreOffice uses Liberation Sans, which has the same widths as
Helvetica, or DejaVu Sans where that is not installed): ``text_width`` measures a text with the
wider of those widths (regular or bold), in centimetres at a point size. ``column_widths`` then shares a table's width among its columns the
way a browser lays out an automatic table: every column gets at least its longest word (plus the
cell's margins), and what is left goes to the columns whose text would like more room, in
proportion to how much more. Only when the longest words alone do not fit (a word of hundreds of
letters) is anything squeezed, and then every column in proportion.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

CM_PER_POINT = 2.54 / 72
CELL_MARGINS_CM = 0.19 * 2 + 0.1  # Word's default left and right cell margins, and some air
_WORD = re.compile(r"\S+")

# Advance widths in thousandths of an em of the characters a Danish plan uses, each the wider of
# Helvetica's (Adobe's AFM files: the widths of Arial and of Liberation Sans, which LibreOffice
# uses for Arial) and DejaVu Sans' (what LibreOffice falls back to where neither is installed,
# read from DejaVuSans.ttf and DejaVuSans-Bold.ttf), so a column is wide enough in either;
# anything else counts as a full em (wide enough for any letter or emoji).
_CHARS = " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~æøåÆØÅéäöü’‘”“–—…»«"
_REGULAR = dict(
    zip(
        _CHARS,
        (
            318,
            401,
            460,
            838,
            636,
            950,
            780,
            275,
            390,
            390,
            500,
            838,
            318,
            361,
            318,
            337,
            636,
            636,
            636,
            636,
            636,
            636,
            636,
            636,
            636,
            636,
            337,
            337,
            838,
            838,
            838,
            556,
            1015,
            684,
            686,
            722,
            770,
            667,
            611,
            778,
            752,
            295,
            500,
            667,
            557,
            863,
            748,
            787,
            667,
            787,
            722,
            667,
            611,
            732,
            684,
            989,
            685,
            667,
            685,
            390,
            337,
            390,
            838,
            556,
            500,
            613,
            635,
            550,
            635,
            615,
            352,
            635,
            634,
            278,
            278,
            579,
            278,
            974,
            634,
            612,
            635,
            635,
            411,
            521,
            392,
            634,
            592,
            818,
            592,
            592,
            525,
            636,
            337,
            636,
            838,
            982,
            612,
            613,
            1000,
            787,
            684,
            615,
            613,
            612,
            634,
            318,
            318,
            518,
            518,
            556,
            1000,
            1000,
            612,
            612,
        ),
        strict=True,
    )
)
_BOLD = dict(
    zip(
        _CHARS,
        (
            348,
            456,
            521,
            838,
            696,
            1002,
            872,
            306,
            457,
            457,
            523,
            838,
            380,
            415,
            380,
            365,
            696,
            696,
            696,
            696,
            696,
            696,
            696,
            696,
            696,
            696,
            400,
            400,
            838,
            838,
            838,
            580,
            1015,
            774,
            762,
            734,
            830,
            683,
            683,
            821,
            837,
            372,
            556,
            775,
            637,
            995,
            837,
            850,
            733,
            850,
            770,
            720,
            682,
            812,
            774,
            1103,
            771,
            724,
            725,
            457,
            365,
            457,
            838,
            556,
            500,
            675,
            716,
            593,
            716,
            678,
            435,
            716,
            712,
            343,
            343,
            665,
            343,
            1042,
            712,
            687,
            716,
            716,
            493,
            595,
            478,
            712,
            652,
            924,
            645,
            652,
            582,
            712,
            365,
            712,
            838,
            1048,
            687,
            675,
            1085,
            850,
            774,
            678,
            675,
            687,
            712,
            380,
            380,
            657,
            657,
            556,
            1000,
            1000,
            646,
            646,
        ),
        strict=True,
    )
)
FULL_EM = 1000


def text_width(text: str, points: float, *, bold: bool = False) -> float:
    """The width of ``text`` on one line, in centimetres."""
    table = _BOLD if bold else _REGULAR
    return sum(table.get(ch, FULL_EM) for ch in text) / 1000 * points * CM_PER_POINT


def longest_word(texts: Sequence[str], points: float, *, bold: bool = False) -> float:
    """The width of the widest word among ``texts`` (what a cell must hold unbroken)."""
    return max(
        (text_width(w, points, bold=bold) for t in texts for w in _WORD.findall(t)), default=0.0
    )


def longest_line(texts: Sequence[str], points: float, *, bold: bool = False) -> float:
    """The width of the widest line among ``texts``, were nothing wrapped."""
    return max(
        (text_width(line, points, bold=bold) for t in texts for line in t.split("\n")),
        default=0.0,
    )


def column_widths(
    columns: Sequence[Sequence[str]],
    total_cm: float,
    points: float,
    *,
    headers: Sequence[str] = (),
) -> list[float]:
    """Widths in centimetres (summing to ``total_cm``) for columns holding ``columns[i]`` (their
    cells' texts) under ``headers`` (bold), so that every column holds its longest word."""
    count = len(columns)
    titles = list(headers) or [""] * count
    least = [
        max(longest_word(cells, points), longest_word([title], points, bold=True)) + CELL_MARGINS_CM
        for cells, title in zip(columns, titles, strict=True)
    ]
    wished = [
        max(longest_line(cells, points), longest_line([title], points, bold=True)) + CELL_MARGINS_CM
        for cells, title in zip(columns, titles, strict=True)
    ]
    wished = [max(w, m) for w, m in zip(wished, least, strict=True)]
    if sum(least) >= total_cm:  # even the words do not fit: squeeze every column alike
        return [total_cm * m / sum(least) for m in least]
    if sum(wished) <= total_cm:  # everything fits on one line: share the rest alike
        return [total_cm * w / sum(wished) for w in wished]
    room = total_cm - sum(least)
    more = [w - m for w, m in zip(wished, least, strict=True)]
    return [m + room * extra / sum(more) for m, extra in zip(least, more, strict=True)]
