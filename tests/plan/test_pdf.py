"""The plan as PDF: the real LibreOffice conversion, and every failure path with stand-ins.

The failure paths run everywhere: ``PATH`` points at an empty directory (LibreOffice missing) or
at a directory holding a small shell script named ``soffice`` that fails, hangs or succeeds.
The real conversion is skipped when LibreOffice is not installed, unless
``SAMTALEGUIDE_REQUIRE_PDF=1`` makes that a failure (as in CI, where it is installed).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import stat
import subprocess
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from dialogs.concept import Concept, default_concept_path, load_concept
from plan.document import write_plan
from plan.pdf import FAILED, MISSING, TIMED_OUT, PdfUnavailable, pdf_available, to_pdf
from tests.plan import closed_grus

GENERATED = datetime(2026, 12, 1, 11, 42)
REQUIRE_PDF = os.environ.get("SAMTALEGUIDE_REQUIRE_PDF") == "1"
SHORT_WHAT = "Kursus i Excel for hele teamet"


@pytest.fixture(scope="module")
def concept() -> Concept:
    return load_concept(default_concept_path())


@pytest.fixture(scope="module")
def plan_docx(concept: Concept) -> bytes:
    conversation = closed_grus(concept, agreements=6)
    first = replace(conversation.agreements[0], what=SHORT_WHAT)  # short: one line in the PDF
    conversation = replace(conversation, agreements=(first, *conversation.agreements[1:]))
    return write_plan(conversation, concept, generated_at=GENERATED)


def fake_soffice(directory: Path, body: str) -> Path:
    """A directory for ``PATH`` holding a shell script ``soffice`` that runs ``body``."""
    directory.mkdir()
    script = directory / "soffice"
    script.write_text(f"#!/bin/sh\nexport PATH=/usr/bin:/bin\n{body}\n")
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return directory


def exists(path: str) -> bool:
    return Path(path).exists()


def pdf_text(pdf: bytes, directory: Path) -> str:
    path = directory / "plan.pdf"
    path.write_bytes(pdf)
    command = ["pdftotext", "-enc", "UTF-8", str(path), "-"]
    return subprocess.run(command, capture_output=True, check=True).stdout.decode("utf-8")


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for its parent to reap it counts as ended)."""
    try:
        status = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return status.rsplit(")", 1)[1].split()[0] != "Z"


# --- LibreOffice missing: runs on every machine ----------------------------------------------


async def test_missing_libreoffice_is_a_plain_danish_message(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    assert not pdf_available()
    with pytest.raises(PdfUnavailable) as caught:
        await to_pdf(b"PK\x03\x04 not really a docx")
    assert caught.value.reason == "missing"
    assert str(caught.value) == MISSING
    assert str(caught.value) == (
        "PDF kan ikke laves her, fordi LibreOffice ikke er installeret. Word-dokumentet er gemt."
    )


def test_the_three_messages_differ_and_keep_the_word_document() -> None:
    assert len({MISSING, FAILED, TIMED_OUT}) == 3
    for message in (MISSING, FAILED, TIMED_OUT):
        assert message.endswith("Word-dokumentet er gemt.")
        assert message.isprintable() and "soffice" not in message


# --- stand-ins for soffice: failure, timeout, and how it is called ----------------------------


@pytest.mark.skipif(not Path("/bin/sh").exists(), reason="needs /bin/sh for the stand-in")
async def test_a_failed_conversion(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    bin_dir = fake_soffice(
        tmp_path / "bin", "echo 'Error: source file could not be loaded' >&2\nexit 1"
    )
    monkeypatch.setenv("PATH", str(bin_dir))
    assert pdf_available()
    with pytest.raises(PdfUnavailable) as caught:
        await to_pdf(b"docx")
    assert caught.value.reason == "failed"
    assert str(caught.value) == FAILED


@pytest.mark.skipif(not Path("/bin/sh").exists(), reason="needs /bin/sh for the stand-in")
async def test_no_output_file_is_a_failure_even_with_exit_0(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PATH", str(fake_soffice(tmp_path / "bin", "exit 0")))
    with pytest.raises(PdfUnavailable) as caught:
        await to_pdf(b"docx")
    assert caught.value.reason == "failed"


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux /proc")
async def test_a_hanging_conversion_times_out_and_is_killed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    pids = tmp_path / "pids"
    body = f"sleep 30 &\necho $$ $! > {pids}\nwait"  # a grandchild too, as soffice.bin is
    monkeypatch.setenv("PATH", str(fake_soffice(tmp_path / "bin", body)))
    with pytest.raises(PdfUnavailable) as caught:
        await to_pdf(b"docx", timeout=1.0)
    assert caught.value.reason == "timeout"
    assert str(caught.value) == TIMED_OUT
    script, sleeper = (int(pid) for pid in pids.read_text().split())
    for _ in range(50):  # SIGKILL is immediate, but give the kernel a moment
        if not alive(script) and not alive(sleeper):
            break
        await asyncio.sleep(0.05)
    assert not alive(script) and not alive(sleeper)


@pytest.mark.skipif(not Path("/bin/sh").exists(), reason="needs /bin/sh for the stand-in")
async def test_conversion_runs_off_the_loop_with_a_private_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    seen = tmp_path / "seen"
    body = (
        f'echo "$HOME" > {seen}\n'
        f'echo "$@" >> {seen}\n'
        "sleep 0.5\n"
        'for arg; do case "$prev" in --outdir) out="$arg";; esac; prev="$arg"; done\n'
        "printf '%%PDF-1.7 stand-in' > \"$out/plan.pdf\""
    )
    monkeypatch.setenv("PATH", str(fake_soffice(tmp_path / "bin", body)))
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    task = asyncio.create_task(ticker())
    try:
        pdf = await to_pdf(b"docx")
    finally:
        task.cancel()
    assert pdf == b"%PDF-1.7 stand-in"
    assert ticks >= 10  # the loop kept running while "soffice" worked
    home, args = seen.read_text().splitlines()
    assert home != os.environ.get("HOME") and "samtaleguide-pdf-" in home
    assert not exists(home)  # the temporary directory is removed afterwards
    assert "--headless" in args.split() and "--convert-to pdf" in args


# --- the real conversion ---------------------------------------------------------------------


def require_libreoffice() -> None:
    if pdf_available():
        return
    if REQUIRE_PDF:
        pytest.fail("SAMTALEGUIDE_REQUIRE_PDF=1 but LibreOffice (soffice) is not on PATH")
    pytest.skip(
        "LibreOffice (soffice) is not installed; install libreoffice-writer-nogui "
        "(scripts/setup.sh) or set SAMTALEGUIDE_REQUIRE_PDF=1 to make this a failure"
    )


async def test_real_conversion(plan_docx: bytes, tmp_path: Path) -> None:
    require_libreoffice()
    pdf = await to_pdf(plan_docx)
    assert pdf.startswith(b"%PDF")
    if shutil.which("pdftotext") is None:
        return
    text = pdf_text(pdf, tmp_path)
    assert SHORT_WHAT in text
    assert "UDVIKLINGSPLAN" in text and "Ældreplejen Nord" in text
    assert "Side 1 af" in text  # the page fields were computed
