"""The `spi4xl` command: every expected failure is one line on stderr and a non-zero exit, never a traceback.

Messages on stderr are in the language of `--lang` (before the sub-command, any case: FR or fr), else
SPI4XL_LANG, else the locale, else English; each error names its code (`spi4xl: error [read.not_spi4xl]: ...`),
the same in every language. Reports on a workbook speak its language unless `--lang` names another; --json
output is the same in every language, for scripts. A command without its sub-command prints its help, exit 2.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Callable

from spi4xl.catalog.scope import PROFILES, parse_modules
from spi4xl.__main__ import interrupted, remove_pending_outputs
from spi4xl.errors import Spi4xlError
from spi4xl.workbook.printing import DEFAULT_PAPER, PAPERS
from spi4xl.ui import LANGUAGES, set_ui_language, ui, ui_language

DEFAULT_EDITION = "usspm-2016"
UNPROTECTED_HELP = "no sheet protection: for xlwings Lite, whose buttons cannot lift it (see README)"
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

    catalog = load_catalog(args.edition)
    if getattr(args, "overlay", None):
        from spi4xl.workbook.text_files import apply_overlay

        catalog = apply_overlay(catalog, args.overlay)
    return catalog


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


@command("catalog bundle")
def catalog_bundle(args: argparse.Namespace) -> int:
    from spi4xl.catalog.check import wanted_bundles
    from spi4xl.output import atomic_output

    for path, text in wanted_bundles(_catalog(args)).items():
        with atomic_output(path) as temp:
            temp.write_text(text, encoding="utf-8")
        print(ui("cli.wrote", ui_language(), path=path))
    return 0


@command("catalog show")
def catalog_show(args: argparse.Namespace) -> int:
    from spi4xl.catalog.summary import render_text, summarize

    summary = summarize(_catalog(args))
    emit_json(summary) if args.json else print(render_text(summary))
    return 0


@command("catalog stamp")
def catalog_stamp(args: argparse.Namespace) -> int:
    from spi4xl.catalog import load_catalog
    from spi4xl.workbook.text_files import stamp_overlay

    identity, before, count = stamp_overlay(load_catalog(args.edition), args.overlay, args.out)
    lang = ui_language()
    if before is not None and before != identity:
        print(ui("cli.overlay.restamped", lang, path=args.overlay, identity=str(before)))
    print(ui("cli.overlay.stamped", lang, path=args.out, identity=str(identity), count=count))
    return 0


# --- i18n -----------------------------------------------------------------------------------
@command("i18n export")
def i18n_export(args: argparse.Namespace) -> int:
    from spi4xl.workbook.text_files import export_workbook

    _, review = export_workbook(_catalog(args), args.lang, Path(args.out))
    print(ui("cli.wrote_texts", ui_language(), path=args.out, count=review))
    return 0


@command("i18n import")
def i18n_import(args: argparse.Namespace) -> int:
    from spi4xl.workbook.text_files import import_workbook

    report = import_workbook(_catalog(args), Path(args.workbook))
    lang = ui_language()
    for row, ident, why in report.refused:
        print(ui("cli.refused", lang, path=args.workbook, row=row, id=ident, code=why.code, message=why.message(lang)),
              file=sys.stderr)
    for po_path in report.written:
        print(ui("cli.wrote", lang, path=po_path))
    print(ui("cli.imported", lang, language=report.lang, updated=report.updated, unchanged=report.unchanged,
             refused=len(report.refused)))
    return 1 if report.refused else 0


@command("i18n update")
def i18n_update(args: argparse.Namespace) -> int:
    from spi4xl.po import write_po
    from spi4xl.catalog.i18n_workbook import domains

    catalog = _catalog(args)
    for lang in catalog.languages[1:]:
        for domain in domains(catalog, lang):
            write_po(domain.po_path, lang, domain.source)
            print(ui("cli.wrote", ui_language(), path=domain.po_path))
    return 0


# --- workbooks ------------------------------------------------------------------------------
def _split(text: str | None) -> list[str] | None:
    return [part.strip() for part in text.split(",") if part.strip()] if text else None




@command("build")
def build_cmd(args: argparse.Namespace) -> int:
    from spi4xl.build import build, default_out_dir, interpreter_settings

    if args.department:
        return _build_parts(args)
    report = build(args.edition, _split(args.lang), args.profile, parse_modules(args.modules), _split(args.format),
                   Path(args.out) if args.out else default_out_dir(args.check), check=args.check, password=args.password,
                   protected=not args.unprotected,
                   interpreters=interpreter_settings(args.interpreter_win, args.interpreter_mac), paper=args.paper)
    if args.json:
        emit_json(report)
    else:
        for entry in report:
            line = f"{entry['status']}: {entry['file']}" if args.check else ui("cli.wrote", ui_language(), path=entry["file"])
            print(line)
    if args.check and any(e["status"] != "current" for e in report):
        raise Spi4xlError("cli.templates_stale")
    return 0


def _build_parts(args: argparse.Namespace) -> int:
    """`build --department hr,finance`: blank department workbooks of one new audit (never the carried templates)."""
    from spi4xl.catalog import load_catalog
    from spi4xl.parts import build_parts

    if not args.out or args.check:
        raise Spi4xlError("cli.department_out")
    catalog = load_catalog(args.edition)
    report = build_parts(args.edition, _split(args.department) or [], _split(args.lang) or list(catalog.languages),
                         _split(args.format) or ["xlsx", "xlsm"], Path(args.out), args.profile, parse_modules(args.modules))
    if args.json:
        emit_json(report)
    else:
        for entry in report:
            print(ui("cli.wrote", ui_language(), path=entry["file"]))
    return 0


@command("split")
def split_cmd(args: argparse.Namespace) -> int:
    from spi4xl.parts import split

    report = split(Path(args.workbook), Path(args.out), _split(args.departments))
    if args.json:
        emit_json(report)
    else:
        for entry in report:
            print(ui("cli.split.wrote", ui_language(), path=entry["file"], department=entry["department"],
                     count=entry["indicators"]))
    return 0


@command("merge")
def merge_cmd(args: argparse.Namespace) -> int:
    from spi4xl.parts import merge_files

    def skipped(path: Path, exc: Spi4xlError) -> None:
        print(f"spi4xl: {ui('cli.skipped', ui_language(), path=path, code=exc.code, message=exc.message())}",
              file=sys.stderr)

    report = merge_files([Path(p) for p in args.parts], Path(args.into), Path(args.out), args.prefer, args.force,
                         on_skip=skipped)
    if args.json:
        emit_json(report)
    else:
        lang = ui_language()
        print(ui("cli.merge.wrote", lang, path=report["output"], parts=len(report["parts"]) - len(report["skipped"]),
                 added=report["added"], changed=report["changed"], conflicts=report["conflicts"]))
        for e in report["entries"]:
            if e["status"] == "conflict":
                print("  " + ui("cli.merge.conflict", lang, item=e["item"], value=e["value"], file=e["file"],
                                other=e["other"]))
    return 0


@command("read")
def read_cmd(args: argparse.Namespace) -> int:
    from spi4xl.assess import assess

    a = assess(args.workbook)  # the findings `validate` reports, not only those met while reading
    result, audit = a.read, a.read.audit
    lang = _report_language(args, audit.language)
    if args.json:
        emit_json({"audit": audit_to_dict(audit), "findings": [f.as_dict(audit.language, result.sheets) for f in a.findings],
                   "sheets": result.sheets})
    else:
        print(ui("cli.read.head", lang, path=args.workbook, edition=audit.edition, version=audit.catalog_version,
                 language=audit.language, profile=audit.profile))
        print(ui("cli.read.counts", lang, answers=len(audit.answers), comments=len(audit.comments), flags=len(audit.flags),
                 org=len(audit.org), findings=len(a.findings)))
        _print_findings(a.findings, result.sheets, lang)
    return 0


def audit_to_dict(audit) -> dict:
    from dataclasses import asdict

    data = asdict(audit)
    data["unparsed"] = [{"item": k[0], "column": k[1], "text": v} for k, v in audit.unparsed.items()]
    return data


@command("convert")
def convert_cmd(args: argparse.Namespace) -> int:
    from spi4xl.convert import convert

    report = convert(Path(args.workbook), args.lang, Path(args.out), edition=args.edition, protected=not args.unprotected)
    if args.json:
        emit_json(report)
    else:
        lang = _report_language(args, report["from"]["language"])
        print(ui("cli.convert.wrote", lang, path=report["output"], language=report["to"]["language"],
                 edition=report["to"]["edition"], version=report["to"]["catalog_version"]))
        for status in ("changed", "merged", "removed", "hidden"):
            if report[status]:
                print("  " + ui(f"cli.convert.{status}", lang, codes=", ".join(report[status]),
                                sheet=ui("sheet.conversion", lang), questionnaire=ui("sheet.questionnaire", lang)))
    return 0


# --- scores, findings, batches ----------------------------------------------------------------
def _report_language(args: argparse.Namespace, workbook_lang: str) -> str:
    """A report on a workbook speaks the workbook's language unless --lang asks for another."""
    return args.ui_lang or workbook_lang


