"""Errors as data: every code raised in the package has its English template and its French and
Spanish translations, the CLI speaks the language asked for with the same codes, and `catalog
check` fails when a translation of an error is missing.

The first test reads the package's source (AST), so a new `raise Spi4xlError("x.y", ...)` without
a template in spi4xl/ui/en/errors.yaml fails here, not in front of a user.
"""

from __future__ import annotations

import ast
import os
import pickle
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import polib
import pytest

import spi4xl
import spi4xl.ui
from spi4xl.catalog import load_catalog
from spi4xl.catalog.check import check_catalog
from spi4xl.po import placeholders
from spi4xl.errors import CatalogError, Spi4xlError
from spi4xl.ui import LANGUAGES, set_ui_language, ui, ui_language, ui_source, ui_translations

PACKAGE = Path(spi4xl.__file__).resolve().parent
MINI = Path(__file__).parent / "fixtures" / "catalogs" / "mini"
CODE_RX = re.compile(r"[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*")


@dataclass(frozen=True)
class Raise:
    where: str  # file:line
    code: str
    catalog: bool  # a CatalogError (or Node.fail): it has a fix template too
    params: frozenset[str] | None  # keyword names given; None when **params are passed on


def raises_in_package() -> list[Raise]:
    """Every Spi4xlError(...), CatalogError(...) and .fail(...) call of the package with a literal code."""
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else \
                node.func.attr if isinstance(node.func, ast.Attribute) else ""
            if name not in ("Spi4xlError", "CatalogError", "fail"):
                continue
            where, first = f"{path.relative_to(PACKAGE.parent)}:{node.lineno}", node.args[0]
            if isinstance(first, ast.Name):  # a wrapper passing its own `code` parameter on (Node.fail)
                continue
            assert isinstance(first, ast.Constant) and isinstance(first.value, str), \
                f"{where}: the first argument of {name}() must be a literal error code, not {ast.unparse(first)}"
            keywords = {k.arg for k in node.keywords}
            found.append(Raise(where, first.value, name != "Spi4xlError",
                               None if None in keywords else frozenset(keywords)))
    return found


RAISES = raises_in_package()


def test_the_package_raises_many_codes() -> None:
    assert len({r.code for r in RAISES}) > 100
    assert {"read.not_spi4xl", "read.duplicate_code", "catalog.unknown_key", "cli.templates_stale"} <= {r.code for r in RAISES}


@pytest.mark.parametrize("raised", RAISES, ids=lambda r: f"{r.code}@{r.where}")
def test_every_raised_code_has_its_templates_in_every_language(raised: Raise) -> None:
    assert CODE_RX.fullmatch(raised.code), f"{raised.where}: {raised.code!r} is not <area>.<what>"
    keys = [f"error.{raised.code}"] + ([f"error.{raised.code}.fix"] if raised.catalog else [])
    source = ui_source()
    for key in keys:
        assert (f"ui.{key}", "text") in source, f"{raised.where}: no English template {key} in spi4xl/ui/en/errors.yaml"
        for lang in LANGUAGES[1:]:
            status = {e.key: e.status for e in ui_translations(lang).entries}[(f"ui.{key}", "text")]
            assert status == "done", f"{raised.where}: the {lang} translation of {key} is {status} (spi4xl/ui/{lang}.po)"
        if raised.params is not None:  # every value the template shows is given
            wanted = {p.strip("{}") for p in placeholders(source[(f"ui.{key}", "text")])}
            assert wanted <= raised.params, f"{raised.where}: {key} needs {sorted(wanted - raised.params)}"


def test_every_error_template_is_raised_somewhere() -> None:
    raised = {r.code for r in RAISES}
    fixes = {r.code for r in RAISES if r.catalog}
    for (key, _), _text in ui_source().items():
        if key.startswith("ui.error."):
            code = key[len("ui.error."):]
            if code.endswith(".fix"):
                assert code[:-4] in fixes, f"{key}: a fix for a code no CatalogError raises"
            else:
                assert code in raised, f"{key}: no raise in the package uses this code"


def test_an_unknown_code_is_a_programming_error() -> None:
    with pytest.raises(KeyError):
        Spi4xlError("read.no_such_thing", path="a.xlsx").message()


