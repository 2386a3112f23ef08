"""Findings as data: a code, a severity, where it is, and a message and fix hint in the workbook's language."""

from __future__ import annotations

import dataclasses
from dataclasses import field
from typing import Any, Mapping

from spi4xl.records import Record, record
from spi4xl.ui import ui

SEVERITIES = ("error", "warning", "info")


@record
class Finding(Record):
    """One problem found in an audit: a code, a severity and where it is; its text is made in the reader's language."""

    code: str  # e.g. "answer.invalid"; its texts are UI strings finding.<code> and finding.<code>.hint
    severity: str
    item: str = ""  # indicator or detail code, Organization Information field id, or metadata key
    sheet: str = ""  # sheet role (questionnaire, organization, start)
    cell: str = ""  # A1 address in the workbook the finding was read from, when known
    values: Mapping[str, Any] = field(default_factory=dict)
    names: Mapping[str, str] = field(default_factory=dict, compare=False)  # language -> the item's label there

    def name(self, lang: str = "en") -> str:
        """The item as the auditor sees it: an Organization field by its label, audit information by its
        label on the Start sheet, questionnaire items by their code."""
        if self.sheet == "start" and self.item:
            return ui(f"meta.{self.item}", lang)
        return self.names.get(lang, self.item)

    def _values(self, lang: str) -> dict[str, Any]:
        """Placeholders for the message; a field type (`kind`) is named in the message's language."""
        values = dict(self.values)
        if "kind" in values:
            values["kind"] = ui(f"type.{values['kind']}", lang)
        return values

    def message(self, lang: str = "en") -> str:
        return ui(f"finding.{self.code}", lang, item=self.name(lang), **self._values(lang))

    def hint(self, lang: str = "en") -> str:
        return ui(f"finding.{self.code}.hint", lang, item=self.name(lang), **self._values(lang))

    def as_dict(self, lang: str = "en", sheets: Mapping[str, str] | None = None) -> dict[str, Any]:
        """`sheet`: the sheet's name in the file read (from `sheets`, role -> name), else the role; `role`: the role."""
        return {"code": self.code, "severity": self.severity, "item": self.item,
                "sheet": (sheets or {}).get(self.sheet, self.sheet), "role": self.sheet,
                "cell": self.cell, "message": self.message(lang), "hint": self.hint(lang)}


def count_by_severity(findings: list[Finding]) -> dict[str, int]:
    return {s: sum(f.severity == s for f in findings) for s in SEVERITIES}


def counts_line(counts: Mapping[str, int], lang: str) -> str:
    """"errors 28, warnings 42, notes 1": the label before its number reads right for any count, in every language."""
    return ", ".join(f"{ui('severity.' + kind, lang)} {n}" for kind, n in counts.items())


def named(findings: list[Finding], labels: Mapping[str, Mapping[str, str]]) -> list[Finding]:
    """Organization findings with their field's label in every language, from {field id: {language: label}}."""
    return [dataclasses.replace(f, names=labels[f.item]) if f.sheet == "organization" and f.item in labels else f
            for f in findings]


def located(findings: list[Finding], cells: Mapping[tuple[str, str], str]) -> list[Finding]:
    """Findings with the cell they point at, from a map of (sheet role, item) -> cell of the file that was read."""
    # built directly: dataclasses.replace looks the fields up again for each of an audit's ~200 findings
    return [f if f.cell else Finding(f.code, f.severity, f.item, f.sheet, cells.get((f.sheet, f.item), ""), f.values, f.names)
            for f in findings]
