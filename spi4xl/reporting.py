"""`spi4xl report`: an audit workbook (or a folder of them) as a report in HTML or PDF.

Composition: read, score and validate the workbook (spi4xl.assess), optionally score an earlier audit
with the same catalog and place the audit among peers (spi4xl.compare), then spi4xl.report writes the
page, and a headless browser prints it when a PDF is asked for.
"""

from __future__ import annotations

import contextlib
import tempfile
from dataclasses import field
from pathlib import Path
from typing import Callable, Iterable, Iterator

from spi4xl.assess import assess
from spi4xl.errors import Spi4xlError
from spi4xl.output import atomic_output
from spi4xl.records import MutableRecord, record
from spi4xl.report.html import render_html
from spi4xl.report.model import ReportInput, previous_audit, report_warnings
from spi4xl.ui import ui

FORMATS = {".html": "html", ".htm": "html", ".pdf": "pdf"}


@record(frozen=False)
class Options(MutableRecord):
    lang: str | None = None  # None: the workbook's language
    paper: str | None = None  # None: the language's paper
    previous: Path | None = None
    peers: object = None  # a peers table loaded by spi4xl.compare.load_peers
    browser: object = None  # an open spi4xl.report.pdf.Browser, shared by the reports of a folder
    warnings: list[str] = field(default_factory=list)  # what the last report warned about, for the command line


def report_input(path: Path, options: Options) -> ReportInput:
    """Everything one report says, from the workbook and the options."""
    a = assess(path)
    audit, catalog = a.read.audit, a.read.catalog
    lang = options.lang or audit.language
    data = ReportInput(catalog, audit, a.scores, a.findings, lang, path.name)
    if options.previous is not None:
        from spi4xl.workbook.read import read_workbook

        data.previous = previous_audit(read_workbook(options.previous).audit, catalog, str(options.previous))
    if options.peers is not None:
        from spi4xl.compare import peer_bands

        data.peers = peer_bands(a.scores, options.peers, exclude_file=str(path))
    return data


def output_format(out: Path) -> str:
    kind = FORMATS.get(out.suffix.lower())
    if kind is None:
        raise Spi4xlError("report.out_format", path=out)
    return kind


def write_report(path: Path, out: Path, options: Options) -> Path:
    """One report; the format follows the file name (.html or .pdf). The workbook is never touched."""
    from spi4xl.convert import refuse_overwrite

    kind = output_format(out)
    refuse_overwrite(path, out)
    data = report_input(path, options)
    page = render_html(data, options.paper)
    options.warnings = report_warnings(data)
    with atomic_output(out) as temp:
        if kind == "html":
            temp.write_text(page, encoding="utf-8")
        else:
            with tempfile.TemporaryDirectory(prefix="spi4xl-report-") as folder, _browser(options) as browser:
                html = Path(folder) / "report.html"
                html.write_text(page, encoding="utf-8")
                browser.pdf(html, temp, ui("report.page", data.lang))
    return out


@contextlib.contextmanager
def _browser(options: Options) -> Iterator:
    """The folder's shared browser, or one for this report alone."""
    if options.browser is not None:
        yield options.browser
        return
    from spi4xl.report.pdf import Browser

    with Browser() as browser:
        yield browser


def report_folder(files: list[Path], root: Path | None, out_dir: Path, kind: str, options: Options,
                  progress: Callable[[Iterable], Iterable] | None = None) -> tuple[int, list[tuple[Path, Spi4xlError]]]:
    """One report per workbook under `out_dir` (sub-folders of `root` kept); returns (written, skipped)."""
    written, skipped = 0, []
    with contextlib.ExitStack() as stack:
        if kind == "pdf":
            from spi4xl.report.pdf import Browser

            options.browser = stack.enter_context(Browser())
        for path in (progress(files) if progress else files):
            relative = path.relative_to(root) if root is not None else Path(path.name)
            out = out_dir / relative.with_suffix(f".{kind}")
            out.parent.mkdir(parents=True, exist_ok=True)
            try:
                write_report(path, out, options)
                written += 1
            except Spi4xlError as exc:
                skipped.append((path, exc))
    return written, skipped