def test_the_same_code_in_every_language() -> None:
    err = Spi4xlError("file.not_found", path="audit.xlsx")
    assert err.line("en") == "error [file.not_found]: audit.xlsx: no such file"
    assert err.line("fr") == "erreur [file.not_found] : audit.xlsx : fichier introuvable"
    assert err.line("es") == "error [file.not_found]: audit.xlsx: no existe el archivo"


def test_a_catalog_error_keeps_its_file_and_key_path_in_every_language() -> None:
    err = CatalogError("catalog.unknown_key", "mini/catalog.yaml", "scales[0].colour", known="answers, id")
    assert str(err) == "mini/catalog.yaml: scales[0].colour: unknown key (fix: remove it or check its spelling (known: answers, id))"
    assert (err.problem, err.hint) == ("unknown key", "remove it or check its spelling (known: answers, id)")
    assert err.message("fr") == "mini/catalog.yaml: scales[0].colour : clé inconnue " \
                                "(correction : supprimez-la ou vérifiez son orthographe (clés connues : answers, id))"
    assert err.message("es").endswith("clave desconocida (solución: elimínela o revise su ortografía (claves conocidas: answers, id))")


def test_errors_survive_pickling_with_their_params() -> None:
    """Batch workers send errors back to the parent process, which words them in its language."""
    for err in (Spi4xlError("file.not_found", path="a.xlsx"), CatalogError("catalog.required", "f.yaml", "a.b", key="b")):
        back = pickle.loads(pickle.dumps(err))
        assert (type(back), back.code, back.params, vars(back)) == (type(err), err.code, err.params, vars(err))
        assert str(back) == str(err)


# --- which language -----------------------------------------------------------------------------
@pytest.mark.parametrize("env, expected", [
    ({}, "en"),
    ({"LANG": "C.UTF-8"}, "en"),
    ({"LANG": "fr_FR.UTF-8"}, "fr"),
    ({"LC_MESSAGES": "es_ES.UTF-8", "LANG": "fr_FR.UTF-8"}, "es"),
    ({"LC_ALL": "C", "LANG": "fr_FR.UTF-8"}, "en"),  # LC_ALL wins, as for every program
    ({"LANG": "de_DE.UTF-8"}, "en"),
    ({"SPI4XL_LANG": "es", "LANG": "fr_FR.UTF-8"}, "es"),
    ({"SPI4XL_LANG": "de", "LANG": "fr_FR.UTF-8"}, "fr"),  # a language spi4xl does not have: the locale decides
])
def test_interface_language_from_the_environment(monkeypatch: pytest.MonkeyPatch, env: dict, expected: str) -> None:
    for var in ("SPI4XL_LANG", "LC_ALL", "LC_MESSAGES", "LANG"):
        monkeypatch.delenv(var, raising=False)
    for var, value in env.items():
        monkeypatch.setenv(var, value)
    assert ui_language() == expected
    set_ui_language("fr")  # --lang wins over everything
    try:
        assert ui_language() == "fr"
    finally:
        set_ui_language(None)


def run(*args: str, env: dict[str, str] | None = None, cwd: Path) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("SPI4XL_LANG", "LC_ALL", "LC_MESSAGES", "LANG")}
    return subprocess.run([sys.executable, "-m", "spi4xl", *args], capture_output=True, text=True, cwd=cwd,
                          env={**clean, **(env or {})}, timeout=120)


