"""`spi4xl report`: the report's numbers are `spi4xl score --json`'s, in three languages; the page is one
self-contained file that opens in headless Chromium without an error or a request; the PDF has sane pages and
extractable text; bad input is one line; folders give one report per audit.
"""

from __future__ import annotations

import base64
import dataclasses
import json
import os
import re
import subprocess
import sys
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest

from audits import CATALOG, random_audit
from pixels import png_pixels
from spi4xl.errors import Spi4xlError
from spi4xl.report.model import ReportInput, previous_audit, report_warnings
from spi4xl.report.numbers import percent
from spi4xl.report.pdf import Browser, find_browser
from spi4xl.scoring import score
from spi4xl.ui import ui
from spi4xl.workbook.read import read_audit
from spi4xl.workbook.render import render

REPO = Path(__file__).resolve().parents[1]
SAMPLES = {lang: REPO / "samples" / f"sample-audit-{lang}.xlsx" for lang in ("en", "fr")}


def spi4xl(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SPI4XL_")}
    return subprocess.run([sys.executable, "-m", "spi4xl", *args], capture_output=True, text=True, timeout=300,
                          env={**env, "LC_ALL": "C.UTF-8"}, cwd=REPO)


class Numbers(HTMLParser):
    """Every element carrying data-unit / data-field / data-value, with its shown text."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[dict] = []
        self.open: list[dict | None] = []
        self.plan_rows = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        if tag in ("meta", "br", "hr", "img", "input", "link"):
            return  # no end tag follows
        if tag == "tr" and "data-code" in a:
            self.plan_rows += 1
        cell = {"unit": a["data-unit"], "field": a["data-field"], "value": a["data-value"], "text": ""} \
            if "data-unit" in a else None
        if cell:
            self.cells.append(cell)
        self.open.append(cell)

    def handle_endtag(self, tag: str) -> None:
        if self.open:
            self.open.pop()

    def handle_data(self, data: str) -> None:
        for cell in self.open:
            if cell is not None:
                cell["text"] += data


def parsed(path: Path) -> Numbers:
    parser = Numbers()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


@pytest.fixture(scope="module")
def en_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("report") / "report.html"
    done = spi4xl("report", str(SAMPLES["en"]), "--out", str(out))
    assert done.returncode == 0, done.stderr
    return out


@pytest.mark.parametrize("lang", ["en", "fr", "es"])
def test_the_report_shows_the_numbers_of_score_json(tmp_path: Path, lang: str) -> None:
    sample = SAMPLES["fr"]
    want = json.loads(spi4xl("score", str(sample), "--json").stdout)
    done = spi4xl("report", str(sample), "--out", str(tmp_path / "r.html"), "--lang", lang)
    assert done.returncode == 0, done.stderr
    page = parsed(tmp_path / "r.html")
    seen = set()
    for cell in page.cells:
        section, _, code = cell["unit"].partition(".")
        unit = want[section][code] if code else want[section]
        value = unit[cell["field"]]
        assert (float(cell["value"]) if cell["value"] else None) == value, cell  # the exact number, not rounded
        if cell["field"] in ("score", "completion"):
            assert cell["text"].strip() == percent(value, lang), cell  # and shown as the language writes it
        else:
            assert cell["text"].split("/")[0].strip() == str(value) and cell["text"].split("/")[1].strip() == str(unit["total"])
        seen.add((section, code))
    every = {(s, c) for s in ("dimensions", "standards", "client_protection") for c in want[s]}
    assert every | {("overall", ""), ("alinus", "")} <= seen  # every unit is in the report
    assert page.plan_rows == want["plan"]["gaps"] > 0  # the action plan lists every gap
    text = unescape((tmp_path / "r.html").read_text(encoding="utf-8"))
    assert f'<html lang="{lang}">' in text and ui("report.title", lang) in text
    assert ui("report.summary.overall", lang, score=percent(want["overall"]["score"], lang),
              answered=want["overall"]["answered"], total=want["overall"]["total"],
              completion=percent(want["completion"], lang)) in text


def test_the_report_is_one_file_that_asks_for_nothing(en_report: Path) -> None:
    text = en_report.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=|<script|<link|@import|url\(""", text, re.I)
    assert text.count("<svg") == 4 and 'name="viewport"' in text


@pytest.fixture(scope="module")
def browser():
    try:
        find_browser()
    except Spi4xlError:
        pytest.fail("chromium is not installed: run scripts/setup-tests.sh (as root) to install Debian's package")
    with Browser() as b:
        yield b