def _print_findings(findings, sheets: dict[str, str], lang: str) -> None:
    """Each finding on one line, its fix hint indented on the next."""
    for f in findings:
        where = f"{sheets.get(f.sheet, f.sheet)}!{f.cell}" if f.cell else sheets.get(f.sheet, f.sheet)
        print(f"  {f.severity:<7} {f.code:<24} {where:<22} {f.message(lang)}")
        print(f"  {'':<7} {'':<24} {'':<22} {ui('cli.hint', lang, hint=f.hint(lang))}")


def _pct(value: float | None) -> str:
    return "   -  " if value is None else f"{100 * value:5.1f}%"


@command("score")
def score_cmd(args: argparse.Namespace) -> int:
    from spi4xl.assess import assess, write_report

    a = assess(args.workbook)
    s = a.scores
    if args.out:
        write_report(a, Path(args.out))
    if args.json:
        from spi4xl.key_figures import key_figures
        from spi4xl.plan import gap_count, status_counts

        emit_json({**s.to_dict(), "key_figures": key_figures(a.read.catalog, a.read.audit.org), "findings": a.counts,
                   "plan": {"gaps": gap_count(s), "status": status_counts(a.read.audit)}, "output": args.out})
        return 0
    cat = a.read.catalog
    lang = _report_language(args, a.read.audit.language)
    o = s.overall
    print(ui("cli.overall", lang, path=args.workbook, score=_pct(o.score).strip(), answered=o.answered, total=o.total,
             state=ui("cli.provisional" if s.provisional else "cli.complete", lang)))

    def unit_line(code: str, unit, name: str) -> None:
        print(f"  {code:<6} {_pct(unit.score)}  {unit.answered:>3}/{unit.total:<3} {name}")

    print(ui("cli.kind.dimension", lang))
    for code, unit in s.dimensions.items():
        unit_line(code, unit, cat.text(code, "name", lang))
    print(ui("cli.kind.principle", lang))
    for code, unit in s.client_protection.items():
        unit_line(code, unit, cat.text(f"principle.{code}", "name", lang))
    print(f"ALINUS   {_pct(s.alinus.score)}  {s.alinus.answered:>3}/{s.alinus.total:<3} {ui('cli.alinus', lang)}")
    if s.modules:
        print(ui("cli.kind.module", lang))
        for code, unit in s.modules.items():
            unit_line(code, unit, cat.text(f"module.{code}", "name", lang))
    else:
        print(ui("cli.no_modules", lang))
    from spi4xl.findings import counts_line

    print(ui("cli.findings", lang, counts=counts_line(a.counts, lang)))
    if args.out:
        print(ui("cli.wrote", lang, path=args.out))
    return 0