def test_cli_errors_are_translated_with_the_same_code(tmp_path: Path) -> None:
    notes = tmp_path / "notes.xlsx"
    notes.write_text("not a workbook")
    english = run("score", str(notes), cwd=tmp_path)
    assert english.stderr == f"spi4xl: error [file.corrupt]: {notes}: not a valid workbook " \
                             "(the file is corrupt or is not an Excel file)\n"
    french = run("--lang", "fr", "score", str(notes), cwd=tmp_path)
    assert french.stderr == f"spi4xl: erreur [file.corrupt] : {notes} : classeur non valide " \
                            "(le fichier est endommagé ou n'est pas un fichier Excel)\n"
    for args, env, lang in ((["--lang", "es"], {}, "es"), ([], {"SPI4XL_LANG": "es"}, "es"),
                            ([], {"LANG": "fr_FR.UTF-8"}, "fr"), (["--lang", "es"], {"SPI4XL_LANG": "fr"}, "es")):
        proc = run(*args, "score", str(notes), env=env, cwd=tmp_path)
        assert (proc.returncode, proc.stdout) == (1, ""), proc.stderr
        message = ui("error.file.corrupt", lang).format(path=notes)
        assert proc.stderr == f"spi4xl: {ui('shown.error', lang, code='file.corrupt', message=message)}\n"
        assert "[file.corrupt]" in proc.stderr and proc.stderr != english.stderr


def test_cli_catalog_errors_are_translated(tmp_path: Path) -> None:
    root = Path(shutil.copytree(MINI, tmp_path / "mini"))
    text = (root / "catalog.yaml").read_text(encoding="utf-8")
    (root / "catalog.yaml").write_text(text.replace("licence:", "license: x\nlicence:", 1), encoding="utf-8")
    proc = run("--lang", "fr", "catalog", "check", str(root), cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.startswith("spi4xl: erreur [catalog.unknown_key] : mini/catalog.yaml: license : clé inconnue "
                                  "(correction : supprimez-la ou vérifiez son orthographe (clés connues : date, ")
    assert proc.stderr.count("\n") == 1


def test_lang_option_is_checked(tmp_path: Path) -> None:
    proc = run("--lang", "de", "catalog", "show", cwd=tmp_path)
    assert proc.returncode == 2 and "invalid choice: 'de'" in proc.stderr


# --- catalog check: a missing translation of an error fails -----------------------------------------
@pytest.fixture
def ui_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A copy of the real spi4xl/ui, which spi4xl.ui reads instead of its own folder."""
    dst = Path(shutil.copytree(PACKAGE / "ui", tmp_path / "ui", ignore=shutil.ignore_patterns("*.py", "__pycache__")))
    monkeypatch.setattr(spi4xl.ui, "UI_DIR", dst)
    clear = lambda: [fn.cache_clear() for fn in (spi4xl.ui.ui_source, spi4xl.ui.ui_translations, spi4xl.ui._table)]  # noqa: E731
    clear()
    yield dst
    monkeypatch.undo()
    clear()


@pytest.mark.parametrize("lang", ["fr", "es"])
def test_catalog_check_fails_on_a_missing_error_translation(ui_copy: Path, lang: str, capsys: pytest.CaptureFixture) -> None:
    from spi4xl.cli import main

    catalog = load_catalog(MINI)
    assert [p for p in check_catalog(catalog) if "ui." in p.key] == []
    po = polib.pofile(str(ui_copy / f"{lang}.po"))
    for key in ("ui.error.read.not_spi4xl|text", "ui.error.catalog.unknown_key.fix|text"):
        po.find(key, by="msgctxt").msgstr = ""
    po.save()
    spi4xl.ui.ui_translations.cache_clear()
    problems = sorted(str(p) for p in check_catalog(catalog) if "ui." in p.key)
    assert problems == [f"{ui_copy.parent.name}/ui/{lang}.po: ui.error.catalog.unknown_key.fix|text: {lang} translation missing",
                        f"{ui_copy.parent.name}/ui/{lang}.po: ui.error.read.not_spi4xl|text: {lang} translation missing"]
    assert main(["catalog", "check", str(MINI)]) == 1
    assert f"ui.error.read.not_spi4xl|text: {lang} translation missing" in capsys.readouterr().out


def test_broken_interface_strings_still_show_the_error(ui_copy: Path) -> None:
    """The interface strings are read by the strict loader: when they are broken, errors show their code and values."""
    (ui_copy / "en" / "errors.yaml").write_text("shown.error: [unclosed\n", encoding="utf-8")
    err = Spi4xlError("file.not_found", path="audit.xlsx")
    assert str(err) == "file.not_found {'path': 'audit.xlsx'}"
    assert err.line() == "error [file.not_found]: file.not_found {'path': 'audit.xlsx'}"
