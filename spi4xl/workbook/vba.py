"""VBA for the macro-enabled workbook: a vbaProject.bin built from .bas text, and its buttons.

Why a bin is built here: a desktop button needs a macro, so the .xlsm carries a VBA project, and
XlsxWriter can only embed a finished vbaProject.bin. pyopenvba (pure Python) gives a skeleton
workbook the project Excel itself would make (ThisWorkbook plus one document module per sheet),
takes our modules, and the bin is lifted out of its output and handed to XlsxWriter; pyopenvba's
own save is not used for the real workbook because it keeps the xlsx content type.

The project holds what `xlwings quickstart --standalone` ships, so no xlwings add-in is needed:
module `xlwings` (the installed xlwings.bas, whose DLL names carry the pinned xlwings version) and
class `Dictionary` (xlwings.bas declares it on the Mac branch), plus our module `spi4xl`.

Source only, as Excel expects of a project it did not compile: the `_VBA_PROJECT` stream is the
7 bytes xlwings' own quickstart_standalone.xlsm carries (version 0xFFFF, no performance cache), so
Excel compiles every module from its source, and no module stream keeps compiled code before its
source (every MODULEOFFSET is 0, like the xlwings module of that reference file). pyopenvba's
template modules (ThisWorkbook, Sheet1) come with p-code, which is dropped.

Determinism: everything outside the modules comes from pyopenvba's baked-in template (fixed CFB
timestamps, fixed project GUID and protection strings), so the same inputs give the same bytes in
every process; `spi4xl build --check` relies on that.
"""

from __future__ import annotations

import functools
import importlib.util
import io
import os
import re
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from spi4xl.cache import cached


def installed_version(distribution: str, package: str) -> str:
    """The version of the installed `distribution` whose import package is `package`, found without importing
    either: from the name of the one dist-info folder beside the package (`name-version.dist-info`, the name
    normalized as the wheel spec says, as pip makes it), else by importlib.metadata (~25 ms to import and search
    for what a build needs) as for an editable install."""
    spec = importlib.util.find_spec(package)
    if spec is not None and spec.submodule_search_locations:
        folder = Path(next(iter(spec.submodule_search_locations))).parent
        wanted = _normalized(distribution)
        found = [version for name, _, version in (entry.name[:-len(".dist-info")].rpartition("-")
                                                  for entry in os.scandir(folder) if entry.name.endswith(".dist-info"))
                 if _normalized(name) == wanted]
        if len(found) == 1:
            return found[0]
    from importlib.metadata import version

    return version(distribution)


def _normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


# The installed xlwings, found without importing it: `import xlwings` pulls pandas (~0.3 s).
# Its distribution version is xlwings.__version__ (tests check that).
_XLWINGS_SPEC = importlib.util.find_spec("xlwings")
if _XLWINGS_SPEC is None or not _XLWINGS_SPEC.submodule_search_locations:
    raise ImportError("spi4xl's VBA project needs the xlwings package installed")
XLWINGS_DIR = Path(next(iter(_XLWINGS_SPEC.submodule_search_locations)))
XLWINGS_VERSION = installed_version("xlwings", "xlwings")
XLWINGS_BAS = XLWINGS_DIR / "xlwings.bas"
DICTIONARY_CLS = XLWINGS_DIR / "addin" / "Dictionary.cls"
SPI4XL_BAS = Path(__file__).resolve().parent.parent / "vba" / "spi4xl.bas"