@command("validate")
def validate_cmd(args: argparse.Namespace) -> int:
    from spi4xl.assess import assess, write_report
    from spi4xl.findings import counts_line

    a = assess(args.workbook)
    if args.out:
        write_report(a, Path(args.out))
    if args.json:
        lang = a.read.audit.language
        emit_json({"findings": [f.as_dict(lang, a.read.sheets) for f in a.findings], "counts": a.counts})
    else:
        lang = _report_language(args, a.read.audit.language)
        _print_findings(a.findings, a.read.sheets, lang)
        print(f"{args.workbook}: {counts_line(a.counts, lang)}")
        if args.out:
            print(ui("cli.wrote", lang, path=args.out))
    return 1 if a.counts["error"] else 0


@command("batch")
def batch_cmd(args: argparse.Namespace) -> int:
    from spi4xl.batch import default_jobs, find_audits, run_batch

    files = find_audits(args.source)
    bar = None
    if not args.quiet:
        from tqdm import tqdm  # only for a bar: its import reads package metadata (~50 ms)

        tqdm.monitor_interval = 0  # no monitor thread: batch workers are forked from this process
        bar = lambda it: tqdm(it, total=len(files), unit="audit", file=sys.stderr)  # noqa: E731
    written, skipped = run_batch(files, Path(args.out), args.jobs or default_jobs(), bar, raw=args.raw)
    lang = ui_language()
    for path, error in skipped:
        print(ui("cli.skipped", lang, path=path, code=error.code, message=error.message(lang)), file=sys.stderr)
    print(ui("cli.batch", lang, path=args.out, written=written, skipped=len(skipped)))
    return 0


