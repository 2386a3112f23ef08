"""Bad input: every way a file can be wrong is one line on stderr and exit code 1, never a traceback.

Each broken file is made from a fresh render (or from nothing) in tmp_path and given to `read`,
`convert` and `score` through the real command line. Inputs are never written over.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from audits import CATALOG, random_audit
from spi4xl.catalog import load_catalog
from spi4xl.errors import Spi4xlError
from spi4xl.workbook import values
from spi4xl.workbook.read import read_workbook
from spi4xl.workbook.render import render, sheet_names

COMMANDS = {
    "read": ["read", "{path}"],
    "convert": ["convert", "{path}", "--lang", "fr", "--out", "{out}"],
    "score": ["score", "{path}"],
}


def cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "spi4xl", *args], capture_output=True, text=True, cwd=cwd, timeout=120)


def assert_one_line_error(proc: subprocess.CompletedProcess[str], *needles: str, code: str = r"[a-z_]+\.[a-z_0-9]+") -> str:
    """One line `spi4xl: error [<code>]: ...` holding every needle (`code`: a pattern of the expected code)."""
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr + proc.stdout
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and re.match(rf"spi4xl: error \[{code}\]: ", lines[0]), proc.stderr
    for needle in needles:
        assert needle.lower() in lines[0].lower(), (needle, lines[0])
    return lines[0]


def cli_many(commands: dict[str, list[str]], cwd: Path) -> dict[str, subprocess.CompletedProcess[str]]:
    """Several spi4xl commands side by side (each is its own Python process), results by key."""
    procs = {key: subprocess.Popen([sys.executable, "-m", "spi4xl", *args], cwd=cwd, text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for key, args in commands.items()}
    done = {}
    for key, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        done[key] = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    return done


def run_all(path: Path, cwd: Path) -> dict[str, subprocess.CompletedProcess[str]]:
    """read, convert and score on `path`."""
    return cli_many({name: [a.format(path=path, out=cwd / f"out-{name}.xlsx") for a in template]
                     for name, template in COMMANDS.items()}, cwd)


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A filled English workbook; tests copy it, never edit it."""
    return render(CATALOG, "en", random_audit(11), tmp_path_factory.mktemp("good") / "audit.xlsx")


def _edited(good: Path, dest: Path, edit: Callable[[openpyxl.Workbook], None]) -> Path:
    book = openpyxl.load_workbook(good)  # our own copy of our own render, never an auditor's file
    edit(book)
    book.save(dest)
    return dest


def _row_of(ws, code: str) -> int:
    return next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == code)


# --- the broken files: (name, maker(good, tmp_path) -> path, words the message must hold) ----------
def text_file(good: Path, tmp: Path) -> Path:
    path = tmp / "notes.xlsx"
    path.write_text("organization;score\nSynthetic MFI;0.7\n")
    return path


def truncated_zip(good: Path, tmp: Path) -> Path:
    path = tmp / "truncated.xlsx"
    path.write_bytes(good.read_bytes()[:5000])  # a download cut short: no central directory
    return path


def corrupt_member(good: Path, tmp: Path) -> Path:
    """A zip whose directory is intact but whose questionnaire part is garbage (a bad disk sector)."""
    data = bytearray(good.read_bytes())
    with zipfile.ZipFile(good) as z:
        info = next(i for i in z.infolist() if i.filename == "xl/worksheets/sheet3.xml")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for k in range(start + 100, start + 600):
        data[k] ^= 0x5A
    path = tmp / "corrupt.xlsx"
    path.write_bytes(bytes(data))
    return path


def encrypted(good: Path, tmp: Path) -> Path:
    """What Excel writes for 'Encrypt with password': an OLE compound file, whatever the extension."""
    path = tmp / "protected.xlsx"
    path.write_bytes(bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 504 + os.urandom(4096))
    return path


def xls_name(good: Path, tmp: Path) -> Path:
    path = tmp / "audit.xls"
    shutil.copyfile(good, path)
    return path


