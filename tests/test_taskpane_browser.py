"""The add-in's task pane as a web page in a real browser: headless Chromium, driven over CDP.

`spi4xl serve` serves the page; Chromium (Debian's package, installed by scripts/setup-tests.sh) loads
it with tests/data/office_stub.js answering for Office.js (the office.js request is fulfilled with it,
so nothing leaves the machine) over the sample audit's values. The test clicks Score, takes the writes
the page made through the Excel API, replays them on a copy of the sample, recalculates it in
LibreOffice and compares the Results sheet with `spi4xl score --json`.
"""

from __future__ import annotations

import base64
import itertools
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from spi4xl.xl.payload import payload
from xl_helpers import replay, role_sheet, table

pytestmark = [pytest.mark.server, pytest.mark.libreoffice]

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "samples" / "sample-audit-en.xlsx"
STUB = Path(__file__).parent / "data" / "office_stub.js"
CHROMIUM = shutil.which("chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--remote-debugging-port=0"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server() -> Any:
    """`spi4xl serve` on a free local port (the non-commercial xlwings key in its environment: tests only)."""
    port = free_port()
    env = {**os.environ, "XLWINGS_LICENSE_KEY": "noncommercial"}
    env.pop("SPI4XL_BASE_URL", None)
    env.pop("SPI4XL_SERVER_TOKEN", None)
    proc = subprocess.Popen([sys.executable, "-m", "spi4xl", "serve", "--host", "127.0.0.1", "--port", str(port)],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(f"{base}/healthz", timeout=1)
                break
            except OSError:
                if proc.poll() is not None:
                    raise AssertionError(proc.stdout.read().decode())
                time.sleep(0.1)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


class Page:
    """One Chromium tab over the DevTools protocol (websocket)."""

    def __init__(self, ws_url: str) -> None:
        from websockets.sync.client import connect

        self.ws = connect(ws_url, max_size=None, open_timeout=20)
        self.ids = itertools.count(1)
        self.events: list[dict] = []

    def send(self, method: str, **params: Any) -> dict:
        msg_id = next(self.ids)
        self.ws.send(json.dumps({"id": msg_id, "method": method, "params": params}))
        while True:
            msg = json.loads(self.ws.recv(timeout=60))
            if msg.get("id") == msg_id:
                if "error" in msg:
                    raise AssertionError(f"{method}: {msg['error']}")
                return msg.get("result", {})
            self.events.append(msg)

    def wait_event(self, method: str, timeout: float = 60) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for i, event in enumerate(self.events):
                if event.get("method") == method:
                    return self.events.pop(i)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no {method} within {timeout} s")
            self.events.append(json.loads(self.ws.recv(timeout=remaining)))

    def eval(self, expression: str) -> Any:
        result = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise AssertionError(result["exceptionDetails"])
        return result["result"].get("value")


@pytest.fixture(scope="module")
def browser() -> Any:
    if CHROMIUM is None:
        pytest.fail("chromium is not installed: run scripts/setup-tests.sh (as root) to install Debian's package")
    profile = tempfile.mkdtemp(prefix="spi4xl-chromium-")
    proc = subprocess.Popen([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        port = None
        for line in proc.stderr:
            if (m := re.search(r"DevTools listening on ws://127\.0\.0\.1:(\d+)/", line)) is not None:
                port = int(m[1])
                break
        assert port, "chromium did not open its DevTools port"
        targets = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10))
        page = Page(next(t["webSocketDebuggerUrl"] for t in targets if t["type"] == "page"))
        yield page
        page.ws.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(profile, ignore_errors=True)


def open_taskpane(page: Page, base: str, book: dict) -> None:
    """Load the task pane with the stand-in answering for office.js and `book` as the workbook."""
    stub = base64.b64encode(STUB.read_bytes()).decode()
    page.send("Fetch.enable", patterns=[{"urlPattern": "*appsforoffice.microsoft.com*"}])
    page.send("Page.enable")
    page.send("Page.addScriptToEvaluateOnNewDocument", source=f"window.__BOOK__ = {json.dumps(book)};")
    page.send("Page.navigate", url=f"{base}/taskpane.html")
    paused = page.wait_event("Fetch.requestPaused")
    assert paused["params"]["request"]["url"].endswith("/office.js")
    page.send("Fetch.fulfillRequest", requestId=paused["params"]["requestId"], responseCode=200,
              responseHeaders=[{"name": "Content-Type", "value": "application/javascript"}], body=stub)
    page.wait_event("Page.loadEventFired")


def click_and_wait(page: Page, script: str, timeout: float = 90) -> str:
    page.eval(f"document.querySelector('button[data-script={script}]').click()")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if page.eval("document.querySelector('button[data-script=score]').disabled") is False:
            return page.eval("document.getElementById('messages').textContent")
        time.sleep(0.2)
    raise AssertionError(f"{script} did not finish within {timeout} s")


def test_score_in_the_task_pane_writes_what_spi4xl_score_computes(server: str, browser: Page, tmp_path: Path,
                                                                    libreoffice) -> None:
    want = json.loads(subprocess.run([sys.executable, "-m", "spi4xl", "score", str(SAMPLE), "--json"],
                                     capture_output=True, text=True, check=True, timeout=120).stdout)
    book = payload(SAMPLE, "Office.js")
    open_taskpane(browser, server, book)
    message = click_and_wait(browser, "score")
    assert message.startswith("Score\n"), message  # the alert, not an error
    overall = want["overall"]
    assert f"{100 * overall['score']:.1f} %" in message and f"{overall['answered']}/{overall['total']}" in message

    record = browser.eval("JSON.stringify({writes: window.__excel.writes, calls: window.__excel.calls})")
    record = json.loads(record)
    written = {w["sheet"] for w in record["writes"]}
    names = [s["name"] for s in book["sheets"]]
    assert written == {role_sheet(SAMPLE, "results")[0], role_sheet(SAMPLE, "dashboard")[0]}
    lifted = [c[1] for c in record["calls"] if c[0] == "unprotect"]
    assert sorted(lifted) == sorted(written) == sorted(c[1] for c in record["calls"] if c[0] == "protect")

    actions = [{"func": "setValues", "sheet_position": names.index(w["sheet"]), "start_row": w["row"],
                "start_column": w["column"], "row_count": len(w["values"]),
                "column_count": max(map(len, w["values"])), "values": w["values"], "args": []} for w in record["writes"]]
    replay(actions, SAMPLE, tmp_path / "replayed.xlsx")
    libreoffice.recalculate(tmp_path / "replayed.xlsx", tmp_path / "scored.xlsx")
    rows = {(r["level"], r["code"] or ""): r for r in table(role_sheet(tmp_path / "scored.xlsx", "results")[1])
            if r.get("level")}
    expected = {("overall", ""): overall, **{("dimension", code): unit for code, unit in want["dimensions"].items()},
                **{("standard", code): unit for code, unit in want["standards"].items()}}
    for key, unit in expected.items():
        got = rows[key]
        assert (got["answered"], got["applicable"], got["total"]) == (unit["answered"], unit["applicable"], unit["total"]), key
        assert got["score"] == pytest.approx(unit["score"], abs=1e-9) if unit["score"] is not None else got["score"] is None, key