# [MS-OVBA] 2.3.4.1: Reserved1 0x61CC, Version 0xFFFF ("compile from source"), Reserved2 0x00, Reserved3 0x0001,
# no PerformanceCache: byte for byte the stream of xlwings' quickstart_standalone.xlsm (tests compare them).
VBA_PROJECT_STREAM = b"\xcc\x61\xff\xff\x00\x01\x00"
WORKBOOK_CODE_NAME = "ThisWorkbook"
MODULE = "spi4xl"
# Button key -> macro. Module-qualified so no Sub of the same name in xlwings.bas can shadow it;
# XlsxWriter stores it as "[0]!spi4xl.Populate", which LibreOffice resolves to VBAProject.spi4xl.
MACROS: dict[str, str] = {"populate": f"{MODULE}.Populate",
                          "validate": f"{MODULE}.Validate",
                          "score": f"{MODULE}.Score",
                          "merge": f"{MODULE}.MergeDepartmentFiles",  # desktop only: Excel's own file picker
                          "report": f"{MODULE}.Report"}  # desktop only: writes the report beside the workbook

# `RunPython "import pkg.mod as m; m.func()"` (or `import pkg.mod; pkg.mod.func()`) on a code
# line; commented lines (leading ') do not match.
RUNPYTHON_RX = re.compile(
    r'^[ \t]*RunPython\b[ \t(]*"import\s+(?P<module>[\w.]+)(?:\s+as\s+(?P<alias>\w+))?\s*;'
    r'\s*(?P<target>[\w.]+)\.(?P<func>\w+)\(\)\s*"', re.MULTILINE)
_CODE_NAME_RX = re.compile(r"[A-Za-z]\w{0,30}")