@pytest.mark.slow
@pytest.mark.parametrize("width", [390, 1000])  # a phone, a desktop
def test_the_page_opens_in_chromium_without_errors_or_requests(browser: Browser, en_report: Path, width: int) -> None:
    session = browser.open(en_report, "Runtime", "Log", "Network")
    browser.send("Emulation.setDeviceMetricsOverride", session, width=width, height=900, deviceScaleFactor=1,
                 mobile=width < 500)
    shot = base64.b64decode(browser.send("Page.captureScreenshot", session, format="png")["data"])
    geometry = browser.send("Runtime.evaluate", session, returnByValue=True, expression="""JSON.stringify({
        charts: [...document.querySelectorAll('svg.chart')].map(s => s.getBoundingClientRect().width),
        scroll: document.documentElement.scrollWidth, view: window.innerWidth})""")
    found = json.loads(geometry["result"]["value"])
    events = [e for e in browser.events if e.get("sessionId") == session]
    errors = [e for e in events if e["method"] == "Runtime.exceptionThrown"
              or (e["method"] == "Runtime.consoleAPICalled" and e["params"]["type"] in ("error", "warning"))
              or (e["method"] == "Log.entryAdded" and e["params"]["entry"]["level"] in ("error", "warning"))]
    requests = [e["params"]["request"]["url"] for e in events if e["method"] == "Network.requestWillBeSent"]
    assert errors == []
    assert requests == [en_report.resolve().as_uri()]  # the page itself, nothing else
    assert len(found["charts"]) == 4 and min(found["charts"]) > 0.8 * min(width, 680) - 40  # charts fit the screen
    assert found["scroll"] <= found["view"]  # nothing wider than a phone's screen: wide tables scroll in their box
    w, h, rows = png_pixels(shot)
    assert (w, h) == (width, 900)
    pixels = {row[i:i + 3] for row in rows[::4] for i in range(0, len(row), 12)}
    assert len(pixels) > 20  # not blank
    assert any(abs(p[0] - 0x2E) < 12 and abs(p[1] - 0x75) < 12 and abs(p[2] - 0xB6) < 12 for p in pixels)  # the blue of the charts


def pdf_text(path: Path) -> tuple[int, str, str]:
    """Pages, pdfinfo's lines and the text of a PDF."""
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"Pages:\s+(\d+)", info)[1])
    return pages, info, subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                                       check=True).stdout


@pytest.mark.slow
def test_the_pdf_has_sane_pages_and_its_text_can_be_read(tmp_path: Path) -> None:
    out = tmp_path / "rapport.pdf"
    done = spi4xl("report", str(SAMPLES["fr"]), "--out", str(out))
    assert done.returncode == 0, done.stderr
    pages, info, text = pdf_text(out)
    want = json.loads(spi4xl("score", str(SAMPLES["fr"]), "--json").stdout)
    assert 4 <= pages <= 40
    assert ui("report.title", "fr").upper() in text and ui("sheet.plan", "fr") in text  # the cover shows it in capitals
    assert percent(want["overall"]["score"], "fr").replace("\u00a0", " ") in text.replace("\u00a0", " ")
    assert f"Page 1 sur {pages}" in text and f"Page {pages} sur {pages}" in text  # the footer, in French
    assert "(A4)" in info  # French prints on A4


@pytest.mark.slow
def test_without_the_devtools_pipe_the_browser_prints_on_its_own(tmp_path: Path, en_report: Path) -> None:
    """The way Windows prints (no pipe): one browser process per report."""
    with Browser(pipe=False) as b:
        b.pdf(en_report, tmp_path / "once.pdf", "unused")
    pages, _, text = pdf_text(tmp_path / "once.pdf")
    assert pages >= 4 and ui("report.title", "en").upper() in text


def test_bad_input_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "notes.xlsx").write_text("not a workbook")
    for args, code in (([str(tmp_path / "notes.xlsx"), "--out", str(tmp_path / "r.html")], "file."),
                       ([str(SAMPLES["en"]), "--out", str(tmp_path / "r.txt")], "report.out_format"),
                       ([str(SAMPLES["en"]), "--out", str(tmp_path / "r.html"), "--previous", str(tmp_path / "notes.xlsx")], "file."),
                       ([str(REPO / "samples"), "--out", str(tmp_path / "out"), "--previous", str(SAMPLES["fr"])],
                        "report.previous_folder")):
        done = spi4xl("report", *args)
        assert done.returncode == 1 and done.stdout == ""
        assert len(done.stderr.strip().splitlines()) == 1 and f"[{code}" in done.stderr, done.stderr
    assert not (tmp_path / "r.html").exists()


