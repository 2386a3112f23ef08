"""The command line's own rough edges: help, option texts, --lang spelling, build's folder and JSON, convert's words.

In-process through `spi4xl.cli.main` (the same entry point the console script runs), so each check is quick.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from pathlib import Path

import pytest

from audits import CATALOG, random_audit
from spi4xl.catalog.model import CORE_MODULE
from spi4xl.cli import build_parser, main, named_command
from spi4xl.ui import ui
from spi4xl.workbook.render import render


def parsers(parser: argparse.ArgumentParser, path: str = "spi4xl"):
    """Every parser of the tree, with the command line that reaches it."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, child in action.choices.items():
                yield from parsers(child, f"{path} {name}")


def test_every_option_and_argument_has_help_text():
    missing = [f"{path}: {action.option_strings or action.dest}"
               for path, parser in parsers(build_parser()) for action in parser._actions
               if not isinstance(action, argparse._SubParsersAction) and action.help in (None, "", argparse.SUPPRESS)]
    assert missing == []
    assert len(list(parsers(build_parser()))) > 15  # the walk really reaches the sub-commands


SAME_PARSE = [["score", "a.xlsx"], ["--lang", "fr", "validate", "a.xlsx", "--json"], ["--lang=es", "read", "a.xlsx"],
              ["catalog", "show", "--json"], ["i18n", "export", "--lang", "fr", "--out", "t.xlsx"], ["--version"],
              ["build", "--lang", "fr", "--profile", "cp", "--check"], ["batch", "in", "--out", "r.csv", "--jobs", "2"],
              ["--la", "score", "x"], ["score"], ["score", "--bogus", "a.xlsx"], ["scor", "a.xlsx"], ["build", "-h"],
              ["catalog", "nope"], ["--lang", "de", "score", "a.xlsx"], ["-h"], ["report", "a.xlsx", "--format", "doc"]]


@pytest.mark.parametrize("argv", SAME_PARSE)
def test_the_named_command_s_parser_alone_parses_as_the_whole_command_line(argv, capsys):
    """Only the named sub-command's parser is built at start-up: its result, output and exit match the full tree's."""
    def parse(parser: argparse.ArgumentParser) -> tuple:
        try:
            args = vars(parser.parse_args(argv))
            code = None
        except SystemExit as stop:
            args, code = {}, stop.code
        out = capsys.readouterr()
        return {k: v for k, v in args.items() if k != "help_of"}, code, out.out, out.err

    alone, whole = parse(build_parser(named_command(argv))), parse(build_parser())
    assert alone == whole
    assert alone[0] or alone[1] is not None  # something was parsed or refused


def test_named_command():
    assert named_command(["--lang", "fr", "score", "a.xlsx"]) == "score"
    assert named_command(["catalog", "show"]) == "catalog"
    assert named_command(["--version"]) == ""
    assert [named_command(a) for a in ([], ["-h", "score"], ["nope"], ["--lang", "score"])] == [None, None, None, None]


@pytest.mark.parametrize("argv, usage", [([], "usage: spi4xl [-h]"), (["catalog"], "usage: spi4xl catalog"),
                                         (["i18n"], "usage: spi4xl i18n")])
def test_a_bare_command_prints_its_help_and_exits_2(capsys, argv, usage):
    assert main(argv) == 2
    out = capsys.readouterr().out
    assert out.startswith(usage) and "Traceback" not in out
    assert "validate" in out if not argv else "update" in out or "check" in out


