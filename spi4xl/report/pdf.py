"""The report's PDF, printed by a headless Chromium-family browser (Chromium, Chrome or Edge).

Why a browser: the PDF is then exactly the HTML page a reader sees (same engine, same CSS, the inline SVG
charts), with nothing to install from pip (WeasyPrint would need Pango and its fonts); the test suite
already runs Debian's `chromium`. Nothing is downloaded: a browser installed on the computer is used, or
the one SPI4XL_BROWSER names.

On Linux and macOS the browser is driven over its DevTools pipe (`--remote-debugging-pipe`: file
descriptors 3 and 4, no port opened): one browser prints any number of reports (`spi4xl report DIR`) and
is stopped without waiting for its slow shutdown. On Windows, where that pipe is not file descriptors,
each report is printed with `--print-to-pdf`.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from spi4xl.errors import Spi4xlError

BROWSER_ENV = "SPI4XL_BROWSER"
NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "microsoft-edge", "msedge", "chrome")
KNOWN_PATHS = (
    r"C:\Program Files (x86)\Microsoft\Edge\Application\msedge.exe",
    r"C:\Program Files\Microsoft\Edge\Application\msedge.exe",
    r"C:\Program Files\Google\Chrome\Application\chrome.exe",
    "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
    "/Applications/Chromium.app/Contents/MacOS/Chromium",
    "/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge",
)
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--disable-extensions", "--mute-audio")
TIMEOUT = 60  # seconds for one page to load and print


def find_browser() -> str:
    """The browser to print with: SPI4XL_BROWSER, else the first known name on PATH, else a usual install path."""
    wanted = os.environ.get(BROWSER_ENV)
    if wanted:
        found = shutil.which(wanted)
        if found is None:
            raise Spi4xlError("report.browser_env", path=wanted, env=BROWSER_ENV)
        return found
    for name in NAMES:
        if found := shutil.which(name):
            return found
    for path in KNOWN_PATHS:
        if Path(path).is_file():
            return path
    raise Spi4xlError("report.no_browser", env=BROWSER_ENV)


def _header_footer(footer: str) -> dict[str, Any]:
    """Chromium's own page footer: `footer` with {page} and {pages} as its page-number fields."""
    text = footer.replace("{page}", '<span class="pageNumber"></span>').replace("{pages}", '<span class="totalPages"></span>')
    return {"displayHeaderFooter": True, "headerTemplate": "<span></span>",
            "footerTemplate": f'<div style="font-size:8px;width:100%;text-align:center;color:#595959">{text}</div>'}


class Browser:
    """A headless browser that prints HTML files to PDF; a context manager (stopped on exit)."""

    def __init__(self, executable: str | None = None, *, pipe: bool | None = None) -> None:
        self.executable = executable or find_browser()
        self.pipe = (os.name == "posix") if pipe is None else pipe
        self.profile = tempfile.mkdtemp(prefix="spi4xl-browser-")
        self.process: subprocess.Popen | None = None
        self.events: list[dict[str, Any]] = []
        self._next = 0
        self._buffer = b""

    def __enter__(self) -> "Browser":
        if self.pipe:
            self._start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- the DevTools pipe ------------------------------------------------------------------------
    def _start(self) -> None:
        to_browser, self._writer = os.pipe()
        self._reader, from_browser = os.pipe()

        def fds() -> None:  # in the child: its ends of the pipes as descriptors 3 and 4, kept across exec
            a, b = os.dup(to_browser), os.dup(from_browser)
            os.dup2(a, 3)
            os.dup2(b, 4)

        try:
            self.process = subprocess.Popen([self.executable, *FLAGS, f"--user-data-dir={self.profile}",
                                             "--remote-debugging-pipe", "about:blank"], preexec_fn=fds, close_fds=False,
                                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        except OSError as exc:
            raise Spi4xlError("report.browser_failed", path=self.executable, reason=exc.strerror or str(exc)) from None
        finally:
            os.close(to_browser)
            os.close(from_browser)

    def send(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """One DevTools command; its result. Events met while waiting are kept in `events`."""
        self._next += 1
        message: dict[str, Any] = {"id": self._next, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        try:
            os.write(self._writer, json.dumps(message).encode() + b"\0")
            while True:
                reply = self._receive()
                if reply.get("id") == self._next:
                    break
                self.events.append(reply)
        except OSError as exc:
            raise Spi4xlError("report.browser_failed", path=self.executable, reason=exc.strerror or str(exc)) from None
        if "error" in reply:
            raise Spi4xlError("report.browser_failed", path=self.executable, reason=reply["error"].get("message", "?"))
        return reply.get("result", {})

    def _receive(self) -> dict[str, Any]:
        import select

        while b"\0" not in self._buffer:
            ready, _, _ = select.select([self._reader], [], [], TIMEOUT)
            chunk = os.read(self._reader, 1 << 20) if ready else b""
            if not chunk:
                raise OSError(0, "the browser stopped answering")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def wait_event(self, method: str, session: str) -> dict[str, Any]:
        while True:
            for i, event in enumerate(self.events):
                if event.get("method") == method and event.get("sessionId") == session:
                    return self.events.pop(i)
            try:
                self.events.append(self._receive())
            except OSError as exc:
                raise Spi4xlError("report.browser_failed", path=self.executable, reason=exc.strerror or str(exc)) from None

    def open(self, path: Path, *domains: str) -> str:
        """A new tab showing the file, fully loaded, with these DevTools domains enabled first; its session id."""
        target = self.send("Target.createTarget", url="about:blank")["targetId"]
        session = self.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        for domain in ("Page", *domains):
            self.send(f"{domain}.enable", session)
        self.send("Page.navigate", session, url=path.resolve().as_uri())
        self.wait_event("Page.loadEventFired", session)
        return session

    # --- printing ---------------------------------------------------------------------------------
    def pdf(self, html: Path, out: Path, footer: str) -> None:
        """Print the HTML file into `out`, with the page size its CSS asks for and `footer` on every page."""
        if not self.pipe:
            self._pdf_once(html, out)
            return
        session = self.open(html)
        result = self.send("Page.printToPDF", session, printBackground=True, preferCSSPageSize=True,
                           marginBottom=0.6, **_header_footer(footer))
        out.write_bytes(base64.b64decode(result["data"]))
        self.send("Target.closeTarget", targetId=self.send("Target.getTargetInfo", session)["targetInfo"]["targetId"])

    def _pdf_once(self, html: Path, out: Path) -> None:
        """Without the pipe: the browser's own --print-to-pdf, one process per report (no page numbers)."""
        try:
            done = subprocess.run([self.executable, *FLAGS, f"--user-data-dir={self.profile}", "--no-pdf-header-footer",
                                   f"--print-to-pdf={out}", html.resolve().as_uri()],
                                  stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise Spi4xlError("report.browser_failed", path=self.executable, reason=str(exc)) from None
        if done.returncode != 0 or not out.is_file():
            lines = done.stderr.decode(errors="replace").strip().splitlines()
            raise Spi4xlError("report.browser_failed", path=self.executable,
                              reason=" ".join(lines[-1].split())[:200] if lines else f"exit code {done.returncode}")

    def close(self) -> None:
        if self.process is not None:
            self.process.kill()  # a headless browser has nothing to save: no need to wait for its shutdown
            self.process.wait()
            os.close(self._writer)
            os.close(self._reader)
            self.process = None
        shutil.rmtree(self.profile, ignore_errors=True)