@command("compare")
def compare_cmd(args: argparse.Namespace) -> int:
    from spi4xl.assess import assess
    from spi4xl.compare import compare, load_peers

    a = assess(args.workbook)
    standings = compare(a.scores, load_peers(Path(args.peers)), exclude_file=str(args.workbook))
    cat, lang = a.read.catalog, a.read.audit.language
    if args.json:
        from dataclasses import asdict

        emit_json([asdict(s) for s in standings])
    else:
        said = _report_language(args, lang)
        col = {key: ui(f"cli.compare.{key}", said) for key in ("unit", "score", "median", "peers", "rank")}
        print(f"{col['unit']:<46} {col['score']:>7} {col['median']:>7} {col['peers']:>6} {col['rank']:>6}")
        for s in standings:
            name = (ui("cli.compare.overall", said) if s.kind == "overall"
                    else cat.text(s.code if s.kind == "dimension" else f"principle.{s.code}", "name", said))
            rank = "   -  " if s.percentile is None else f"{100 * s.percentile:5.0f}%"
            print(f"{(s.code + ' ' + name)[:46]:<46} {_pct(s.score):>7} {_pct(s.peer_median):>7} {s.peers:>6} {rank:>6}")
    if args.out:
        from spi4xl.convert import refuse_overwrite
        from spi4xl.workbook.render import render

        refuse_overwrite(Path(args.workbook), Path(args.out))
        render(cat, lang, a.read.audit, Path(args.out), findings=[], peers=standings)
        print(ui("cli.wrote", _report_language(args, lang), path=args.out))
    return 0


@command("report")
def report_cmd(args: argparse.Namespace) -> int:
    from spi4xl.reporting import Options, report_folder, write_report

    options = Options(lang=args.lang or args.ui_lang, paper=args.paper,
                      previous=Path(args.previous) if args.previous else None)
    if args.peers:
        from spi4xl.compare import load_peers

        options.peers = load_peers(Path(args.peers))
    source, out, lang = Path(args.workbook), Path(args.out), ui_language()
    if source.is_file():
        write_report(source, out, options)
        for warning in options.warnings:
            print(ui("cli.warning", lang, message=warning), file=sys.stderr)
        print(ui("cli.wrote", _report_language(args, options.lang or lang), path=out))
        return 0
    from tqdm import tqdm

    from spi4xl.batch import find_audits

    if options.previous is not None:
        raise Spi4xlError("report.previous_folder", path=args.workbook)
    files = find_audits(args.workbook)
    kind = args.format or "html"
    bar = (lambda it: tqdm(it, total=len(files), unit="report", file=sys.stderr)) if not args.quiet else None
    written, skipped = report_folder(files, source if source.is_dir() else None, out, kind, options, bar)
    for path, error in skipped:
        print(ui("cli.skipped", lang, path=path, code=error.code, message=error.message(lang)), file=sys.stderr)
    print(ui("cli.report.folder", lang, path=out, written=written, skipped=len(skipped)))
    return 1 if skipped and not written else 0


