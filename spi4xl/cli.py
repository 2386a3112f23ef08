"""The `spi4xl` command: every expected failure is one line on stderr and a non-zero exit, never a traceback."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Callable

from spi4xl.errors import Spi4xlError
from spi4xl.output import release

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


# --- workbooks ------------------------------------------------------------------------------
def _split(text: str | None) -> list[str] | None:
    return [part.strip() for part in text.split(",") if part.strip()] if text else None


def _modules_arg(text: str | None) -> tuple[str, ...] | None:
    return None if text in (None, "all") else tuple(m for m in _split(text) or [] if m != "core")


@command("build")
def build_cmd(args: argparse.Namespace) -> int:
    from spi4xl.build import TEMPLATES_DIR, build

    report = build(args.edition, _split(args.lang), args.profile, _modules_arg(args.modules), _split(args.format),
                   Path(args.out) if args.out else TEMPLATES_DIR, check=args.check, password=args.password)
    if args.json:
        emit_json(report)
    else:
        for entry in report:
            print(f"{entry.get('status', 'wrote')}: {entry['file']}")
    if args.check and any(e["status"] != "current" for e in report):
        print("templates are not current: run 'spi4xl build' and commit workbook_templates/", file=sys.stderr)
        return 1
    return 0


@command("read")
def read_cmd(args: argparse.Namespace) -> int:
    from spi4xl.workbook.read import read_workbook

    result = read_workbook(args.workbook)
    audit = result.audit
    if args.json:
        emit_json({"audit": audit_to_dict(audit), "findings": [f.as_dict(audit.language) for f in result.findings],
                   "sheets": result.sheets})
    else:
        print(f"{args.workbook}: {audit.edition} {audit.catalog_version}, language {audit.language}, profile {audit.profile}")
        print(f"{len(audit.answers)} answers, {len(audit.comments)} comments, {len(audit.flags)} flags, "
              f"{len(audit.org)} Organization Information values, {len(result.findings)} finding(s)")
        for f in result.findings:
            print(f"  {f.severity}: {result.sheets.get(f.sheet, f.sheet)}!{f.cell}: {f.message(audit.language)}")
    return 0


def audit_to_dict(audit) -> dict:
    from dataclasses import asdict

    data = asdict(audit)
    data["unparsed"] = [{"item": k[0], "column": k[1], "text": v} for k, v in audit.unparsed.items()]
    return data


@command("convert")
def convert_cmd(args: argparse.Namespace) -> int:
    from spi4xl.convert import convert

    report = convert(Path(args.workbook), args.lang, Path(args.out), edition=args.edition)
    if args.json:
        emit_json(report)
    else:
        print(f"wrote {report['output']} ({report['to']['language']}, {report['to']['edition']} {report['to']['catalog_version']})")
        for status in ("changed", "removed", "hidden"):
            if report[status]:
                print(f"  {status}: {', '.join(report[status])}")
    return 0


# --- scores, findings, batches ----------------------------------------------------------------
def _print_findings(findings, sheets: dict[str, str], lang: str) -> None:
    for f in findings:
        where = f"{sheets.get(f.sheet, f.sheet)}!{f.cell}" if f.cell else sheets.get(f.sheet, f.sheet)
        print(f"  {f.severity:<7} {f.code:<24} {where:<22} {f.message(lang)}")


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
        emit_json({**s.to_dict(), "findings": a.counts, "output": args.out})
        return 0
    cat, lang = a.read.catalog, a.read.audit.language
    state = "provisional" if s.provisional else "complete"
    print(f"{args.workbook}: overall {_pct(s.overall.score)} ({s.overall.answered}/{s.overall.total} answered, {state})")
    for code, unit in s.dimensions.items():
        print(f"  {code}  {_pct(unit.score)}  {unit.answered:>3}/{unit.total:<3} {cat.text(code, 'name', lang)}")
    for code, unit in s.client_protection.items():
        print(f"  {code} {_pct(unit.score)}  {unit.answered:>3}/{unit.total:<3} {cat.text('principle.' + code, 'name', lang)}")
    print(f"  ALINUS {_pct(s.alinus.score)}   findings: " + ", ".join(f"{n} {k}" for k, n in a.counts.items()))
    if args.out:
        print(f"wrote {args.out}")
    return 0


@command("validate")
def validate_cmd(args: argparse.Namespace) -> int:
    from spi4xl.assess import assess, write_report

    a = assess(args.workbook)
    lang = a.read.audit.language
    if args.out:
        write_report(a, Path(args.out))
    if args.json:
        emit_json({"findings": [f.as_dict(lang) for f in a.findings], "counts": a.counts})
    else:
        _print_findings(a.findings, a.read.sheets, lang)
        print(f"{args.workbook}: " + ", ".join(f"{n} {k}(s)" for k, n in a.counts.items()))
    return 1 if a.counts["error"] else 0


@command("batch")
def batch_cmd(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from spi4xl.batch import default_jobs, find_audits, run_batch

    files = find_audits(args.source)
    tqdm.monitor_interval = 0  # no monitor thread: batch workers are forked from this process
    bar = (lambda it: tqdm(it, total=len(files), unit="audit", file=sys.stderr)) if not args.quiet else None
    written, skipped = run_batch(files, Path(args.out), args.jobs or default_jobs(), bar, raw=args.raw)
    for path, error in skipped:
        print(f"skipped {path}: {error}", file=sys.stderr)
    print(f"wrote {args.out}: {written} audit(s), {len(skipped)} skipped")
    return 0


@command("compare")
def compare_cmd(args: argparse.Namespace) -> int:
    from spi4xl.assess import assess
    from spi4xl.compare import compare, load_peers
    from spi4xl.convert import refuse_overwrite
    from spi4xl.workbook.render import render

    a = assess(args.workbook)
    standings = compare(a.scores, load_peers(Path(args.peers)), exclude_file=str(args.workbook))
    cat, lang = a.read.catalog, a.read.audit.language
    if args.json:
        from dataclasses import asdict

        emit_json([asdict(s) for s in standings])
    else:
        print(f"{'unit':<46} {'score':>7} {'median':>7} {'peers':>6} {'rank':>6}")
        for s in standings:
            name = "overall" if s.kind == "overall" else cat.text(s.code if s.kind == "dimension" else f"principle.{s.code}", "name", lang)
            rank = "   -  " if s.percentile is None else f"{100 * s.percentile:5.0f}%"
            print(f"{(s.code + ' ' + name)[:46]:<46} {_pct(s.score):>7} {_pct(s.peer_median):>7} {s.peers:>6} {rank:>6}")
    if args.out:
        refuse_overwrite(Path(args.workbook), Path(args.out))
        render(cat, lang, a.read.audit, Path(args.out), findings=[], peers=standings)
        print(f"wrote {args.out}")
    return 0


@command("serve")
def serve_cmd(args: argparse.Namespace) -> int:
    try:
        import uvicorn
        from xlwings import LicenseError
    except ImportError:
        raise Spi4xlError("'spi4xl serve' needs the server extras: pip install 'spi4xl[server]'") from None
    if not _loopback(args.host) and not os.environ.get("SPI4XL_SERVER_TOKEN") and not args.insecure:
        raise Spi4xlError("serve.open_host", host=args.host)
    if args.base_url:
        os.environ["SPI4XL_BASE_URL"] = args.base_url
    try:
        from spi4xl.xl.server import create_app
    except LicenseError:
        raise Spi4xlError("'spi4xl serve' uses xlwings PRO (xlwings Server), which needs a licence key in "
                          "XLWINGS_LICENSE_KEY: 'noncommercial' for non-commercial use under the PolyForm "
                          "Noncommercial licence, otherwise a paid xlwings licence (see the README)") from None
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

    p = sub.add_parser("build", help="render questionnaire templates (batch regeneration)")
    p.add_argument("--edition", default=DEFAULT_EDITION)
    p.add_argument("--lang", help="comma-separated languages (default: all of the catalog)")
    p.add_argument("--profile", default="full", choices=("full", "alinus", "cp"))
    p.add_argument("--modules", help="comma-separated optional modules, or 'all' (default) or 'core'")
    p.add_argument("--format", help="xlsx, xlsm or both (default)")
    p.add_argument("--out", help="folder (default: workbook_templates/)")
    p.add_argument("--check", action="store_true", help="fail when the committed templates differ from a fresh render")
    p.add_argument("--password", help="protect the sheets with this password (default: protected without one)")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("read", help="read a filled workbook")
    p.add_argument("workbook")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("convert", help="a new workbook in another language and/or the current catalog")
    p.add_argument("workbook")
    p.add_argument("--lang", required=True)
    p.add_argument("--edition", help="target catalog edition (default: the workbook's)")
    p.add_argument("--out", required=True)
    p.add_argument("--json", action="store_true")

    for name, helptext in (("score", "scores of a filled workbook"), ("validate", "findings of a filled workbook (exit 1 on errors)")):
        p = sub.add_parser(name, help=helptext)
        p.add_argument("workbook")
        p.add_argument("--json", action="store_true")
        p.add_argument("--out", help="write a new workbook with results and findings filled (the input is never changed)")

    p = sub.add_parser("batch", help="score every audit of a folder or glob into one table")
    p.add_argument("source", help="folder or glob of .xlsx/.xlsm audits")
    p.add_argument("--out", required=True, help="results.csv or results.parquet")
    p.add_argument("--jobs", type=int, help="processes (default: up to 2)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--raw", action="store_true", help="CSV texts exactly as they are: no apostrophe before a text "
                   "that starts like a formula (=, +, -, @, tab, CR), which a spreadsheet app would then run")

    p = sub.add_parser("compare", help="percentile rank of an audit against a peer results table")
    p.add_argument("workbook")
    p.add_argument("--peers", required=True, help="results.csv or .parquet from 'spi4xl batch'")
    p.add_argument("--out", help="write a new workbook with a peer comparison sheet")
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("serve", help="Populate/Validate/Score for the Office.js add-in and xlwings' VBA client "
                       "(xlwings Server; needs an xlwings PRO licence key, see README)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
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


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    name = f"{args.group} {args.action}" if getattr(args, "action", None) else args.group
    try:
        return COMMANDS[name](args)
    except Spi4xlError as exc:
        print(f"spi4xl: error: {exc}", file=sys.stderr)
        release(exc)
        return 1
    except KeyboardInterrupt:
        print("spi4xl: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head` and the like: stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as exc:  # an ordinary I/O failure no command foresaw: still one line, no traceback
        error = Spi4xlError("io.failed", path=exc.filename or "spi4xl", reason=exc.strerror or type(exc).__name__)
        print(f"spi4xl: error: {error}", file=sys.stderr)
        release(exc)
        return 1

if __name__ == "__main__":
    sys.exit(main())
