"""The VBA project and buttons of the .xlsm: modules, RunPython targets, determinism, LibreOffice."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest
import xlsxwriter
import xlwings

from spi4xl.workbook import vba
from spi4xl.xl import macros

CAPTIONS = {"populate": "Remplir", "validate": "Valider", "score": "Calculer le score",
            "merge": "Fusionner les fichiers des services", "report": "Rapport"}
FIXED = dt.datetime(2024, 1, 2, 3, 4, 5)


def build(path: Path) -> Path:
    """A small .xlsm the way the renderer makes one: two sheets, the project, three buttons."""
    book = xlsxwriter.Workbook(str(path))
    book.set_properties({"created": FIXED})
    audit, lists = book.add_worksheet("Audit"), book.add_worksheet("Lists")
    audit.write(0, 0, "spi4xl:questionnaire")
    vba.add_vba(book, [audit, lists])
    vba.add_buttons(audit, 1, 1, CAPTIONS)
    book.close()
    return path


@pytest.fixture(scope="module")
def xlsm(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build(tmp_path_factory.mktemp("vba") / "audit.xlsm")


@pytest.fixture(scope="module")
def modules(xlsm: Path) -> dict[str, str]:
    return vba.read_vba_modules(xlsm)


def lines(text: str) -> list[str]:
    """Source lines without attribute lines, whatever the line endings."""
    return [ln for ln in text.splitlines() if not ln.startswith("Attribute ")]


def test_project_holds_the_standalone_modules_and_ours(modules: dict[str, str]) -> None:
    assert list(modules) == ["ThisWorkbook", "Sheet1", "Sheet2", "xlwings", "Dictionary", "spi4xl"]


def test_spi4xl_module_has_the_four_subs(modules: dict[str, str]) -> None:
    source = modules["spi4xl"]
    assert source.startswith('Attribute VB_Name = "spi4xl"\r\n')
    assert re.findall(r"^Public Sub (\w+)\(\)", source, re.M) == ["Populate", "Validate", "Score", "MergeDepartmentFiles", "Report"]
    assert vba.run_python_targets(source) == [
        ("spi4xl.xl.macros", "populate"), ("spi4xl.xl.macros", "validate"), ("spi4xl.xl.macros", "score"),
        ("spi4xl.xl.macros", "merge"), ("spi4xl.xl.macros", "report")]
    assert f"Public Function {macros.PICKER.split('.')[1]}() As String" in source  # the Merge button's file picker
    # Each button's macro names a Sub of the module.
    for macro in vba.MACROS.values():
        module, sub = macro.split(".")
        assert module == "spi4xl" and f"Public Sub {sub}()" in source


def test_xlwings_module_is_the_installed_one(modules: dict[str, str]) -> None:
    installed = vba.XLWINGS_BAS.read_text(encoding="ascii")
    assert vba.XLWINGS_BAS.parent == Path(xlwings.__file__).parent
    assert vba.XLWINGS_VERSION == xlwings.__version__
    assert lines(modules["xlwings"]) == lines(installed)
    assert f'XLWINGS_VERSION As String = "{xlwings.__version__}"' in modules["xlwings"]
    assert f'"xlwings64-{xlwings.__version__}.dll"' in modules["xlwings"]
    assert vba.run_python_targets(modules["xlwings"]) == []  # its RunPython mentions are comments
    # The class as xlwings ships it, less the VERSION/BEGIN/END block that exists only in export files.
    assert lines(modules["Dictionary"]) == lines(vba.DICTIONARY_CLS.read_text(encoding="ascii"))[4:]


def test_package_is_macro_enabled_with_code_names_and_buttons(xlsm: Path) -> None:
    with zipfile.ZipFile(xlsm) as z:
        types = z.read("[Content_Types].xml").decode()
        workbook = z.read("xl/workbook.xml").decode()
        sheets = [z.read(f"xl/worksheets/sheet{i}.xml").decode() for i in (1, 2)]
        vml = z.read("xl/drawings/vmlDrawing1.vml").decode()
        assert z.read("xl/vbaProject.bin") == vba.vba_project_bin(("Sheet1", "Sheet2"))
    assert "application/vnd.ms-excel.sheet.macroEnabled.main+xml" in types
    assert "application/vnd.ms-office.vbaProject" in types
    assert 'codeName="ThisWorkbook"' in workbook
    assert 'codeName="Sheet1"' in sheets[0] and 'codeName="Sheet2"' in sheets[1]
    assert re.findall(r"<x:FmlaMacro>(.*?)</x:FmlaMacro>", vml) == [
        "[0]!spi4xl.Populate", "[0]!spi4xl.Validate", "[0]!spi4xl.Score", "[0]!spi4xl.MergeDepartmentFiles", "[0]!spi4xl.Report"]
    for caption in CAPTIONS.values():
        assert caption in vml


REFERENCE = vba.XLWINGS_DIR / "quickstart_standalone.xlsm"  # xlwings' own standalone workbook, pinned version


def project_streams(path: Path) -> tuple[bytes, dict[str, tuple[int, bytes]]]:
    """(_VBA_PROJECT stream, module name -> (MODULEOFFSET, stream)) of a workbook's VBA project."""
    from pyopenvba.cfb import CFB
    from pyopenvba.vba import parse_vba_project

    cfb = CFB.from_bytes(zipfile.ZipFile(path).read("xl/vbaProject.bin"))
    streams = {m.name: (m.text_offset, cfb.get_stream_in_storage("VBA", m.stream_name))
               for m in parse_vba_project(cfb).modules}
    return cfb.get_stream_in_storage("VBA", "_VBA_PROJECT"), streams


def container_header(stream: bytes, offset: int) -> tuple[int, int]:
    """(signature byte, chunk flag and signature bits) of the compressed source container at `offset`."""
    header = int.from_bytes(stream[offset + 1: offset + 3], "little")
    return stream[offset], header & 0xF000


