"""The `spi4xl` command: every expected failure is one line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Callable

from spi4xl.errors import Spi4xlError

DEFAULT_EDITION = "usspm-2016"
COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {}


def command(name: str):
    def register(fn: Callable[[argparse.Namespace], int]):
        COMMANDS[name] = fn
        return fn
    return register


def emit_json(data: object) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def _catalog(args: argparse.Namespace):
    from spi4xl.catalog import load_catalog

    return load_catalog(args.edition, overlay=getattr(args, "overlay", None))


# --- catalog --------------------------------------------------------------------------------
@command("catalog check")
def catalog_check(args: argparse.Namespace) -> int:
    from spi4xl.catalog.check import check_catalog

    catalog = _catalog(args)
    problems = check_catalog(catalog)
    for problem in problems:
        print(problem)
    print(f"{catalog.id} {catalog.version}: {len(problems)} problem(s)")
    return 1 if problems else 0


@command("catalog show")
def catalog_show(args: argparse.Namespace) -> int:
    from spi4xl.catalog.summary import render_text, summarize

    summary = summarize(_catalog(args))
    emit_json(summary) if args.json else print(render_text(summary))
    return 0


# --- i18n -----------------------------------------------------------------------------------
@command("i18n export")
def i18n_export(args: argparse.Namespace) -> int:
    from spi4xl.catalog.i18n_workbook import export_workbook

    rows = export_workbook(_catalog(args), args.lang, Path(args.out))
    print(f"wrote {args.out}: {rows} texts to review")
    return 0


@command("i18n import")
def i18n_import(args: argparse.Namespace) -> int:
    from spi4xl.catalog.i18n_workbook import import_workbook

    report = import_workbook(_catalog(args), Path(args.workbook))
    for row, ident, reason in report.refused:
        print(f"{args.workbook}: row {row}: {ident}: refused: {reason}", file=sys.stderr)
    print(f"{report.lang}: {report.updated} updated, {report.unchanged} unchanged, {len(report.refused)} refused")
    return 1 if report.refused else 0


@command("i18n update")
def i18n_update(args: argparse.Namespace) -> int:
    from spi4xl.catalog.i18n import write_po
    from spi4xl.catalog.i18n_workbook import domains

    catalog = _catalog(args)
    for lang in catalog.languages[1:]:
        for domain in domains(catalog, lang):
            write_po(domain.po_path, lang, domain.source)
            print(f"updated {domain.po_path}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="spi4xl", description=__doc__)
    sub = parser.add_subparsers(dest="group", required=True)

    cat = sub.add_parser("catalog", help="check and summarize a standards catalog").add_subparsers(dest="action", required=True)
    for action, helptext in (("check", "fail on any loader error, incomplete translation or Excel limit"),
                             ("show", "counts per dimension, standard, principle, module and language")):
        p = cat.add_parser(action, help=helptext)
        p.add_argument("edition", nargs="?", default=DEFAULT_EDITION, help="edition name or catalog folder")
        p.add_argument("--overlay", help="spreadsheet or PO file of your own wording (code -> text)")
        if action == "show":
            p.add_argument("--json", action="store_true", help="stable JSON (see README)")

    i18n = sub.add_parser("i18n", help="translators' workflow").add_subparsers(dest="action", required=True)
    p = i18n.add_parser("export", help="write a workbook of texts to translate")
    p.add_argument("--lang", required=True)
    p.add_argument("--out", required=True)
    p = i18n.add_parser("import", help="write a filled translation workbook back into the PO files")
    p.add_argument("workbook")
    i18n.add_parser("update", help="add new English texts to every PO file (as missing)")
    for p in i18n.choices.values():
        p.add_argument("--edition", default=DEFAULT_EDITION)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    name = f"{args.group} {args.action}" if getattr(args, "action", None) else args.group
    try:
        return COMMANDS[name](args)
    except Spi4xlError as exc:
        print(f"spi4xl: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("spi4xl: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