def test_lang_is_case_insensitive(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--lang", "FR", "--version"])
    assert exit_.value.code == 0
    assert main(["--lang", "Fr", "build", "--lang", "DE", "--out", "unused"]) == 1
    assert "[render.language]" in capsys.readouterr().err


def test_a_failed_build_leaves_no_empty_folder(tmp_path, capsys):
    out = tmp_path / "new" / "templates"
    assert main(["build", "--lang", "de", "--format", "xlsx", "--out", str(out)]) == 1
    assert "[render.language]" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()
    (tmp_path / "mine").mkdir()  # a folder the user made stays
    assert main(["build", "--lang", "fr", "--format", "xls", "--out", str(tmp_path / "mine")]) == 1
    assert (tmp_path / "mine").is_dir()


@pytest.mark.parametrize("modules, expected", [(None, [m for m in CATALOG.module_codes if m != CORE_MODULE]),
                                               ("core", []), ("gender", ["gender"])])
def test_build_json_gives_modules_as_a_list(tmp_path, capsys, modules, expected):
    argv = ["build", "--lang", "en", "--format", "xlsx", "--out", str(tmp_path), "--json"]
    assert main(argv + (["--modules", modules] if modules else [])) == 0
    (entry,) = json.loads(capsys.readouterr().out)
    assert entry["modules"] == expected and Path(entry["file"]).is_file()


def test_build_prints_wrote_for_each_file(tmp_path, capsys):
    assert main(["--lang", "es", "build", "--lang", "fr", "--format", "xlsx", "--out", str(tmp_path)]) == 0
    (line,) = capsys.readouterr().out.splitlines()
    assert line == ui("cli.wrote", "es", path=tmp_path / "spi4xl-usspm-2016-full-fr.xlsx")


def test_convert_explains_what_hidden_means(tmp_path, capsys):
    """Answers typed for indicators outside the workbook's profile are kept but shown nowhere: say so."""
    src = render(CATALOG, "en", replace(random_audit(7, "en", fill=1.0), profile="alinus"), tmp_path / "alinus.xlsx")
    assert main(["convert", str(src), "--lang", "fr", "--out", str(tmp_path / "report.xlsx"), "--json"]) == 0
    hidden = json.loads(capsys.readouterr().out)["hidden"]
    assert hidden
    out = tmp_path / "alinus-fr.xlsx"
    assert main(["convert", str(src), "--lang", "fr", "--out", str(out)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith(f"wrote {out} (fr,")
    explained = ui("cli.convert.hidden", "en", codes=", ".join(hidden), sheet=ui("sheet.conversion"),
                   questionnaire=ui("sheet.questionnaire"))
    assert f"  {explained}" in lines and "profile" in explained


def test_setup_tests_waits_for_the_package_managers_lock():
    script = (Path(__file__).resolve().parents[1] / "scripts" / "setup-tests.sh").read_text()
    calls = [line for line in script.splitlines() if "apt-get " in line and not line.lstrip().startswith("#")]
    assert len(calls) == 2 and all("$APT_WAIT" in line for line in calls)
    assert 'APT_WAIT="-o DPkg::Lock::Timeout=300"' in script


def readme_json_example(command: str) -> dict:
    """The JSON block the README shows after `command`, with its UNIT placeholders as null."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    after = readme[readme.index(f"`{command}` prints:"):]
    after = after[after.index("```json\n") + 8:]
    block = after[:after.index("\n```")]
    return json.loads(block.replace("UNIT", "null"))


def shown_equals_real(shown, real, where: str = "") -> list[str]:
    """Every number or text the README shows, at the precision it shows, against the real output."""
    if isinstance(shown, dict):
        return [problem for key, value in shown.items() if key != "..." and value is not None
                for problem in (shown_equals_real(value, real[key], f"{where}.{key}") if key in real
                                else [f"{where}.{key}: not in the output"])]
    if isinstance(shown, float):
        decimals = len(repr(shown).split(".")[1])
        return [] if round(real, decimals) == shown else [f"{where}: README {shown}, real {real}"]
    return [] if shown == real else [f"{where}: README {shown!r}, real {real!r}"]


def test_readme_score_json_example_is_the_real_output_of_the_sample(capsys):
    shown = readme_json_example("spi4xl score --json")
    sample = Path(__file__).resolve().parents[1] / "samples" / "sample-audit-fr.xlsx"
    main(["score", str(sample), "--json"])
    real = json.loads(capsys.readouterr().out)
    assert set(shown) == set(real)
    assert shown["overall"] and shown["findings"]  # the numbers are there to be compared
    assert shown_equals_real(shown, real) == []
