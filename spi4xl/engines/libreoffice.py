"""LibreOffice headless as a real spreadsheet engine: recalculate, inspect and render workbooks.

Why: XlsxWriter stores 0 as the cached result of every formula and no engine here runs Excel, so
tests recalculate through LibreOffice before reading values, and check that a workbook opens with
its names, validations, VBA modules and buttons. Starting soffice costs ~2 s, so one soffice
stays up and a worker under Debian's /usr/bin/python3 (the only Python with `uno`) talks to it
over a socket; this module speaks JSON lines with that worker (see lo_worker.py).

    with LibreOffice() as lo:
        lo.recalculate(Path("in.xlsx"), Path("out.xlsx"))
        info = lo.inspect(Path("in.xlsm"))
        pngs = lo.to_png(Path("in.xlsx"), Path("shots"), sheets=["Summary"])
        lo.print_pdf(Path("in.xlsx"), Path("in.pdf"))
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import re
import selectors
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
import unicodedata
from pathlib import Path
from typing import Any, Iterable

from spi4xl.errors import Spi4xlError

UNO_PYTHON = "/usr/bin/python3"
WORKER = Path(__file__).with_name("lo_worker.py")

# Seeded into the private profile: no .~lock files beside the workbooks we open, and no
# recalculation on load (we call calculateAll once, explicitly).
_PROFILE_SETTINGS = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="UseDocumentOOoLockFile" oor:op="fuse">
<value>false</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="FirstRun" oor:op="fuse">
<value>false</value></prop></item>
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">
<value>1</value></prop></item>
</oor:items>
"""


def _soffice() -> str | None:
    """SPI4XL_SOFFICE when set (empty or not executable: as if LibreOffice were not installed), else
    soffice on PATH, else Debian's place."""
    if (chosen := os.environ.get("SPI4XL_SOFFICE")) is not None:
        return chosen if chosen and os.access(chosen, os.X_OK) else None
    return shutil.which("soffice") or next(
        (p for p in ("/usr/lib/libreoffice/program/soffice",) if os.access(p, os.X_OK)), None
    )


@functools.cache
def available() -> bool:
    """True when soffice and a /usr/bin/python3 that can `import uno` are both installed."""
    if _soffice() is None or not os.access(UNO_PYTHON, os.X_OK):
        return False
    probe = subprocess.run([UNO_PYTHON, "-c", "import uno"], capture_output=True, check=False)
    return probe.returncode == 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Dead(Exception):
    """The worker or soffice went away in the middle of a call."""