def other_tool(good: Path, tmp: Path) -> Path:
    path = tmp / "budget.xlsx"
    book = xlsxwriter.Workbook(str(path))
    ws = book.add_worksheet("Questionnaire")  # even a sheet of the right name does not make it ours
    ws.write_row(0, 0, ["code", "answer", "comment"])
    ws.write_row(1, 0, ["1A.1.1", "Yes", "spi4xl:questionnaire is mentioned here, but not in the first cell"])
    book.add_worksheet("Chart data").write_column(0, 0, [1, 2, 3])
    book.close()
    return path


def missing_questionnaire(good: Path, tmp: Path) -> Path:
    def edit(book: openpyxl.Workbook) -> None:
        del book["Questionnaire"]
    return _edited(good, tmp / "no-questionnaire.xlsx", edit)


def duplicated_code(good: Path, tmp: Path) -> Path:
    def edit(book: openpyxl.Workbook) -> None:
        ws = book["Questionnaire"]
        ws.cell(_row_of(ws, "1A.1.2"), 1).value = "1A.1.1"  # a row pasted over another, code included
    return _edited(good, tmp / "duplicated.xlsx", edit)


def deleted_key_row(good: Path, tmp: Path) -> Path:
    def edit(book: openpyxl.Workbook) -> None:
        book["Questionnaire"].delete_rows(1)  # the hidden row: an auditor unhid it and deleted it
    return _edited(good, tmp / "no-key-row.xlsx", edit)


def long_edition(good: Path, tmp: Path) -> Path:
    """An edition name of 5,000 characters in Settings: too long for a path, let alone an edition."""
    def edit(book: openpyxl.Workbook) -> None:
        for row in book["Settings"].iter_rows():
            if row[0].value == "edition":
                row[2].value = "a" * 5000
    return _edited(good, tmp / "long-edition.xlsx", edit)


def oversized(good: Path, tmp: Path) -> Path:
    path = tmp / "huge.xlsx"
    with path.open("wb") as fh:
        fh.truncate(values.MAX_FILE_BYTES + 1024 * 1024)  # sparse: no disk used
    return path


def folder(good: Path, tmp: Path) -> Path:
    path = tmp / "audits.xlsx"
    path.mkdir()
    return path


def missing(good: Path, tmp: Path) -> Path:
    return tmp / "absent.xlsx"


