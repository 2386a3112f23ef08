"""`spi4xl catalog check|show` and the i18n commands as a user runs them: exit codes, output, one-line errors."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from spi4xl.cli import main

MINI = Path(__file__).parent / "fixtures" / "catalogs" / "mini"
REPO = Path(__file__).resolve().parents[1]


def run(*args: str, cwd: Path = REPO) -> subprocess.CompletedProcess:
    """The real command in a fresh process, as a shell runs it."""
    return subprocess.run([sys.executable, "-m", "spi4xl.cli", *args], capture_output=True, text=True, cwd=cwd, timeout=120)


@pytest.fixture(scope="module")
def show_json() -> dict:
    done = run("catalog", "show", "usspm-2016", "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_check_of_the_real_catalog_exits_0() -> None:
    done = run("catalog", "check", "usspm-2016")
    assert done.stdout.splitlines()[-1] == "usspm-2016 1.1.0: 0 problem(s)", done.stdout[-2000:]
    assert done.returncode == 0
    assert done.stderr == ""


def test_check_defaults_to_usspm_2016(capsys: pytest.CaptureFixture) -> None:
    main(["catalog", "check"])
    assert capsys.readouterr().out.splitlines()[-1].startswith("usspm-2016 1.1.0: ")


def test_show_json_has_the_documented_keys(show_json: dict) -> None:
    assert set(show_json) == {"id", "edition", "version", "date", "content_hash", "numbering", "languages", "totals",
                              "dimensions", "principles", "modules", "translations"}
    assert set(show_json["totals"]) == {"dimensions", "standards", "essential_practices", "indicators", "detail_items",
                                        "checklists", "mandatory", "alinus", "organization_fields", "organization_rules"}
    dim = show_json["dimensions"][0]
    assert set(dim) == {"code", "name", "standards", "essential_practices", "indicators", "detail_items"}
    assert set(dim["standards"][0]) == {"code", "name", "essential_practices", "indicators", "detail_items"}
    assert set(show_json["principles"][0]) == set(show_json["modules"][0]) == {"code", "name", "indicators"}
    assert set(show_json["translations"]) == {"fr", "es"}
    assert set(show_json["translations"]["fr"]) == {"catalog", "ui"}
    assert set(show_json["translations"]["fr"]["catalog"]) == {"entries", "percent", "missing", "fuzzy", "stale", "placeholders"}


def test_show_json_meets_the_issue(show_json: dict) -> None:
    totals = show_json["totals"]
    assert (show_json["id"], show_json["edition"], show_json["languages"]) == ("usspm-2016", "usspm-2016", ["en", "fr", "es"])
    assert (totals["dimensions"], totals["standards"]) == (6, 19)
    assert totals["indicators"] >= 150
    assert 60 <= totals["alinus"] <= 100
    assert totals["organization_fields"] >= 30
    assert all(s["essential_practices"] >= 2 for d in show_json["dimensions"] for s in d["standards"])
    assert sum(d["indicators"] for d in show_json["dimensions"]) == totals["indicators"]
    assert [p["code"] for p in show_json["principles"]] == [f"CP{n}" for n in range(1, 8)]
    assert all(p["indicators"] > 0 for p in show_json["principles"])
    assert all(m["indicators"] >= 5 for m in show_json["modules"] if m["code"] != "core")
    assert next(m["indicators"] for m in show_json["modules"] if m["code"] == "environment") >= 10
    assert "this catalog's own" in show_json["numbering"]  # users are told which codes are official
    for lang in ("fr", "es"):
        assert show_json["translations"][lang]["catalog"]["percent"] == 100.0
    assert len(show_json["content_hash"]) == 16


def test_show_text(capsys: pytest.CaptureFixture) -> None:
    assert main(["catalog", "show", str(MINI)]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("mini 1.0.0 (2026-01-01), hash ")
    assert "2 dimensions, 2 standards, 3 essential practices, 4 indicators (1 checklists, 2 detail items), " \
           "2 ALINUS, 6 Organization Information fields" in out
    assert "translation fr: catalog 100.0%" in out


def test_show_json_of_a_catalog_folder(capsys: pytest.CaptureFixture) -> None:
    assert main(["catalog", "show", str(MINI), "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["totals"]["indicators"] == 4
    assert [m["indicators"] for m in shown["modules"]] == [3, 1]
    assert [p["indicators"] for p in shown["principles"]] == [1, 1]
    assert shown["translations"]["es"]["catalog"] == {"entries": 47, "percent": 100.0, "missing": 0, "fuzzy": 0,
                                                      "stale": 0, "placeholders": 0}


# --- errors: one line on stderr, exit 1, no traceback -----------------------------------------------
def broken(tmp_path: Path, file: str, old: str | None, new: str | None) -> Path:
    root = Path(shutil.copytree(MINI, tmp_path / "mini"))
    if old is None:
        (root / file).unlink()
    else:
        text = (root / file).read_text(encoding="utf-8")
        assert text.count(old) == 1
        (root / file).write_text(text.replace(old, new), encoding="utf-8")
    return root


BROKEN = [
    ("unknown key", "dimensions/1/1A.yaml", "    alinus: true\n", "    alinus: true\n    colour: red\n", "catalog.unknown_key",
     "mini/dimensions/1/1A.yaml: practices[0].indicators[0].colour: unknown key (fix: remove it or check its spelling"),
    ("invalid YAML", "dimensions/2/2A.yaml", "name: Clients are treated fairly", "name: Clients: treated fairly",
     "catalog.yaml_syntax", "mini/dimensions/2/2A.yaml: not valid YAML at line 2: mapping values are not allowed "),  # libyaml: "in this context"
    ("duplicate key", "organization.yaml", "  op: <=\n", "  op: <=\n  op: <\n", "catalog.duplicate_key",
     "mini/organization.yaml: rules[0].op: duplicate key 'op' at line "),
    ("missing file", "organization.yaml", None, None, "catalog.file_missing",
     "mini/organization.yaml: file is missing (fix: restore it or check the edition folder)"),
    ("undefined scale", "dimensions/1/1A.yaml", "scale: yn\n", "scale: ynp\n", "catalog.undefined_scale",
     "mini/dimensions/1/1A.yaml: practices[0].indicators[0].scale: undefined scale 'ynp' (defined: ypn, ynn, yn) (fix: "),
]


@pytest.mark.parametrize("action", ["check", "show"])
@pytest.mark.parametrize("name, file, old, new, code, line", BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_catalog_folder_is_one_line(tmp_path: Path, action: str, name: str, file: str, old, new, code: str,
                                           line: str) -> None:
    root = broken(tmp_path, file, old, new)
    done = run("catalog", action, str(root), cwd=tmp_path)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith(f"spi4xl: error [{code}]: {line}")
    assert done.stderr.count("\n") == 1 and done.stderr.endswith("\n")
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("args, says", [
    (["catalog", "check", "no-such-edition"], "spi4xl: error [catalog.unknown_edition]: unknown catalog edition 'no-such-edition' (known: "),
    (["catalog", "show", "--json", "usspm-2O16"], "spi4xl: error [catalog.unknown_edition]: unknown catalog edition 'usspm-2O16' (known: "),
    (["catalog", "show", "--overlay", "{tmp}/missing.xlsx"], "spi4xl: error [overlay.not_found]: {tmp}/missing.xlsx: overlay file not found"),
    (["catalog", "check", "{tmp}"], "spi4xl: error [catalog.file_missing]: {name}/catalog.yaml: file is missing"),
    (["i18n", "export", "--lang", "de", "--out", "{tmp}/de.xlsx"], "spi4xl: error [i18n.not_a_translation]: language 'de' is not a translation of usspm-2016"),
    (["i18n", "import", "{tmp}/nothing.xlsx"], "spi4xl: error [file.not_found]: {tmp}/nothing.xlsx: no such file"),
    (["i18n", "export", "--lang", "fr", "--out", "{tmp}/fr.xlsx", "--edition", "nope"], "spi4xl: error [catalog.unknown_edition]: unknown catalog edition 'nope'"),
], ids=["unknown edition", "typo in edition", "missing overlay", "empty folder", "unknown language", "missing workbook",
        "unknown edition for i18n"])
def test_errors_are_one_line_without_traceback(tmp_path: Path, args: list[str], says: str) -> None:
    fill = {"tmp": str(tmp_path), "name": tmp_path.name}
    done = run(*(a.format(**fill) for a in args), cwd=tmp_path)
    assert (done.returncode, done.stdout) == (1, "")
    assert done.stderr.startswith(says.format(**fill)), done.stderr
    assert done.stderr.count("\n") == 1
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "de.xlsx").exists() and not (tmp_path / "fr.xlsx").exists()


def test_in_process_errors_go_to_stderr(capsys: pytest.CaptureFixture, tmp_path: Path) -> None:
    root = broken(tmp_path, "catalog.yaml", "edition: mini", "edition: mini-2")
    assert main(["catalog", "check", str(root)]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err == "spi4xl: error [catalog.edition_folder]: mini/catalog.yaml: edition: edition 'mini-2' differs from its folder 'mini' " \
                           "(fix: write edition: mini or rename the folder)\n"


def test_version_lists_the_editions_carried_and_those_of_spi4xl_standards(monkeypatch: pytest.MonkeyPatch,
                                                                          capsys: pytest.CaptureFixture) -> None:
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "spi4xl 0.1.0"
    assert lines[1] == f"catalog editions carried: usspm-2016 1.1.0 ({REPO / 'standards'})"
    assert lines[2] == f"templates carried: 6 ({REPO / 'workbook_templates'})"
    monkeypatch.setenv("SPI4XL_STANDARDS", str(MINI.parent))  # one's own editions come first; the bundled stay
    with pytest.raises(SystemExit):
        main(["--version"])
    assert capsys.readouterr().out.splitlines()[1] == f"catalog editions from $SPI4XL_STANDARDS: mini 1.0.0 ({MINI.parent})"
    assert main(["catalog", "check", "mini"]) == 0 and main(["catalog", "check", "usspm-2016"]) == 0