class LibreOffice:
    """One long-lived headless soffice plus its UNO worker; starts on first use, restarts if it dies.

    Calls are serialised (a lock), each costs a document load (~0.1-0.5 s). `close()` (or leaving
    the `with` block, or interpreter exit) ends both processes and removes the private profile.
    """

    def __init__(self, start_timeout: float = 60.0, call_timeout: float = 120.0) -> None:
        self.start_timeout, self.call_timeout = start_timeout, call_timeout
        self._lock = threading.RLock()
        self._soffice: subprocess.Popen[bytes] | None = None
        self._worker: subprocess.Popen[bytes] | None = None
        self._buf = b""
        self._home: Path | None = None

    # -- public API ------------------------------------------------------------------------
    def __enter__(self) -> LibreOffice:
        with self._lock:
            self._ensure()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def recalculate(self, src: Path, dst: Path) -> None:
        """Load src without running macros, recalculate every formula, save dst as .xlsx (no VBA)."""
        src, dst = self._existing(src), Path(dst).resolve()
        dst.parent.mkdir(parents=True, exist_ok=True)
        self._call("recalculate", src, src=str(src), dst=str(dst))

    def edit_rows(self, src: Path, dst: Path, sheet: str, *, delete: list[int] = (),
                  sort: tuple[int, int, int, int, bool] | None = None) -> None:
        """Delete rows (0-based) and/or sort rows (first, last, last column, key column, ascending) of a
        sheet the way a user would in the spreadsheet, then recalculate and save dst as .xlsx."""
        src, dst = self._existing(src), Path(dst).resolve()
        self._call("edit_rows", src, src=str(src), dst=str(dst), sheet=sheet, delete=list(delete),
                   sort=list(sort) if sort else None)

    def inspect(self, path: Path) -> dict[str, Any]:
        """What LibreOffice sees in a workbook.

        Keys: sheets (names, in order); names (workbook-scoped names, then sheet-scoped ones as
        "Sheet!Name"); validations ({sheet: number of *cells* carrying a data validation});
        basic_modules ("Library.Module"; VBA code is imported into library "VBAProject", document
        modules ThisWorkbook/Sheet1 included); buttons ([{sheet, label, macro, script}] for
        form-control buttons; macro is "VBAProject.Module1.Hello", "" when LibreOffice could not
        bind it to an existing macro); repaired (True when the zip only opened in repair mode:
        LibreOffice 7.4 says nothing when it skips a damaged part *inside* an .xlsx, that sheet just
        comes out empty); warnings (questions LibreOffice asked while loading, normally []).
        """
        path = self._existing(path)
        return self._call("inspect", path, path=str(path))

    def to_png(self, path: Path, out_dir: Path, sheets: list[str] | None = None, *, dpi: int = 60,
               crop: tuple[int, int] | None = None) -> list[Path]:
        """Render sheets (all by default) as one PNG each, for a human to look at.

        `dpi` is the resolution; `crop` (width, height in pixels) keeps only the top-left part of
        each page, e.g. the first rows of a long sheet.

        LibreOffice 7.4's SinglePageSheets PDF export ignores sheet visibility, PageRange and
        Selection (it always exports every sheet, hidden ones too), but it makes exactly one page
        per sheet, so the whole book is exported and only the wanted pages are rasterised. Files: <stem>-<NN>-<sheet>.png, NN = sheet position.
        """
        for tool in ("pdftoppm", "pdfinfo"):
            if shutil.which(tool) is None:
                raise Spi4xlError("libreoffice.tool_missing", tool=tool)
        src = self._existing(path)
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(prefix="spi4xl-pdf-") as tmp:
            pdf = Path(tmp) / "book.pdf"
            names: list[str] = self._call("to_pdf", src, path=str(src), pdf=str(pdf))
            missing = [s for s in sheets or [] if s not in names]
            if missing:
                raise Spi4xlError("libreoffice.no_sheet", path=src, missing=", ".join(missing), known=", ".join(names))
            pages = _pdf_pages(pdf)
            if pages == len(names):
                wanted = [(names.index(s) + 1, s) for s in (sheets if sheets is not None else names)]
            else:  # not one page per sheet: show every page rather than guess
                wanted = [(n, f"page{n}") for n in range(1, pages + 1)]
            out = []
            for page, label in wanted:
                target = out_dir / f"{src.stem}-{page:02d}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', label)}"
                area = ["-x", "0", "-y", "0", "-W", str(crop[0]), "-H", str(crop[1])] if crop else []
                subprocess.run(
                    ["pdftoppm", "-png", "-r", str(dpi), *area, "-f", str(page), "-l", str(page), "-singlefile", pdf, target],
                    check=True, capture_output=True, timeout=self.call_timeout,
                )
                out.append(target.with_suffix(".png"))
            return out

    def print_pdf(self, path: Path, pdf: Path) -> Path:
        """The workbook as its page setup prints it (paper, print areas, scaling, headers and footers), as a PDF."""
        src, pdf = self._existing(path), Path(pdf).resolve()
        pdf.parent.mkdir(parents=True, exist_ok=True)
        self._call("to_pdf", src, path=str(src), pdf=str(pdf), single_page_sheets=False)
        return pdf

    def close(self) -> None:
        """End the worker and soffice (politely, then by force) and delete the private profile."""
        with self._lock:
            self._stop()
            if self._home is not None:
                shutil.rmtree(self._home, ignore_errors=True)
                self._home = None
        atexit.unregister(self.close)

    # -- processes -------------------------------------------------------------------------
    def _ensure(self) -> None:
        alive = self._soffice and self._soffice.poll() is None and self._worker and self._worker.poll() is None
        if not alive:
            self._stop()
            self._start()

    def _start(self) -> None:
        soffice = _soffice()
        if soffice is None or not available():
            raise Spi4xlError("libreoffice.not_installed")
        if self._home is None:
            self._home = Path(tempfile.mkdtemp(prefix="spi4xl-lo-"))
            (self._home / "profile" / "user").mkdir(parents=True)
            (self._home / "profile" / "user" / "registrymodifications.xcu").write_text(_PROFILE_SETTINGS)
            (self._home / "tmp").mkdir()
            atexit.register(self.close)
        port = _free_port()
        with open(self._home / "soffice.log", "ab") as log:
            self._soffice = subprocess.Popen(
                [soffice, "--headless", "--invisible", "--norestore", "--nologo", "--nodefault", "--nolockcheck",
                 f"-env:UserInstallation={(self._home / 'profile').as_uri()}",
                 f"--accept=socket,host=127.0.0.1,port={port};urp;"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                start_new_session=True,  # its own process group: oosplash forks soffice.bin, we kill both
                env={**os.environ, "TMPDIR": str(self._home / "tmp")},  # its lu*.tmp go with the profile
            )
        deadline = time.monotonic() + self.start_timeout
        while True:
            if self._soffice.poll() is not None:
                raise Spi4xlError("libreoffice.exited", status=self._soffice.returncode, log=self._log_tail())
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    self._stop()
                    raise Spi4xlError("libreoffice.no_listen", seconds=round(self.start_timeout)) from None
                time.sleep(0.1)
        with open(self._home / "worker.log", "ab") as wlog:
            self._worker = subprocess.Popen(
                [UNO_PYTHON, str(WORKER), str(port), str(self.start_timeout)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=wlog,
            )
        self._buf = b""
        try:
            ready = self._read(time.monotonic() + self.start_timeout)
        except (_Dead, TimeoutError):
            ready = {"ok": False, "error": "no answer"}
        if not ready.get("ok"):
            self._stop()
            raise Spi4xlError("libreoffice.no_worker", detail=ready.get("error"), log=self._log_tail())

    def _stop(self) -> None:
        worker, office = self._worker, self._soffice
        self._worker = self._soffice = None
        polite = worker is not None and worker.poll() is None  # only a live worker can ask soffice to quit
        if worker is not None:
            try:  # asks soffice to terminate too; EOF on stdin alone also does
                if worker.stdin is not None:
                    worker.stdin.write(b'{"op": "quit"}\n')
                    worker.stdin.close()
            except (OSError, ValueError):
                pass
            try:
                worker.wait(5)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
            if worker.stdout is not None:
                worker.stdout.close()
        if office is not None:
            try:
                office.wait(10 if polite and worker.returncode == 0 else 0.1)
            except subprocess.TimeoutExpired:
                pass
            try:  # oosplash may be gone while soffice.bin lives on: always sweep the group
                os.killpg(office.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                office.wait(5)
            except subprocess.TimeoutExpired:
                pass

    def _log_tail(self) -> str:
        if self._home is None:
            return ""
        text = " | ".join(
            (self._home / n).read_text(errors="replace").strip() for n in ("soffice.log", "worker.log")
            if (self._home / n).exists()
        )
        return text[-800:]

    # -- protocol --------------------------------------------------------------------------
    @staticmethod
    def _existing(path: Path) -> Path:
        path = Path(path).resolve()
        if not path.is_file():
            raise Spi4xlError("file.not_found", path=path)
        return path

    def _call(self, op: str, where: Path, /, **args: Any) -> Any:
        """Send one request; on a dead soffice restart and retry once; errors name the file."""
        with self._lock:
            for attempt in (1, 2):
                self._ensure()
                stdin = self._worker.stdin if self._worker is not None else None
                try:
                    if stdin is None:
                        raise _Dead
                    stdin.write(json.dumps({"op": op, **args}).encode() + b"\n")
                    stdin.flush()
                    reply = self._read(time.monotonic() + self.call_timeout)
                except TimeoutError:
                    self._stop()
                    raise Spi4xlError("libreoffice.timeout", path=where, seconds=f"{self.call_timeout:g}", op=op) from None
                except (_Dead, OSError):
                    reply = {"ok": False, "fatal": True, "error": "LibreOffice stopped"}
                if reply.get("ok"):
                    return reply.get("result")
                if not reply.get("fatal"):
                    raise Spi4xlError("libreoffice.failed", path=where, detail=reply.get("error"))
                self._stop()
                if attempt == 2:
                    raise Spi4xlError("libreoffice.crashed", path=where, detail=reply.get("error"))
        raise AssertionError("unreachable")

    def _read(self, deadline: float) -> dict[str, Any]:
        """One JSON line from the worker, waiting no later than deadline (select, not a blocking read)."""
        if self._worker is None or self._worker.stdout is None:
            raise _Dead
        fd = self._worker.stdout.fileno()
        with selectors.DefaultSelector() as sel:
            sel.register(fd, selectors.EVENT_READ)
            while b"\n" not in self._buf:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise TimeoutError
                if not sel.select(left):
                    continue
                chunk = os.read(fd, 1 << 16)
                if not chunk:
                    raise _Dead
                self._buf += chunk
        line, self._buf = self._buf.split(b"\n", 1)
        return json.loads(line)


def _pdf_pages(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True, check=True).stdout
    match = re.search(r"^Pages:\s+(\d+)", info, re.M)
    return int(match.group(1)) if match else 0


def pdf_page_texts(pdf: Path) -> list[str]:
    """The text of each page (pdftotext -layout), NFKC-normalised so ligatures such as 'ﬁ' read as letters."""
    return [unicodedata.normalize("NFKC", subprocess.run(
        ["pdftotext", "-layout", "-f", str(n), "-l", str(n), str(pdf), "-"], capture_output=True, text=True,
        check=True).stdout) for n in range(1, _pdf_pages(pdf) + 1)]


def pages_by_sheet(texts: list[str], names: Iterable[str]) -> dict[str | None, list[int]]:
    """1-based page numbers of each sheet of a printed workbook, in print order, told by the sheet name in
    the first line of each page (spi4xl's print header carries it, centred); None: pages naming no one sheet."""
    out: dict[str | None, list[int]] = {}
    names = list(names)
    for n, text in enumerate(texts, start=1):
        head = next((line for line in text.splitlines() if line.strip()), "").strip()
        found = [name for name in names if re.search(rf"(^|\s{{2}}){re.escape(name)}(\s{{2}}|$)", head)]
        out.setdefault(found[0] if len(found) == 1 else None, []).append(n)
    return out