CASES = {  # name: (maker, error code, words the message must hold)
    "text file named .xlsx": (text_file, "file.corrupt", ["notes.xlsx", "not a valid workbook"]),
    "truncated zip": (truncated_zip, "file.corrupt", ["truncated.xlsx", "corrupt"]),
    "corrupt part inside the zip": (corrupt_member, "read.sheet_unreadable", ["corrupt.xlsx", "cannot be read"]),
    "password-protected": (encrypted, "file.encrypted_or_xls", ["protected.xlsx", "password"]),
    ".xls name": (xls_name, "file.not_xlsx", ["audit.xls", ".xlsx"]),
    "workbook from another tool": (other_tool, "read.not_spi4xl", ["budget.xlsx", "not an spi4xl workbook"]),
    "missing questionnaire sheet": (missing_questionnaire, "read.missing_sheet",
                                    ["no-questionnaire.xlsx", "spi4xl:questionnaire", "sheet is missing"]),
    "code duplicated by a copy-paste": (duplicated_code, "read.duplicate_code", ["duplicated.xlsx", "1A.1.1", "appears twice"]),
    "deleted hidden key row": (deleted_key_row, "read.missing_sheet", ["no-key-row.xlsx", "hidden first row"]),
    "over the size limit": (oversized, "file.too_large", ["huge.xlsx", "limit"]),
    "edition name of 5,000 characters": (long_edition, "read.unknown_edition", ["long-edition.xlsx", "catalog edition 'aaa"]),
    "folder": (folder, "file.is_folder", ["audits.xlsx", "folder"]),
    "missing file": (missing, "file.not_found", ["absent.xlsx", "no such file"]),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", list(CASES))
def test_bad_file_is_one_line_and_exit_1_for_read_convert_and_score(case: str, good: Path, tmp_path: Path) -> None:
    make, code, needles = CASES[case]
    path = make(good, tmp_path)
    before = hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None
    for name, proc in run_all(path, tmp_path).items():
        assert_one_line_error(proc, *needles, code=re.escape(code))
        assert proc.stdout == "", (name, proc.stdout)
    assert not list(tmp_path.glob("out-*.xlsx")), "convert wrote something for a file it refused"
    if before is not None:
        assert hashlib.sha256(path.read_bytes()).hexdigest() == before


def test_names_of_5000_characters_are_one_short_line(good: Path, tmp_path: Path) -> None:
    long = "b" * 5000
    for args in (["read", str(long_edition(good, tmp_path))], ["catalog", "show", long],
                 ["convert", str(good), "--lang", "fr", "--edition", long, "--out", str(tmp_path / "x.xlsx")]):
        line = assert_one_line_error(cli(*args, cwd=tmp_path), "edition")
        assert len(line) < 300, line


def test_an_io_error_no_command_foresaw_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    from spi4xl import cli

    def denied(args) -> int:
        raise PermissionError(13, "Permission denied", "/audits/locked.xlsx")

    monkeypatch.setitem(cli.COMMANDS, "read", denied)
    assert cli.main(["read", "locked.xlsx"]) == 1
    assert capsys.readouterr().err == "spi4xl: error [io.failed]: /audits/locked.xlsx: Permission denied\n"


def test_oversized_message_uses_the_documented_limit(good: Path, tmp_path: Path) -> None:
    proc = cli("read", str(oversized(good, tmp_path)), cwd=tmp_path)
    assert_one_line_error(proc, "over the 50 MB limit")


def test_size_limit_applies_in_process(monkeypatch: pytest.MonkeyPatch, good: Path) -> None:
    monkeypatch.setattr(values, "MAX_FILE_BYTES", good.stat().st_size - 1)
    with pytest.raises(Spi4xlError, match="limit"):
        read_workbook(good)
    monkeypatch.setattr(values, "MAX_FILE_BYTES", good.stat().st_size)
    assert read_workbook(good).audit.answers  # exactly at the limit is fine


@pytest.fixture(scope="module")
def unknown_edition(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A template rendered from a copy of the catalog renamed to an edition this spi4xl does not have."""
    root = tmp_path_factory.mktemp("catalogs")
    folder_ = root / "usspm-2099"
    shutil.copytree(load_catalog("usspm-2016").root, folder_)
    head = folder_ / "catalog.yaml"
    text = head.read_text(encoding="utf-8")
    assert "\nid: usspm-2016\n" in "\n" + text and "\nedition: usspm-2016\n" in text
    head.write_text(("\n" + text).replace("\nid: usspm-2016\n", "\nid: usspm-2099\n")
                    .replace("\nedition: usspm-2016\n", "\nedition: usspm-2099\n")[1:], encoding="utf-8")
    catalog = load_catalog(folder_)
    assert (catalog.id, catalog.edition) == ("usspm-2099", "usspm-2099")
    out = tmp_path_factory.mktemp("unknown") / "future.xlsx"
    return render(catalog, "fr", random_audit(4, "fr"), out)


def test_template_of_an_unknown_edition_is_refused(unknown_edition: Path, tmp_path: Path) -> None:
    for proc in run_all(unknown_edition, tmp_path).values():
        assert_one_line_error(proc, "future.xlsx", "usspm-2099")
    proc = cli("validate", str(unknown_edition), cwd=tmp_path)
    assert_one_line_error(proc, "usspm-2099")
    with pytest.raises(Spi4xlError, match="usspm-2099"):
        read_workbook(unknown_edition)


# --- convert never writes over its input ------------------------------------------------------
def _same_file_spellings(src: Path, work: Path) -> dict[str, str]:
    """Ways to name `src` from `work`: as given, relative with detours, and through a symlink."""
    (work / "sub").mkdir()
    link = work / "link.xlsx"
    link.symlink_to(src)
    linked_dir = work / "linked-dir"
    linked_dir.symlink_to(src.parent, target_is_directory=True)
    return {
        "same path": str(src),
        "relative path with a detour": os.path.join("sub", "..", os.path.relpath(src, work)),
        "symlink to it": str(link),
        "through a linked folder": str(linked_dir / src.name),
        "./ prefix": "./" + os.path.relpath(src, work),
    }


@pytest.mark.slow
@pytest.mark.parametrize("command", ["convert", "score", "validate"])
def test_out_equal_to_the_input_is_refused_and_the_input_untouched(command: str, good: Path, tmp_path: Path) -> None:
    src = tmp_path / "in" / "audit.xlsx"
    src.parent.mkdir()
    shutil.copyfile(good, src)
    digest, mtime = hashlib.sha256(src.read_bytes()).hexdigest(), src.stat().st_mtime_ns
    spellings = _same_file_spellings(src, tmp_path)
    commands = {how: ["convert", str(src), "--lang", "es", "--out", out] if command == "convert" else [command, str(src), "--out", out]
                for how, out in spellings.items()}
    for how, proc in cli_many(commands, tmp_path).items():
        assert_one_line_error(proc, "refusing to write over the input")
    assert hashlib.sha256(src.read_bytes()).hexdigest() == digest
    assert src.stat().st_mtime_ns == mtime
    # a relative input and an absolute --out naming the same file
    proc = cli("convert", os.path.relpath(src, tmp_path), "--lang", "fr", "--out", str(src), cwd=tmp_path)
    assert_one_line_error(proc, "refusing")
    assert hashlib.sha256(src.read_bytes()).hexdigest() == digest


def test_hard_link_to_the_input_is_the_input(good: Path, tmp_path: Path) -> None:
    src = tmp_path / "audit.xlsx"
    shutil.copyfile(good, src)
    os.link(src, tmp_path / "twin.xlsx")
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    assert_one_line_error(cli("convert", "audit.xlsx", "--lang", "fr", "--out", "twin.xlsx", cwd=tmp_path), "refusing")
    assert hashlib.sha256(src.read_bytes()).hexdigest() == digest


def test_convert_to_another_file_leaves_the_input_byte_identical(good: Path, tmp_path: Path) -> None:
    src = tmp_path / "audit.xlsx"
    shutil.copyfile(good, src)
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    proc = cli("convert", "audit.xlsx", "--lang", "es", "--out", "audit-es.xlsx", "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["to"]["language"] == "es"
    assert hashlib.sha256(src.read_bytes()).hexdigest() == digest


# --- answers typed in another language or case --------------------------------------------------
# Beyond test_workbook_roundtrip's answers: evidence types, Organization Information choices and the
# assessment type typed in another language, in any case, with stray and doubled spaces; read by the
# command line (JSON) as canonical codes, and by the workbook's own formulas (in LibreOffice).
TYPED_ANSWERS = {  # code -> (typed in a Spanish workbook, canonical code)
    "1A.1.1": ("  YES", "yes"),
    "1A.2.1": ("partiellement ", "partially"),
    "1A.2.2": ("Partially", "partially"),
    "1B.2.1": ("S.O.", "na"),
    "2A.1.1": ("PARCIALMENTE", "partially"),
    "3A.1.1": ("n/a", "na"),
    "4A.1.1.1": ("oui", "yes"),
    "4A.1.1.2": ("NON", "no"),
    "5A.1.2": ("No", "no"),
    "1A.1.3": ("na", "na"),
}
TYPED_EVIDENCE = {"1A.1.1": ("ENTRETIEN", "interview"), "1A.1.2": ("analyse  de   données", "data"),
                  "2A.1.1": ("  observation", "observation"), "3A.1.1": ("document", "document")}
TYPED_ORG = {"legal_form": ("institution financière NON bancaire", "nbfi"), "regulated": ("OUI", "yes")}


@pytest.fixture(scope="module")
def typed_es(good: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("typed")
    template = render(CATALOG, "es", None, tmp / "es.xlsx")
    book = openpyxl.load_workbook(template)
    ws = book["Cuestionario"]
    for code, (text, _) in TYPED_ANSWERS.items():
        ws.cell(_row_of(ws, code), 4).value = text
    for code, (text, _) in TYPED_EVIDENCE.items():
        ws.cell(_row_of(ws, code), 6).value = text
    org = book["Organización"]
    for fid, (text, _) in TYPED_ORG.items():
        org.cell(_row_of(org, fid), 3).value = text
    start = book["Inicio"]
    start.cell(_row_of(start, "assessment_type"), 3).value = "audit EXTERNE"
    book.save(tmp / "typed.xlsx")
    return tmp / "typed.xlsx"


def test_labels_of_any_language_and_case_are_read_everywhere(typed_es: Path, tmp_path: Path) -> None:
    proc = cli("read", str(typed_es), "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    audit = data["audit"]
    assert audit["answers"] == {code: want for code, (_, want) in TYPED_ANSWERS.items()}
    assert audit["evidence"] == {code: want for code, (_, want) in TYPED_EVIDENCE.items()}
    assert {k: audit["org"][k] for k in TYPED_ORG} == {k: want for k, (_, want) in TYPED_ORG.items()}
    assert audit["metadata"]["assessment_type"] == "external"
    assert audit["unparsed"] == []
    assert read_workbook(typed_es).findings == []  # every label understood (read --json also lists validation's)


def test_an_unknown_assessment_type_is_a_warning_and_kept_as_typed(tmp_path: Path) -> None:
    book = openpyxl.load_workbook(render(CATALOG, "en", None, tmp_path / "en.xlsx"))
    start = book[sheet_names("en")["start"]]
    row = _row_of(start, "assessment_type")
    start.cell(row, 3).value = "yearly review"
    book.save(tmp_path / "typed.xlsx")
    result = read_workbook(tmp_path / "typed.xlsx")
    assert "assessment_type" not in result.audit.metadata
    assert result.audit.unparsed[("assessment_type", "value")] == "yearly review"
    assert [(f.code, f.severity, f.item, f.cell) for f in result.findings] == [
        ("meta.invalid", "warning", "assessment_type", f"C{row}")]


def test_converted_typed_answers_come_out_as_labels_of_the_new_language(typed_es: Path, tmp_path: Path) -> None:
    proc = cli("convert", str(typed_es), "--lang", "fr", "--out", "fr.xlsx", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    ws = openpyxl.load_workbook(tmp_path / "fr.xlsx")["Questionnaire"]
    shown = {code: ws.cell(_row_of(ws, code), 4).value for code in TYPED_ANSWERS}
    labels = {"yes": "Oui", "no": "Non", "partially": "Partiellement", "na": "N/A"}
    assert shown == {code: labels[want] for code, (_, want) in TYPED_ANSWERS.items()}


@pytest.mark.libreoffice
def test_the_workbook_formulas_understand_the_same_typed_answers(typed_es: Path, tmp_path: Path, libreoffice) -> None:
    from python_calamine import CalamineWorkbook

    from spi4xl.scoring import score
    from spi4xl.workbook import layout as L

    out = tmp_path / "recalculated.xlsx"
    libreoffice.recalculate(typed_es, out)
    rows = CalamineWorkbook.from_path(str(out)).get_sheet_by_name("Cuestionario").to_python()
    col = {name: i for i, name in enumerate(rows[0]) if isinstance(name, str)}
    col["code"] = 0
    by_code = {row[col["code"]]: row for row in rows[L.FIRST_DATA_ROW:]}
    scores = score(read_workbook(typed_es).audit, CATALOG)
    for code, (text, want) in TYPED_ANSWERS.items():
        row = by_code[code]
        assert row[col["match"]] > 0, (code, text)
        if code in scores.indicators:  # an indicator row (detail rows are aggregated by their checklist)
            ind = scores.indicators[code]
            assert row[col["done"]] == 1 and row[col["na"]] == int(ind.na), code
            assert (row[col["value"]] if row[col["value"]] != "" else None) == ind.value, code