def _crlf(text: str) -> str:
    """VBA module streams use CRLF; the repository may hold LF."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def _read(path: Path) -> str:
    return _crlf(path.read_text(encoding="ascii"))


def xlwings_source() -> str:
    """xlwings.bas of the installed xlwings, checked against its version.

    RunPython loads xlwings<bits>-<version>.dll, so a module from any other xlwings would fail at
    the first click on a machine where only the pinned xlwings is installed.
    """
    source = _read(XLWINGS_BAS)
    if f"'Version: {XLWINGS_VERSION}\r\n" not in source:
        raise RuntimeError(f"{XLWINGS_BAS} is not the module of xlwings {XLWINGS_VERSION}")
    return source


@functools.lru_cache(maxsize=None)
def vba_project_bin(sheet_code_names: tuple[str, ...] = ("Sheet1",)) -> bytes:
    """The vbaProject.bin for a workbook whose sheets carry these code names, in sheet order.

    Excel expects a document module per sheet code name, so the bin is specific to the sheet count;
    `add_vba` passes the right names. Made once per process, and kept in the user's cache (spi4xl.cache)
    under the hash of everything it is made from: the three module sources, the code names, this module's
    own code (the recipe) and the versions of pyopenvba and XlsxWriter. A hit spares importing pyopenvba.
    """
    for name in (WORKBOOK_CODE_NAME, *sheet_code_names):
        if not _CODE_NAME_RX.fullmatch(name):
            raise ValueError(f"{name!r} is not a VBA code name")
    if len({n.casefold() for n in sheet_code_names} | {WORKBOOK_CODE_NAME.casefold()}) != len(sheet_code_names) + 1:
        raise ValueError(f"duplicate code names in {sheet_code_names}")
    sources = {"xlwings": xlwings_source(), "Dictionary": _read(DICTIONARY_CLS), MODULE: _read(SPI4XL_BAS)}
    inputs = [Path(__file__).read_bytes(), "\0".join(sheet_code_names).encode(),
              *(f"{name}\0{text}".encode() for name, text in sources.items()),
              installed_version("pyOpenVBA", "pyopenvba").encode(), xlsxwriter.__version__.encode()]
    return cached("vba-project", inputs, lambda: _build_project(sheet_code_names, sources))


def _build_project(sheet_code_names: tuple[str, ...], sources: Mapping[str, str]) -> bytes:
    """Build the project with pyopenvba in a skeleton workbook (~0.14 s, and ~0.1 s to import pyopenvba)."""
    from pyopenvba import ExcelFile, VBAModuleKind

    with tempfile.TemporaryDirectory(prefix="spi4xl-vba-") as tmp:
        skeleton, built = Path(tmp, "skeleton.xlsm"), Path(tmp, "built.xlsm")
        book = xlsxwriter.Workbook(str(skeleton))
        book.set_vba_name(WORKBOOK_CODE_NAME)
        for name in sheet_code_names:  # pyopenvba reads the code names from the package
            book.add_worksheet(name).set_vba_name(name)
        book.close()
        with ExcelFile(skeleton) as host:
            project = host.add_vba_project()
            project.add_module("xlwings", sources["xlwings"])
            project.add_module("Dictionary", sources["Dictionary"], kind=VBAModuleKind.other)
            project.add_module(MODULE, sources[MODULE])
            host.save(built)
        with zipfile.ZipFile(built) as package:
            return source_only(package.read("xl/vbaProject.bin"))


def source_only(project_bin: bytes) -> bytes:
    """The project with no compiled code left: modules from their source at offset 0, the short _VBA_PROJECT."""
    from pyopenvba.cfb import CFB
    from pyopenvba.vba import compress, parse_vba_project, serialize_dir_stream

    cfb = CFB.from_bytes(project_bin)
    project = parse_vba_project(cfb)
    for module in project.modules:
        if module.text_offset:
            stream = cfb.get_stream_in_storage("VBA", module.stream_name)
            cfb.write_stream_in_storage("VBA", module.stream_name, stream[module.text_offset:])
            module.text_offset = 0
    cfb.write_stream_in_storage("VBA", "dir", compress(serialize_dir_stream(project)))
    cfb.write_stream_in_storage("VBA", "_VBA_PROJECT", VBA_PROJECT_STREAM)
    return cfb.to_bytes()


def add_vba(workbook: xlsxwriter.Workbook, sheets: Sequence[Worksheet]) -> None:
    """Embed the VBA project and give the workbook and `sheets` the code names it declares.

    Pass every sheet of the workbook, in order, once they are all added: a sheet left out gets
    a code name (XlsxWriter's SheetN) with no document module behind it.
    """
    names = []
    for sheet in sheets:
        if not isinstance(sheet, Worksheet):  # a chart sheet's document module has another base
            raise TypeError(f"{sheet!r}: only worksheets get a document module")
        if sheet.vba_codename is None:
            sheet.set_vba_name()  # "Sheet<index+1>", what XlsxWriter would write anyway
        names.append(sheet.vba_codename)
    workbook.set_vba_name(WORKBOOK_CODE_NAME)
    workbook.add_vba_project(io.BytesIO(vba_project_bin(tuple(names))), is_stream=True)


def add_buttons(worksheet: Worksheet, first_cell_row: int, col: int, captions: Mapping[str, str],
                *, width: int = 170, height: int = 26, gap: int = 6) -> None:
    """The form buttons of MACROS (populate, validate, score, merge, report), stacked from cell (first_cell_row, col).

    All are anchored at one cell and moved down by pixel offsets, so the stack keeps its shape
    whatever the row heights. Captions come from the caller, already translated.
    """
    if set(captions) != set(MACROS):
        raise ValueError(f"captions need exactly the keys {sorted(MACROS)}, got {sorted(captions)}")
    for i, (key, macro) in enumerate(MACROS.items()):
        worksheet.insert_button(first_cell_row, col, {
            "macro": macro, "caption": captions[key], "description": captions[key],
            "width": width, "height": height, "y_offset": i * (height + gap)})


def read_vba_modules(path: str | Path) -> dict[str, str]:
    """Module name -> VBA source (CRLF, attribute lines included) of a built .xlsm."""
    from pyopenvba import ExcelFile

    with ExcelFile(path) as book:
        return book.vba_modules()


def run_python_targets(source: str) -> list[tuple[str, str]]:
    """(module, function) for each RunPython call in `source`, so tests can check they exist."""
    targets = []
    for match in RUNPYTHON_RX.finditer(source):
        if match["target"] not in (match["alias"] or match["module"],):
            raise ValueError(f"RunPython calls {match['target']}, which it did not import: {match[0]}")
        targets.append((match["module"], match["func"]))
    return targets
