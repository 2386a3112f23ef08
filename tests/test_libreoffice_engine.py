"""The LibreOffice engine: recalculation, inspection, rendering and failure handling on real files."""

from __future__ import annotations

import os
import signal
import time
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from pyopenvba import ExcelFile
from python_calamine import CalamineWorkbook

from spi4xl.engines.libreoffice import LibreOffice
from spi4xl.errors import Spi4xlError

pytestmark = pytest.mark.libreoffice


def cells(path: Path, sheet: str) -> list[list[object]]:
    return CalamineWorkbook.from_path(str(path)).get_sheet_by_name(sheet).to_python()


@pytest.fixture
def book(tmp_path: Path) -> Path:
    """An XlsxWriter workbook: a SUM whose cached value is 0, names, a list validation, two sheets."""
    path = tmp_path / "book.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Audit")
    for row, value in enumerate([1, 2, 3]):
        ws.write_number(row, 0, value)
    ws.write_formula("A4", "=SUM(A1:A3)")
    ws.write_formula("B1", "=Lists!A1&\"!\"")
    ws.data_validation("C1:C5", {"validate": "list", "source": "=Answers"})
    lists = wb.add_worksheet("Lists")
    lists.write_column("A1", ["Yes", "No", "Partly"])
    wb.define_name("Answers", "=Lists!$A$1:$A$3")
    wb.define_name("Audit!Total", "=Audit!$A$4")
    wb.close()
    return path


def test_recalculate_replaces_xlsxwriter_zero_cache(libreoffice: LibreOffice, book: Path, tmp_path: Path) -> None:
    assert cells(book, "Audit")[3][0] == 0  # what XlsxWriter stores: the reason this engine exists
    out = tmp_path / "out" / "recalculated.xlsx"
    libreoffice.recalculate(book, out)
    rows = cells(out, "Audit")
    assert rows[3][0] == 6
    assert rows[0][1] == "Yes!"


def test_inspect_reports_sheets_names_validations(libreoffice: LibreOffice, book: Path, tmp_path: Path) -> None:
    info = libreoffice.inspect(book)
    assert info["sheets"] == ["Audit", "Lists"]
    assert set(info["names"]) == {"Answers", "Audit!Total"}
    assert info["validations"] == {"Audit": 5, "Lists": 0}  # cells, not ranges
    assert info["basic_modules"] == [] and info["buttons"] == [] and info["repaired"] is False
    out = tmp_path / "recalculated.xlsx"
    libreoffice.recalculate(book, out)
    again = libreoffice.inspect(out)  # what we check survives LibreOffice's own round trip
    assert (again["sheets"], set(again["names"]), again["validations"]) == (
        info["sheets"], set(info["names"]), info["validations"])


def test_inspect_sees_vba_modules_and_button_bindings(libreoffice: LibreOffice, tmp_path: Path) -> None:
    seed = tmp_path / "seed.xlsm"
    with ExcelFile.create_new(seed) as project:
        project.set_module("Module1", 'Attribute VB_Name = "Module1"\nSub Hello()\n    MsgBox "hi"\nEnd Sub\n')
        project.save(str(seed))
    (tmp_path / "vbaProject.bin").write_bytes(zipfile.ZipFile(seed).read("xl/vbaProject.bin"))
    path = tmp_path / "buttons.xlsm"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Sheet1")
    wb.add_vba_project(str(tmp_path / "vbaProject.bin"))
    ws.insert_button("B2", {"macro": "Module1.Hello", "caption": "Say hi"})
    ws.insert_button("B6", {"macro": "Module1.Missing", "caption": "Broken"})
    wb.close()
    info = libreoffice.inspect(path)
    assert "VBAProject.Module1" in info["basic_modules"]
    first = info["buttons"][0]
    assert (first["sheet"], first["label"], first["macro"]) == ("Sheet1", "Say hi", "VBAProject.Module1.Hello")
    assert info["buttons"][1]["macro"] == ""  # LibreOffice drops a binding to a macro that does not exist


def test_unreadable_file_is_a_named_error_not_a_hang(libreoffice: LibreOffice, book: Path, tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.xlsx"
    garbage.write_bytes(b"not a workbook\n" * 100)
    truncated = tmp_path / "truncated.xlsx"
    truncated.write_bytes(book.read_bytes()[:3000])
    for bad in (garbage, truncated):
        start = time.monotonic()
        with pytest.raises(Spi4xlError, match=bad.name):
            libreoffice.inspect(bad)
        with pytest.raises(Spi4xlError, match=bad.name):
            libreoffice.recalculate(bad, tmp_path / "never.xlsx")
        assert time.monotonic() - start < 30
    assert not (tmp_path / "never.xlsx").exists()
    with pytest.raises(Spi4xlError, match="no such file"):
        libreoffice.inspect(tmp_path / "absent.xlsx")
    assert libreoffice.inspect(book)["sheets"] == ["Audit", "Lists"]  # the engine is still usable


def test_to_png_renders_chosen_sheets(libreoffice: LibreOffice, book: Path, tmp_path: Path) -> None:
    pngs = libreoffice.to_png(book, tmp_path / "png", sheets=["Lists"])
    assert [p.name for p in pngs] == ["book-02-Lists.png"]
    assert pngs[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and pngs[0].stat().st_size > 100
    assert len(libreoffice.to_png(book, tmp_path / "all")) == 2
    with pytest.raises(Spi4xlError, match="Nope"):
        libreoffice.to_png(book, tmp_path / "png", sheets=["Nope"])


def test_restarts_when_soffice_dies_and_close_ends_everything(book: Path) -> None:
    with LibreOffice() as engine:
        engine.inspect(book)
        office, worker = engine._soffice, engine._worker
        assert office is not None and worker is not None
        os.killpg(office.pid, signal.SIGKILL)
        office.wait(10)
        assert engine.inspect(book)["sheets"] == ["Audit", "Lists"]
        office = engine._soffice
        assert office is not None
        group = office.pid
    assert office.poll() is not None and worker.poll() is not None
    assert live_processes_in_group(group) == []


def live_processes_in_group(pgid: int) -> list[int]:
    """Processes of a group that are not zombies: soffice's one-off gpg helpers are reparented to
    init and linger as zombies until it reaps them, which is not ours to wait for."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, _ppid, pgrp = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, IndexError, ValueError):
            continue
        if int(pgrp) == pgid and state != "Z":
            out.append(int(stat.parent.name))
    return out


def test_missing_libreoffice_says_how_to_install(monkeypatch: pytest.MonkeyPatch, book: Path) -> None:
    monkeypatch.setattr("spi4xl.engines.libreoffice._soffice", lambda: None)
    with pytest.raises(Spi4xlError, match="run scripts/setup-tests.sh"):
        LibreOffice().inspect(book)
