"""One audit rendered as several files at once (render_formats: the sheets written once, the other formats
finished in forked copies) gives exactly the files render() writes; without fork, or when a copy fails, too."""

from __future__ import annotations

import os
import threading
import zipfile
from pathlib import Path

import pytest

from audits import CATALOG, random_audit
from spi4xl import processes
from spi4xl.validation import validate
from spi4xl.workbook import render as render_module
from spi4xl.workbook.render import render, render_formats


OPTIONS = {"interpreters": {"Interpreter_Win": "C:\\Python311\\pythonw.exe"}, "paper": "letter"}


@pytest.fixture(scope="module")
def expected(tmp_path_factory) -> tuple:
    audit = random_audit(3, "fr")
    findings = validate(audit, CATALOG)
    folder = tmp_path_factory.mktemp("one-by-one")
    files = {fmt: render(CATALOG, "fr", audit, folder / f"a.{fmt}", findings=findings, **OPTIONS).read_bytes()
             for fmt in ("xlsx", "xlsm")}
    return audit, findings, files


def recorded(monkeypatch, replacement=None) -> list:
    """Replace render's start_forked (by `replacement`, else the real one) and record what each copy's wait says."""
    seen: list = []

    def start(work):
        wait = (replacement or processes.start_forked)(work)
        if wait is None:
            seen.append(None)
            return None
        return lambda: seen.append(wait()) or seen[-1]
    monkeypatch.setattr(render_module, "start_forked", start)
    return seen


@pytest.mark.parametrize("order", [("xlsx", "xlsm"), ("xlsm", "xlsx")])
def test_formats_rendered_together_are_the_files_render_writes(order, expected, tmp_path, monkeypatch) -> None:
    audit, findings, files = expected
    seen = recorded(monkeypatch)
    outs = render_formats(CATALOG, "fr", audit, [tmp_path / f"b.{fmt}" for fmt in order], findings=findings, **OPTIONS)
    assert seen == [True]  # the second file came from a forked copy
    assert [out.read_bytes() for out in outs] == [files[fmt] for fmt in order]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"b.{fmt}" for fmt in order)
    with zipfile.ZipFile(tmp_path / "b.xlsm") as package:  # the options reached the file the copy finished
        assert "C:\\Python311\\pythonw.exe" in package.read("xl/sharedStrings.xml").decode()


@pytest.mark.parametrize("how", ["no fork", "the copy fails"])
def test_without_a_copy_the_file_is_rendered_here(how, expected, tmp_path, monkeypatch) -> None:
    audit, findings, files = expected
    failing = lambda work: processes.start_forked(lambda: 1 / 0)  # noqa: E731
    seen = recorded(monkeypatch, (lambda work: None) if how == "no fork" else failing)
    outs = render_formats(CATALOG, "fr", audit, [tmp_path / "c.xlsx", tmp_path / "c.xlsm"], findings=findings,
                          **OPTIONS)
    assert seen == ([None] if how == "no fork" else [False])
    assert [out.read_bytes() for out in outs] == [files["xlsx"], files["xlsm"]]


def test_a_forked_copy_reports_success_or_failure_and_ends(tmp_path) -> None:
    marker = tmp_path / "written"
    ok = processes.start_forked(lambda: marker.write_text(str(os.getpid())))
    assert ok is not None and ok() is True and int(marker.read_text()) != os.getpid()
    assert processes.start_forked(lambda: exit(3))() is False
    assert processes.start_forked(lambda: 1 / 0)() is False


def test_no_fork_while_threads_run() -> None:
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert processes.start_forked(lambda: None) is None
    finally:
        stop.set()
        thread.join()


def test_the_collector_is_paused_for_a_render_and_left_as_it_was(tmp_path, monkeypatch) -> None:
    import gc

    seen = []
    real = render_module._write_sheets
    monkeypatch.setattr(render_module, "_write_sheets", lambda *a, **k: seen.append(gc.isenabled()) or real(*a, **k))
    assert gc.isenabled()
    render(CATALOG, "en", None, tmp_path / "a.xlsx")
    assert seen == [False] and gc.isenabled()
    with pytest.raises(Exception):
        render(CATALOG, "en", None, tmp_path / "no-such-folder" / "\0" / "b.xlsx")
    assert gc.isenabled()
    gc.disable()
    try:
        render(CATALOG, "en", None, tmp_path / "c.xlsx")
        assert not gc.isenabled()  # off before: still off
    finally:
        gc.enable()


@pytest.mark.parametrize("outs", [("a.xlsx",), ("a.xlsx", "a.xlsm")])
def test_a_render_leaves_nothing_for_the_collector(outs, tmp_path) -> None:
    """Its workbook is freed by reference counts when it returns (book.Workbook.close breaks XlsxWriter's cycle):
    a collection after it finds none of its cells, sheets or workbook."""
    import gc

    from spi4xl.workbook.book import Workbook

    gc.collect()
    gc.disable()
    try:
        render_formats(CATALOG, "en", random_audit(5, "en"), [tmp_path / out for out in outs])
        gc.set_debug(gc.DEBUG_SAVEALL)
        gc.collect()
        left = [type(o).__name__ for o in gc.garbage if isinstance(o, Workbook) or type(o).__module__.startswith("xlsxwriter")]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert left == []
