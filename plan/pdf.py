"""The plan as PDF, made by LibreOffice without blocking the event loop.

``to_pdf(docx)`` runs ``soffice --headless --convert-to pdf`` as a subprocess
(``asyncio.create_subprocess_exec``) in a fresh temporary directory, with ``HOME`` and the
LibreOffice profile inside it, so conversions never share state and leave nothing behind. At
most ``MAX_PARALLEL`` conversions run at a time per event loop; ``timeout`` covers the wait for
a slot and the conversion. On a timeout the whole process group is killed.

Every failure is a ``PdfUnavailable`` whose ``str()`` is a plain Danish sentence that can be
shown to users as it is, and whose ``reason`` (``"missing"``, ``"failed"`` or ``"timeout"``) is
for logs and code. The Word document is the plan of record, so callers keep it either way.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import signal
import tempfile
import weakref
from collections.abc import Awaitable, Callable
from concurrent.futures import Executor
from contextlib import suppress
from pathlib import Path
from typing import Any, Literal, TypeVar

T = TypeVar("T")

log = logging.getLogger(__name__)

MAX_PARALLEL = 2

MISSING = "PDF kan ikke laves her, fordi LibreOffice ikke er installeret. Word-dokumentet er gemt."
FAILED = (
    "PDF kunne ikke laves, fordi LibreOffice ikke kunne omdanne dokumentet. "
    "Word-dokumentet er gemt."
)
TIMED_OUT = "PDF kunne ikke laves, fordi det tog for lang tid. Word-dokumentet er gemt."

Reason = Literal["missing", "failed", "timeout"]
_MESSAGES: dict[Reason, str] = {"missing": MISSING, "failed": FAILED, "timeout": TIMED_OUT}


class PdfUnavailable(Exception):
    """No PDF could be made; ``str(error)`` is a plain Danish sentence for users."""

    def __init__(self, reason: Reason) -> None:
        super().__init__(_MESSAGES[reason])
        self.reason: Reason = reason


def _program() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def pdf_available() -> bool:
    """Whether LibreOffice (``soffice`` or ``libreoffice``) is on ``PATH``."""
    return _program() is not None


_slots: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def _slot() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    slot = _slots.get(loop)
    if slot is None:
        slot = _slots[loop] = asyncio.Semaphore(MAX_PARALLEL)
    return slot


async def to_pdf(
    docx: bytes,
    *,
    timeout: float = 60.0,  # noqa: ASYNC109 (the API)
    executor: Executor | None = None,
) -> bytes:
    """The PDF of a .docx; raises ``PdfUnavailable`` when LibreOffice is missing or fails.

    ``timeout`` (seconds) is part of the contract, so callers need no ``asyncio.timeout`` of
    their own and a timeout still ends as a ``PdfUnavailable`` with its own message. The file
    work runs in ``executor`` (the caller's own threads; the loop's default pool when None).
    """

    async def off_loop(work: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(executor, work, *args)

    program = _program()
    if program is None:
        raise PdfUnavailable("missing")
    try:
        async with asyncio.timeout(timeout), _slot():
            workdir = Path(await off_loop(tempfile.mkdtemp, "", "samtaleguide-pdf-"))
            try:
                return await _convert(program, docx, workdir, off_loop)
            finally:
                await off_loop(shutil.rmtree, workdir, True)
    except TimeoutError:
        log.warning("PDF conversion took longer than %.0f s and was stopped", timeout)
        raise PdfUnavailable("timeout") from None


async def _convert(
    program: str, docx: bytes, workdir: Path, off_loop: Callable[..., Awaitable[Any]]
) -> bytes:
    source, outdir, home = workdir / "plan.docx", workdir / "out", workdir / "home"
    await off_loop(_prepare, source, docx, outdir, home)
    args = (
        f"-env:UserInstallation={(home / 'profile').as_uri()}",
        "--headless",
        "--norestore",
        "--nologo",
        "--nolockcheck",
        "--convert-to",
        "pdf",
        "--outdir",
        str(outdir),
        str(source),
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "TMPDIR": str(workdir),
        "LANG": "C.UTF-8",
    }
    try:
        process = await asyncio.create_subprocess_exec(
            program,
            *args,
            cwd=workdir,
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,  # its own process group, so a timeout can end all of it
        )
    except OSError as exc:
        log.warning("cannot start %s: %s", program, exc)
        raise PdfUnavailable("missing") from exc
    try:
        _, stderr = await process.communicate()
    finally:
        if process.returncode is None:  # timed out or cancelled
            _kill_group(process.pid)
            await process.wait()
    pdf: bytes = await off_loop(_read, outdir / "plan.pdf")
    if process.returncode != 0 or not pdf.startswith(b"%PDF"):
        log.warning(
            "PDF conversion failed (exit %s): %s",
            process.returncode,
            stderr.decode("utf-8", "replace")[-500:].strip(),
        )
        raise PdfUnavailable("failed")
    return pdf


def _prepare(source: Path, docx: bytes, outdir: Path, home: Path) -> None:
    source.write_bytes(docx)
    outdir.mkdir()
    home.mkdir()


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def _kill_group(pid: int) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)