@pytest.mark.parametrize("path", [*(Path(__file__).resolve().parents[1] / "workbook_templates").glob("*.xlsm"), None])
def test_project_streams_are_laid_out_as_xlwings_standalone_workbook(path: Path | None, xlsm: Path) -> None:
    reference_project, reference_modules = project_streams(REFERENCE)
    ours_project, ours = project_streams(path or xlsm)
    # the short stream, version 0xFFFF: Excel compiles from source and ignores any cache
    assert ours_project == reference_project == vba.VBA_PROJECT_STREAM
    assert int.from_bytes(ours_project[2:4], "little") == 0xFFFF
    # a module written from source, as xlwings writes its own module: the container at offset 0
    offset, stream = reference_modules["xlwings"]
    assert offset == 0 and container_header(stream, 0) == (0x01, 0xB000)
    for name, (offset, stream) in ours.items():
        assert offset == 0, f"{name}: compiled code before its source"
        assert container_header(stream, 0) == container_header(reference_modules["xlwings"][1], 0), name
    assert set(reference_modules) - {"Module1", "Sheet2"} <= set(ours)  # its modules, bar its sample ones


def test_bin_is_identical_in_fresh_processes() -> None:
    code = ("import sys; from spi4xl.workbook.vba import vba_project_bin;"
            "sys.stdout.write(vba_project_bin(('Sheet1', 'Sheet2')).hex())")
    fresh = {**os.environ, "SPI4XL_CACHE_DIR": ""}  # built in each process, not read from the cache
    runs = [subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=fresh).stdout
            for _ in range(2)]
    assert runs[0] == runs[1] == vba.vba_project_bin(("Sheet1", "Sheet2")).hex()


def test_xlsm_is_byte_identical(tmp_path: Path) -> None:
    a, b = build(tmp_path / "a.xlsm"), build(tmp_path / "b.xlsm")
    assert a.read_bytes() == b.read_bytes()


def test_sheets_without_code_names_get_xlsxwriter_defaults(tmp_path: Path) -> None:
    book = xlsxwriter.Workbook(str(tmp_path / "named.xlsm"))
    first, second = book.add_worksheet(), book.add_worksheet()
    second.set_vba_name("Lists")
    vba.add_vba(book, [first, second])
    book.close()
    assert list(vba.read_vba_modules(tmp_path / "named.xlsm"))[:3] == ["ThisWorkbook", "Sheet1", "Lists"]


def test_bad_inputs_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        vba.vba_project_bin(("Sheet 1",))
    with pytest.raises(ValueError):
        vba.vba_project_bin(("ThisWorkbook",))
    book = xlsxwriter.Workbook(str(tmp_path / "refused.xlsx"))
    with pytest.raises(ValueError):
        vba.add_buttons(book.add_worksheet(), 0, 0, {"populate": "P", "score": "S"})
    book.close()


def test_run_python_targets() -> None:
    source = ('Sub A()\r\n    RunPython "import pkg.mod as m; m.go()"\r\nEnd Sub\r\n'
              "    ' RunPython \"import bar; bar.foo()\"\r\n"
              'Sub B()\r\n    RunPython ("import pkg.other; pkg.other.run()")\r\nEnd Sub\r\n')
    assert vba.run_python_targets(source) == [("pkg.mod", "go"), ("pkg.other", "run")]
    with pytest.raises(ValueError):
        vba.run_python_targets('RunPython "import pkg.mod as m; x.go()"')


# --- LibreOffice: a real Office loads the file, imports the VBA and binds the buttons ------------


@pytest.mark.libreoffice
def test_libreoffice_sees_modules_and_button_bindings(xlsm: Path, libreoffice: Any) -> None:
    seen = libreoffice.inspect(xlsm)
    assert not seen["repaired"] and not seen["warnings"]
    assert {"VBAProject.ThisWorkbook", "VBAProject.Sheet1", "VBAProject.Sheet2", "VBAProject.xlwings",
            "VBAProject.Dictionary", "VBAProject.spi4xl"} <= set(seen["basic_modules"])
    # macro is "" when LibreOffice finds no such Sub, so this proves each binding resolves.
    assert [(b["sheet"], b["label"], b["macro"]) for b in seen["buttons"]] == [
        ("Audit", CAPTIONS[key], f"VBAProject.{macro}") for key, macro in vba.MACROS.items()]


def test_installed_versions_are_importlib_metadata_s(tmp_path: Path, monkeypatch) -> None:
    """Read from the dist-info folder's name beside the package; importlib.metadata where that is not one folder."""
    import importlib.metadata

    for distribution, package in (("xlwings", "xlwings"), ("pyOpenVBA", "pyopenvba"), ("XlsxWriter", "xlsxwriter")):
        assert vba.installed_version(distribution, package) == importlib.metadata.version(distribution)
    (tmp_path / "spi4xl_fake").mkdir()
    (tmp_path / "spi4xl_fake" / "__init__.py").write_text("")
    for folder, version in (("spi4xl_fake-0.0.1.dist-info", "0.0.1"), ("spi4xl_fake_extra-9.dist-info", "9")):
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "METADATA").write_text(f"Metadata-Version: 2.1\nName: x\nVersion: {version}\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert vba.installed_version("spi4xl-fake", "spi4xl_fake") == "0.0.1"
    (tmp_path / "Spi4xl.Fake-0.0.2.dist-info").mkdir()  # two: importlib.metadata decides
    (tmp_path / "Spi4xl.Fake-0.0.2.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: x\nVersion: 0.0.2\n")
    assert vba.installed_version("spi4xl-fake", "spi4xl_fake") == importlib.metadata.version("spi4xl-fake")
