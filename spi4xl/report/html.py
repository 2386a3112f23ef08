"""The report as one HTML file, from a Jinja2 template (autoescaped: what auditors typed is shown as text)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from spi4xl.report.model import ReportInput, build
from spi4xl.workbook.printing import paper_for

TEMPLATES = Path(__file__).resolve().parent / "templates"
CSS_PAPER = {"a4": "A4", "letter": "letter"}


@lru_cache(maxsize=1)
def _template():
    import jinja2  # only when a report is made: the core stays light

    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, trim_blocks=True,
                             lstrip_blocks=True, undefined=jinja2.StrictUndefined)
    return env.get_template("report.html")


def render_html(data: ReportInput, paper: str | None = None) -> str:
    """The page; `paper` (a4, letter) is what it prints on, by default the language's (as the workbooks)."""
    return _template().render(**build(data), paper=CSS_PAPER[paper_for(data.lang, paper)])