@command("doctor")
def doctor_cmd(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from spi4xl.doctor import report, run_checks

    checks = run_checks(Path(args.workbook) if args.workbook else None)
    emit_json([asdict(c) for c in checks]) if args.json else print(report(checks))
    return 1 if any(c.status == "fail" for c in checks) else 0


def check_base_url(url: str) -> None:
    """Office loads an add-in only over https; plain http only from this computer (localhost)."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    local = parts.hostname in ("localhost", "127.0.0.1", "::1")
    if parts.scheme not in ("http", "https") or not parts.hostname or (parts.scheme == "http" and not local):
        raise Spi4xlError("serve.base_url", url=url)


@command("serve")
def serve_cmd(args: argparse.Namespace) -> int:
    try:
        import uvicorn
        from xlwings import LicenseError
    except ImportError:
        raise Spi4xlError("serve.no_extras") from None
    if not _loopback(args.host) and not os.environ.get("SPI4XL_SERVER_TOKEN") and not args.insecure:
        raise Spi4xlError("serve.open_host", host=args.host)
    base_url = args.base_url or os.environ.get("SPI4XL_BASE_URL")
    if base_url:
        check_base_url(base_url)
        os.environ["SPI4XL_BASE_URL"] = base_url
    try:
        from spi4xl.xl.server import create_app
    except LicenseError:
        raise Spi4xlError("serve.licence") from None
    except ImportError:  # an extra installed by hand, without the others
        raise Spi4xlError("serve.no_extras") from None
    uvicorn.run(create_app(docs=args.docs or None, workers=args.workers), host=args.host, port=args.port,
                ssl_certfile=args.certfile, ssl_keyfile=args.keyfile)
    return 0


def _loopback(host: str) -> bool:
    """Whether only this machine can reach `host` (a host name may resolve anywhere: not loopback)."""
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def version_text() -> str:
    """The version, and the catalog editions and templates this installation carries."""
    from spi4xl import __version__
    from spi4xl.catalog.editions import STANDARDS_ENV, bundled_standards, declared_version, editions, standards_dirs
    from spi4xl.resources import templates_dir

    lines = [f"spi4xl {__version__}"]
    for root in standards_dirs():
        where = "carried" if root == bundled_standards() else f"from ${STANDARDS_ENV}"
        found = ", ".join(f"{name} {declared_version(root / name)}" for name in editions(root)) or "none"
        lines.append(f"catalog editions {where}: {found} ({root})")
    templates = sorted(p.name for p in templates_dir().glob("*.xls[xm]"))
    lines.append(f"templates carried: {len(templates)} ({templates_dir()})")
    return "\n".join(lines)


class _Version(argparse.Action):
    """--version: like argparse's own, but the text is made only when asked for."""

    def __init__(self, option_strings, dest, **kwargs) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS,
                         help="print the version, the catalog editions and the templates it carries")

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print(version_text())
        parser.exit()


EDITION_HELP = f"edition name or catalog folder (default: {DEFAULT_EDITION})"
JSON_HELP = "print JSON instead of text (keys in README)"
WORKBOOK_HELP = "an audit workbook (.xlsx or .xlsm)"


