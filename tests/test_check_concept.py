"""``python manage.py check-concept FILE``: an HR consultant checks the concept file they wrote.

Five files broken the way people break them (a missing comma, a misspelt key, too few keywords,
a field with an input the bot does not know, questions numbered out of order) are each refused
with exit status 1 and one clear Danish sentence naming the field; the packaged concepts pass.
It runs as an administrator would run it (a subprocess), without any of the bot's settings.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from dialogs.concept import concepts_dir

REPO = Path(__file__).resolve().parents[1]
Doc = dict[str, Any]


def check(path: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin")}  # no settings at all
    return subprocess.run(
        [sys.executable, "manage.py", "check-concept", str(path)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def gentofte() -> Doc:
    return json.loads((concepts_dir() / "gentofte.json").read_text(encoding="utf-8"))


def misspelt_key(doc: Doc) -> None:
    doc["perspektives"] = doc.pop("perspectives")


def two_keywords(doc: Doc) -> None:
    doc["keywords"] = ["Trivsel", "Kompetencer"]


def unknown_input(doc: Doc) -> None:
    doc["plan"]["agreement_fields"][5]["input"] = "år"


def numbered_out_of_order(doc: Doc) -> None:
    doc["perspectives"][1]["questions"][1]["number"] = 2


BROKEN: list[tuple[str, Callable[[Doc], None] | str, str]] = [
    (
        "a missing comma",
        '{\n  "format": 1\n  "id": "gentofte"\n}',
        "Fejl i konceptfilen {path}: filen er ikke gyldig JSON: Expecting ',' delimiter: line 3 "
        "column 3 (char 18). Tjek kommaer, anførselstegn og klammer omkring stedet.",
    ),
    (
        "a misspelt key",
        misspelt_key,
        "Fejl i konceptfilen {path}: feltet »perspektives« er en ukendt nøgle. Tjek stavningen; "
        "nøgler, der begynder med _, er kommentarer.",
    ),
    (
        "two keywords",
        two_keywords,
        "Fejl i konceptfilen {path}: feltet »keywords« skal have mindst 3 stikord (hver "
        "deltager vælger 3) – eller udelades helt.",
    ),
    (
        "an input the bot does not know",
        unknown_input,
        "Fejl i konceptfilen {path}: feltet »plan.agreement_fields[5].input« skal være en af: "
        "text, date, participant.",
    ),
    (
        "questions numbered out of order",
        numbered_out_of_order,
        "Fejl i konceptfilen {path}: feltet »perspectives[1].questions[1].number« skal være 3: "
        "spørgsmålene nummereres 1, 2, 3 … i den rækkefølge, de står i filen.",
    ),
]


@pytest.mark.parametrize(
    ("broken", "expected"), [c[1:] for c in BROKEN], ids=[c[0] for c in BROKEN]
)
def test_a_broken_concept_file_is_refused_in_danish(
    tmp_path: Path, broken: Callable[[Doc], None] | str, expected: str
) -> None:
    path = tmp_path / "koncept.json"
    if isinstance(broken, str):
        path.write_text(broken, encoding="utf-8")
    else:
        doc = gentofte()
        broken(doc)
        path.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    result = check(path)
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr.strip() == expected.format(path=path)


@pytest.mark.parametrize("name", ["albertslund.json", "gentofte.json"])
def test_the_packaged_concepts_pass(name: str) -> None:
    result = check(concepts_dir() / name)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"Konceptfilen {concepts_dir() / name} er i orden")
    assert result.stderr == ""
