"""Scoring and validating a workbook file: compositions of read, the pure engines and render."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from spi4xl.findings import Finding, count_by_severity, located
from spi4xl.records import MutableRecord, record
from spi4xl.scoring import Scores, score
from spi4xl.validation import validate
from spi4xl.workbook.read import ReadResult, read_workbook


@record(frozen=False)
class Assessment(MutableRecord):
    """One audit file read, scored and validated."""

    path: Path
    read: ReadResult
    scores: Scores
    findings: list[Finding]

    @property
    def counts(self) -> dict[str, int]:
        return count_by_severity(self.findings)


def assess(path: str | Path) -> Assessment:
    result = read_workbook(path)
    catalog = result.catalog
    findings = result.findings + located(validate(result.audit, catalog), result.cells)
    return Assessment(Path(path), result, score(result.audit, catalog), findings)


def write_report(assessment: Assessment, out: Path) -> Path:
    """A new workbook: the audit re-rendered with results and findings filled. The input is never touched."""
    from spi4xl.convert import refuse_overwrite  # XlsxWriter: only when a workbook is written
    from spi4xl.workbook.render import render

    refuse_overwrite(assessment.path, out)
    audit, catalog = assessment.read.audit, assessment.read.catalog
    findings = [dataclasses.replace(f, cell="") for f in assessment.findings]  # re-located in the new file
    return render(catalog, audit.language, audit, out, findings=findings)