def named_command(argv: list[str]) -> str | None:
    """The sub-command `argv` names, so that only its parser is built; None when the help of every command may
    be shown (none named, an unknown name, -h before it): then all are built. '' for a bare `--version`."""
    args = iter(argv)
    for arg in args:
        if arg in ("-h", "--help"):
            return None
        if arg == "--lang":
            next(args, None)  # its value
        elif not arg.startswith("-"):
            return arg if arg in {name.split()[0] for name in COMMANDS} else None
    return "" if "--version" in argv else None


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line; with `command`, only that sub-command's parser (argparse builds each at some cost)."""

    def wanted(name: str) -> bool:
        return command is None or name == command

    parser = argparse.ArgumentParser(prog="spi4xl", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action=_Version)
    parser.add_argument("--lang", dest="ui_lang", choices=LANGUAGES, type=str.lower,
                        help="language of messages and reports (default for messages: SPI4XL_LANG, else the locale, "
                        "else en; for a report on a workbook: the workbook's language)")
    sub = parser.add_subparsers(dest="group", metavar="COMMAND")
    parser.set_defaults(help_of=parser)

    if wanted("catalog"):
        group = sub.add_parser("catalog", help="check and summarize a standards catalog")
        group.set_defaults(help_of=group)
        cat = group.add_subparsers(dest="action", metavar="ACTION")
        for action, helptext in (("check", "fail on any loader error, incomplete translation or Excel limit"),
                                 ("show", "counts per dimension, standard, principle, module and language"),
                                 ("bundle", "compile the edition and the interface strings to the JSON bundles loaded at run time")):
            p = cat.add_parser(action, help=helptext)
            p.add_argument("edition", nargs="?", default=DEFAULT_EDITION, help=EDITION_HELP)
            p.add_argument("--overlay", help="spreadsheet or PO file of your own wording (code -> text)")
            if action == "show":
                p.add_argument("--json", action="store_true", help="stable JSON (see README)")
        p = cat.add_parser("stamp", help="write a copy of an overlay declaring this catalog (after checking its wording)")
        p.add_argument("overlay", help="spreadsheet or PO file of your own wording")
        p.add_argument("--out", required=True, help="the stamped copy to write (.xlsx or .po, like the overlay)")
        p.add_argument("--edition", default=DEFAULT_EDITION, help=EDITION_HELP)

    if wanted("i18n"):
        group = sub.add_parser("i18n", help="translators' workflow")
        group.set_defaults(help_of=group)
        i18n = group.add_subparsers(dest="action", metavar="ACTION")
        p = i18n.add_parser("export", help="write a workbook of texts to translate")
        p.add_argument("--lang", required=True, type=str.lower, help="the language to translate into (fr, es)")
        p.add_argument("--out", required=True, help="the .xlsx file to write")
        p = i18n.add_parser("import", help="write a filled translation workbook back into the PO files")
        p.add_argument("workbook", help="a workbook written by 'spi4xl i18n export', filled in")
        i18n.add_parser("update", help="add new English texts to every PO file (as missing)")
        for p in i18n.choices.values():
            p.add_argument("--edition", default=DEFAULT_EDITION, help=EDITION_HELP)

    if wanted("build"):
        p = sub.add_parser("build", help="render questionnaire templates (batch regeneration)")
        p.add_argument("--edition", default=DEFAULT_EDITION, help=EDITION_HELP)
        p.add_argument("--lang", type=str.lower, help="comma-separated languages (default: all of the catalog)")
        p.add_argument("--profile", default=PROFILES[0], choices=PROFILES,
                       help="which indicators: full (default), alinus or cp (client protection)")
        p.add_argument("--modules", help="comma-separated optional modules, or 'all' (default) or 'core'")
        p.add_argument("--format", help="xlsx, xlsm or both (default)")
        p.add_argument("--out", help="folder (default: workbook_templates/ of the checkout, or of the current folder "
                       "when spi4xl is installed from a wheel; --check: the templates spi4xl carries)")
        p.add_argument("--check", action="store_true", help="fail when the committed templates differ from a fresh render")
        p.add_argument("--password", help="protect the sheets with this password (default: protected without one)")
        p.add_argument("--unprotected", action="store_true", help=UNPROTECTED_HELP)
        p.add_argument("--interpreter-win", metavar="PATH", help="the pythonw.exe that runs the .xlsm buttons on Windows "
                       "(default: none written, so the user's xlwings settings or Python on PATH decide)")
        p.add_argument("--interpreter-mac", metavar="PATH", help="the full path of the python3 that runs the .xlsm buttons "
                       "on macOS (default: none written, so the user's xlwings settings decide)")
        p.add_argument("--paper", choices=PAPERS, help="paper the sheets print on (default by language: "
                       + ", ".join(f"{lang} {paper}" for lang, paper in DEFAULT_PAPER.items()) + ")")
        p.add_argument("--department", help="comma-separated departments: blank department workbooks of one new "
                       "audit (one audit id for all), for 'spi4xl merge'; needs --out")
        p.add_argument("--json", action="store_true", help=JSON_HELP)

    if wanted("split"):
        p = sub.add_parser("split", help="one workbook per department, holding that department's indicators, "
                           "Organization fields and answers (same audit id, language and edition)")
        p.add_argument("workbook", help=WORKBOOK_HELP)
        p.add_argument("--by", choices=("department",), default="department", help="how to split (department)")
        p.add_argument("--departments", help="comma-separated department codes (default: every department with "
                       "indicators in the audit)")
        p.add_argument("--out", required=True, help="folder for the parts (named AUDIT-DEPARTMENT.xlsx)")
        p.add_argument("--json", action="store_true", help=JSON_HELP)

    if wanted("merge"):
        p = sub.add_parser("merge", help="merge filled department files into a new workbook with a Merge report sheet")
        p.add_argument("parts", nargs="+", help="the filled parts (any language, any order)")
        p.add_argument("--into", required=True, help="the audit the parts came from (or a template of the audit)")
        p.add_argument("--out", required=True, help="the new merged workbook (never an input)")
        p.add_argument("--prefer", choices=("parts", "blank-only", "newest", "fail"), default="parts",
                       help="who wins a conflict: parts (default: a part's value replaces the audit's; disagreeing parts: "
                       "the newest file), blank-only (parts fill only blanks), newest (the file saved last), fail "
                       "(any conflict or unreadable part stops the merge)")
        p.add_argument("--force", action="store_true", help="merge parts of another audit id or edition too")
        p.add_argument("--json", action="store_true", help=JSON_HELP)

    if wanted("read"):
        p = sub.add_parser("read", help="read a filled workbook")
        p.add_argument("workbook", help=WORKBOOK_HELP)
        p.add_argument("--json", action="store_true", help=JSON_HELP)

    if wanted("convert"):
        p = sub.add_parser("convert", help="a new workbook in another language and/or the current catalog")
        p.add_argument("workbook", help=WORKBOOK_HELP)
        p.add_argument("--lang", required=True, type=str.lower, help="language of the new workbook (en, fr, es)")
        p.add_argument("--edition", help="target catalog edition (default: the workbook's)")
        p.add_argument("--out", required=True, help="the new workbook to write (never the input)")
        p.add_argument("--unprotected", action="store_true", help=UNPROTECTED_HELP)
        p.add_argument("--json", action="store_true", help=JSON_HELP)

    for name, helptext in (("score", "scores of a filled workbook"), ("validate", "findings of a filled workbook (exit 1 on errors)")):
        if wanted(name):
            p = sub.add_parser(name, help=helptext)
            p.add_argument("workbook", help=WORKBOOK_HELP)
            p.add_argument("--json", action="store_true", help=JSON_HELP)
            p.add_argument("--out", help="write a new workbook with results and findings filled (the input is never changed)")

    if wanted("batch"):
        p = sub.add_parser("batch", help="score every audit of a folder or glob into one table")
        p.add_argument("source", help="folder or glob of .xlsx/.xlsm audits")
        p.add_argument("--out", required=True, help="results.csv or results.parquet")
        p.add_argument("--jobs", type=int, help="processes (default: up to 2)")
        p.add_argument("--quiet", action="store_true", help="no progress bar")
        p.add_argument("--raw", action="store_true", help="CSV texts exactly as they are: no apostrophe before a text "
                       "that starts like a formula (=, +, -, @, tab, CR), which a spreadsheet app would then run")

    if wanted("compare"):
        p = sub.add_parser("compare", help="percentile rank of an audit against a peer results table")
        p.add_argument("workbook", help=WORKBOOK_HELP)
        p.add_argument("--peers", required=True, help="results.csv or .parquet from 'spi4xl batch'")
        p.add_argument("--out", help="write a new workbook with a peer comparison sheet")
        p.add_argument("--json", action="store_true", help=JSON_HELP)

    if wanted("report"):
        p = sub.add_parser("report", help="an audit report (HTML or PDF): cover, summary, charts, findings, action plan")
        p.add_argument("workbook", help="an audit workbook, or a folder or glob of them (one report each)")
        p.add_argument("--out", required=True, help="report.html or report.pdf; for a folder, the folder to write into")
        p.add_argument("--lang", type=str.lower, choices=LANGUAGES, help="language of the report (default: the workbook's)")
        p.add_argument("--previous", help="an earlier audit workbook of the same organization: change since then")
        p.add_argument("--peers", help="results.csv or .parquet from 'spi4xl batch': percentile bands among peers")
        p.add_argument("--format", choices=("html", "pdf"), help="for a folder: html (default) or pdf")
        p.add_argument("--paper", choices=PAPERS, help="paper the report prints on (default by language, as the workbooks)")
        p.add_argument("--quiet", action="store_true", help="no progress bar (folders)")

    if wanted("doctor"):
        p = sub.add_parser("doctor", help="what the desktop buttons need on this computer and whether it is there "
                           "(and, given a workbook, whether it is sound)")
        p.add_argument("workbook", nargs="?", help="an audit workbook (.xlsm) to check as well")
        p.add_argument("--json", action="store_true", help=JSON_HELP)

    if wanted("serve"):
        p = sub.add_parser("serve", help="Populate/Validate/Score for the Office.js add-in and xlwings' VBA client "
                           "(xlwings Server; needs an xlwings PRO licence key, see README)")
        p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: 127.0.0.1, this computer only)")
        p.add_argument("--port", type=int, default=8000, help="port to listen on (default: 8000)")
        p.add_argument("--base-url", help="public https URL of this server, written into /manifest.xml")
        p.add_argument("--certfile", help="TLS certificate (Office add-ins need https)")
        p.add_argument("--keyfile", help="TLS private key")
        p.add_argument("--workers", type=int, help="processes running the jobs (default: one per core)")
        p.add_argument("--insecure", action="store_true", help="serve on a non-loopback --host without "
                       "SPI4XL_SERVER_TOKEN: anyone who can reach the host can run the jobs")
        p.add_argument("--docs", action="store_true", help="serve the OpenAPI docs (/docs, /openapi.json)")

    return parser