def test_the_browser_named_in_the_environment_must_exist(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SPI4XL_BROWSER", "/nowhere/chrome")
    with pytest.raises(Spi4xlError) as caught:
        find_browser()
    assert caught.value.code == "report.browser_env"


# --- the previous audit ---------------------------------------------------------------------------
def test_a_previous_audit_of_another_catalog_is_scored_by_code_or_refused() -> None:
    now = random_audit(3, "en", fill=0.9)
    before = random_audit(4, "en", fill=0.9)
    older = dataclasses.replace(before, catalog_version="0.9.0", answers={**before.answers, "9Z.1.1": "yes"})
    prev = previous_audit(older, CATALOG, "old.xlsx")
    assert prev.dropped == 1 and prev.carried == len(before.answers)
    assert prev.scores.overall == score(before, CATALOG).overall  # the unknown code changes nothing
    data = ReportInput(CATALOG, now, score(now, CATALOG), [], "fr", previous=prev)
    assert report_warnings(data) == [ui("report.warning.catalog", "fr", carried=prev.carried, dropped=1)]
    foreign = dataclasses.replace(before, edition="usspm-2022", answers={"4.A.1.1": "yes"})
    with pytest.raises(Spi4xlError) as caught:
        previous_audit(foreign, CATALOG, "other.xlsx")
    assert caught.value.code == "report.previous_edition"


@pytest.mark.slow
def test_previous_audit_and_peers_in_the_report(tmp_path: Path) -> None:
    """Change since the previous audit per unit, a warning when the organization differs, and peer bands."""
    audit = read_audit(SAMPLES["en"])
    older = dataclasses.replace(audit, answers={c: a for i, (c, a) in enumerate(audit.answers.items()) if i % 3},
                                metadata={**audit.metadata, "organization": "Another provider"})
    render(CATALOG, "en", older, tmp_path / "older.xlsx")
    for i, seed in enumerate((5, 6, 7)):
        render(CATALOG, "en", random_audit(seed, "en", fill=0.8), tmp_path / "peers" / f"p{i}.xlsx")
    assert spi4xl("batch", str(tmp_path / "peers"), "--out", str(tmp_path / "peers.csv"), "--quiet").returncode == 0
    done = spi4xl("report", str(SAMPLES["en"]), "--out", str(tmp_path / "r.html"), "--previous", str(tmp_path / "older.xlsx"),
                  "--peers", str(tmp_path / "peers.csv"))
    assert done.returncode == 0, done.stderr
    warning = ui("report.warning.organization", "en", previous="Another provider", current=audit.metadata["organization"])
    assert ui("cli.warning", "en", message=warning) in done.stderr
    text = unescape((tmp_path / "r.html").read_text(encoding="utf-8"))
    assert warning in text
    now, before = score(audit, CATALOG), score(older, CATALOG)
    change = (now.overall.score - before.overall.score)
    assert f"({100 * change:+.1f} points)" in text
    assert text.count('class="band"') == 19 + 7  # a peer band on every bar of the standards and principles charts
    assert ui("col.percentile", "en") in text


# --- folders --------------------------------------------------------------------------------------
@pytest.mark.slow
def test_a_folder_gives_one_report_per_audit(tmp_path: Path) -> None:
    (tmp_path / "in" / "sub").mkdir(parents=True)
    for name, sample in (("a.xlsx", SAMPLES["en"]), ("sub/a.xlsx", SAMPLES["fr"])):
        (tmp_path / "in" / name).write_bytes(sample.read_bytes())
    (tmp_path / "in" / "broken.xlsx").write_text("no")
    done = spi4xl("report", str(tmp_path / "in"), "--out", str(tmp_path / "out"), "--format", "pdf")
    assert done.returncode == 0
    assert sorted(p.relative_to(tmp_path / "out").as_posix() for p in (tmp_path / "out").rglob("*.pdf")) == ["a.pdf", "sub/a.pdf"]
    assert "broken.xlsx" in done.stderr and "3/3 [" in done.stderr  # skipped, and the progress bar
    assert ui("cli.report.folder", "en", path=tmp_path / "out", written=2, skipped=1) in done.stdout
