"""The Office.js add-in asks Excel for what it calls: the manifest's ExcelApi set is the highest any call needs.

tests/data/office_js_api_sets.tsv lists every call spi4xl.js makes with its set from Microsoft's
reference. A call the table does not know (a new one, or one on another object) fails here until it
is added with its set; so does a manifest that asks for more or less than the highest.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
STATIC = REPO / "spi4xl" / "xl" / "static"
TABLE = Path(__file__).parent / "data" / "office_js_api_sets.tsv"
DOCS = REPO / "docs" / "office-js-api.md"
ACCESS = re.compile(r"(?<!\.)\.\s*([A-Za-z_$][\w$]*)")  # not the spread operator's "...x"
LOAD = re.compile(r"\.load\(\s*\"[^\"]*\"\s*\)")
STRINGS = re.compile(r"\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'|`(?:\\.|[^`\\])*`")
COMMENTS = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)


@dataclass(frozen=True)
class Row:
    set: str
    api: str
    pattern: re.Pattern

    @property
    def version(self) -> tuple[int, ...]:
        return tuple(int(p) for p in self.set.split("."))


def rows() -> list[Row]:
    out = []
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            set_, api, pattern = line.split("\t")
            out.append(Row(set_, api, re.compile(pattern)))
    return out


def calls(js: str) -> list[tuple[int, str]]:
    """(end, text) of each property/method access and each load("...") call, outside comments and strings."""
    js = COMMENTS.sub(lambda m: " " * len(m[0]), js)
    strings = [m.span() for m in STRINGS.finditer(js)]
    inside = lambda pos: any(a <= pos < b for a, b in strings)  # noqa: E731
    out = [(m.end(), m[0]) for m in LOAD.finditer(js)]
    loads = {m.start() for m in LOAD.finditer(js)}
    out += [(m.end(), m[0]) for m in ACCESS.finditer(js) if not inside(m.start()) and m.start() not in loads]
    return out


def ends_of(pattern: re.Pattern, text: str) -> set[int]:
    """Where matches of `pattern` end, overlapping ones included (window.location.origin holds two accesses)."""
    ends, pos = set(), 0
    while (m := pattern.search(text, pos)) is not None:
        ends.add(m.end())
        pos = m.start() + 1
    return ends


def needed(js: str) -> tuple[str, list[str], list[str]]:
    """(highest set used, calls no row covers, rows that match nothing)."""
    table = rows()
    js_plain = COMMENTS.sub(lambda m: " " * len(m[0]), js)
    matched = {row: ends_of(row.pattern, js_plain) for row in table}
    ends = set().union(*matched.values())
    uncovered = [f"{text!r} (char {end})" for end, text in calls(js) if end not in ends]
    unused = [row.pattern.pattern for row, hits in matched.items() if not hits]
    used = [row for row, hits in matched.items() if hits and row.set != "-"]
    return max(used, key=lambda r: r.version).set, uncovered, unused


def declared() -> str:
    ns = {"o": "http://schemas.microsoft.com/office/appforoffice/1.1"}
    text = re.sub(r"\{\{\w+(\.\w+)?\}\}", "x", (STATIC / "manifest.xml").read_text(encoding="utf-8"))
    (found,) = ET.fromstring(text).findall(".//o:Requirements/o:Sets/o:Set[@Name='ExcelApi']", ns)
    return found.get("MinVersion")


def test_manifest_asks_for_the_highest_set_spi4xl_js_needs() -> None:
    highest, uncovered, unused = needed((STATIC / "spi4xl.js").read_text(encoding="utf-8"))
    assert not uncovered, f"calls with no ExcelApi set in {TABLE.name}: {uncovered}"
    assert not unused, f"rows of {TABLE.name} that spi4xl.js no longer calls: {unused}"
    assert declared() == highest == "1.12"


@pytest.mark.parametrize("added", [
    "sheet.shapes.getItemOrNullObject('spi4xl_score');",  # ExcelApi 1.14
    "range.load(\"values,numberFormatCategories,valueTypes\");",
    "context.workbook.tables.add('A1:B2', true);",
])
def test_a_call_the_table_does_not_know_fails(added: str) -> None:
    js = (STATIC / "spi4xl.js").read_text(encoding="utf-8").replace('"use strict";', '"use strict";\n' + added, 1)
    assert needed(js)[1], added


def test_docs_list_every_call_with_its_set() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    for row in rows():
        if row.set != "-":
            assert f"| {row.api} | {row.set} |" in docs, row.api
    assert f"ExcelApi {declared()}" in docs


def test_serve_refuses_a_plain_http_base_url_office_would_not_load(capsys: pytest.CaptureFixture,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    from spi4xl.cli import check_base_url, main

    monkeypatch.delenv("SPI4XL_BASE_URL", raising=False)
    for url in ("http://audit.example.org", "http://10.0.0.5:8000", "ftp://audit.example.org", "audit.example.org"):
        assert main(["serve", "--base-url", url]) == 1
        err = capsys.readouterr().err.splitlines()
        assert err == [f"spi4xl: error [serve.base_url]: --base-url {url}: Office loads add-ins only from https addresses "
                       "(plain http only from localhost); give the https address of your TLS proxy, or serve with "
                       "--certfile/--keyfile and an https URL"]
    monkeypatch.setenv("SPI4XL_BASE_URL", "http://audit.example.org")  # the same from the environment
    assert main(["serve"]) == 1 and "Office loads add-ins only from https" in capsys.readouterr().err
    for url in ("https://audit.example.org/spi4xl", "http://localhost:8000", "http://127.0.0.1:8000", "http://[::1]:8000"):
        check_base_url(url)