def _stop(signum: int, frame) -> None:
    raise KeyboardInterrupt  # SIGTERM, SIGHUP: the same clean stop as Ctrl-C (outputs as they were, workers ended)


def main(argv: list[str] | None = None) -> int:
    signals = [getattr(signal, n) for n in ("SIGTERM", "SIGHUP") if hasattr(signal, n)]
    previous = {s: signal.getsignal(s) for s in signals}
    if threading.current_thread() is not threading.main_thread():
        previous = {}  # only the main thread handles signals
    for s, handler in previous.items():
        if handler == signal.SIG_DFL:
            signal.signal(s, _stop)
    try:
        return _main(argv)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def _release(exc: BaseException) -> None:
    from spi4xl.output import release  # imported when a command fails, not by every start

    release(exc)


def _main(argv: list[str] | None) -> int:
    try:
        argv = sys.argv[1:] if argv is None else argv
        args = build_parser(named_command(argv)).parse_args(argv)
        set_ui_language(args.ui_lang)
        name = f"{args.group} {args.action}" if getattr(args, "action", None) else args.group
        if name not in COMMANDS:  # a bare `spi4xl` (or `spi4xl catalog`): the help, and exit 2 as for any usage error
            args.help_of.print_help()
            return 2
        return COMMANDS[name](args)
    except Spi4xlError as exc:
        print(f"spi4xl: {exc.line()}", file=sys.stderr)
        _release(exc)
        return 1
    except (KeyboardInterrupt, RuntimeError) as exc:
        if not interrupted(exc):
            raise
        remove_pending_outputs()
        print(f"spi4xl: {ui('cli.interrupted', ui_language())}", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as exc:  # an ordinary I/O failure no command foresaw: still one line, no traceback
        error = Spi4xlError("io.failed", path=exc.filename or "spi4xl", reason=exc.strerror or type(exc).__name__)
        print(f"spi4xl: {error.line()}", file=sys.stderr)
        _release(exc)
        return 1


if __name__ == "__main__":
    sys.exit(main())
