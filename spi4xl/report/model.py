"""What the audit report says, as plain data for its template: cover, summary sentences, charts, tables.

Every number comes from the scores, the findings and the plan computed by the core; sentences are UI
strings in the report's language filled with those numbers. Score cells carry their exact value in
`data-` attributes so that a test (or a script) can read the report back.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import field
from typing import Any

from spi4xl.audit import Audit
from spi4xl.catalog.model import Catalog
from spi4xl.errors import Spi4xlError
from spi4xl.key_figures import ratio_value, ratios
from spi4xl.findings import SEVERITIES, Finding
from spi4xl.plan import plan_rows
from spi4xl.records import MutableRecord, Record, record
from spi4xl.report.charts import Bar, bars, radar
from spi4xl.report.numbers import number, percent, points
from spi4xl.scoring import Scores, UnitScore, score
from spi4xl.ui import has_ui, ui
from spi4xl.workbook.names import plan_status_name


@record
class PeerBand(Record):
    """Where the peers' scores of one unit lie, and this audit's percentile rank among them."""

    low: float  # 25th percentile
    median: float
    high: float  # 75th percentile
    percentile: float | None
    peers: int


@record
class Previous(Record):
    """An earlier audit of the same organization, scored with this audit's catalog."""

    audit: Audit
    scores: Scores
    carried: int  # answers whose code the catalog knows
    dropped: int  # answers whose code it does not


@record(frozen=False)
class ReportInput(MutableRecord):
    catalog: Catalog
    audit: Audit
    scores: Scores
    findings: list[Finding]
    lang: str
    source: str = ""  # the workbook's file name, for the footer
    previous: Previous | None = None
    peers: dict[str, PeerBand] = field(default_factory=dict)  # batch column (overall, dim_1, cp_CP2) -> band


def previous_audit(before: Audit, catalog: Catalog, path: str) -> Previous:
    """The earlier audit scored with this catalog: answers carried by indicator code, whatever the edition
    (a version of the same edition, or another edition whose codes this catalog shares)."""
    known = {c: a for c, a in before.answers.items() if catalog.node(c) is not None}
    if not known:
        raise Spi4xlError("report.previous_edition", path=path, edition=before.edition, version=before.catalog_version,
                          current=f"{catalog.edition} {catalog.version}")
    moved = dataclasses.replace(before, edition=catalog.edition, catalog_version=catalog.version, answers=known)
    return Previous(moved, score(moved, catalog), len(known), len(before.answers) - len(known))


def _same_name(a: Any, b: Any) -> bool:
    fold = lambda v: " ".join(str(v or "").split()).casefold()  # noqa: E731
    return fold(a) == fold(b)


class _Builder:
    def __init__(self, data: ReportInput) -> None:
        self.d, self.lang, self.cat = data, data.lang, data.catalog

    def t(self, key: str, **values: Any) -> str:
        return ui(key, self.lang, **values)

    def name(self, kind: str, code: str) -> str:
        key = {"dimension": code, "standard": code, "principle": f"principle.{code}", "module": f"module.{code}"}[kind]
        return self.cat.text(key, "name", self.lang)

    def pct(self, value: float | None) -> str:
        return percent(value, self.lang)

    # --- pieces ---------------------------------------------------------------------------------
    def cover(self) -> dict[str, Any]:
        meta, a = self.d.audit.metadata, self.d.audit
        kind = meta.get("assessment_type")
        rows = [(self.t("meta.organization"), meta.get("organization", "")), (self.t("meta.country"), meta.get("country", "")),
                (self.t("meta.assessment_type"), self.t(f"assessment.{kind}") if kind else ""),
                (self.t("meta.start_date"), meta.get("start_date", "")), (self.t("meta.end_date"), meta.get("end_date", "")),
                (self.t("meta.auditor"), meta.get("auditor", "")),
                (self.t("meta.edition"), f"{a.edition} {self.cat.version}"),
                (self.t("meta.profile"), self.t(f"profile.{a.profile}"))]
        return {"organization": meta.get("organization") or self.t("report.no_organization"),
                "rows": [(k, v.isoformat() if isinstance(v, dt.date) else str(v)) for k, v in rows if v not in ("", None)],
                "provisional": self.d.scores.provisional}

    def units(self, kind: str, section: str, units: dict[str, UnitScore], column: str) -> list[dict[str, Any]]:
        """Table rows of one kind of unit, with the previous audit's score and the peers' band when known."""
        prev = self.d.previous
        before = getattr(prev.scores, section) if prev else {}
        out = []
        for code, u in units.items():
            p = before.get(code).score if code in before else None
            change = u.score - p if u.score is not None and p is not None else None
            out.append({"code": code, "name": self.name(kind, code), "unit": f"{section}.{code}", "u": u,
                        "previous": p, "change": change, "band": self.d.peers.get(f"{column}{code}")})
        return out

    def summary(self, gaps: list) -> list[str]:
        s, t = self.d.scores, self.t
        o = s.overall
        lines = [t("report.summary.overall", score=self.pct(o.score), answered=o.answered, total=o.total,
                   completion=self.pct(o.completion)),
                 t("report.summary.provisional" if s.provisional else "report.summary.complete"),
                 t("report.summary.alinus", score=self.pct(s.alinus.score))]
        for key, kind, units in (("report.summary.principles", "principle", s.client_protection),
                                 ("report.summary.standards", "standard", s.standards)):
            scored = [(code, u.score) for code, u in units.items() if u.score is not None]
            if len(scored) > 1:
                best, worst = max(scored, key=lambda x: x[1]), min(scored, key=lambda x: x[1])
                lines.append(t(key, best=f"{best[0]} {self.name(kind, best[0])}", best_score=self.pct(best[1]),
                               worst=f"{worst[0]} {self.name(kind, worst[0])}", worst_score=self.pct(worst[1])))
        lines.append(t("report.summary.gaps", gaps=len(gaps), first=sum(r.priority == 1 for r in gaps)))
        if (prev := self.d.previous) is not None:
            when = prev.audit.metadata.get("end_date") or prev.audit.metadata.get("start_date") or "?"
            before, after = prev.scores.overall.score, o.score
            lines.append(t("report.summary.previous", date=when, before=self.pct(before), after=self.pct(after),
                           change=points(after - before, self.lang) if before is not None and after is not None else "–"))
        if (band := self.d.peers.get("overall")) is not None and band.percentile is not None:
            lines.append(t("report.summary.peers", peers=band.peers, percentile=percent(band.percentile, self.lang, 0)))
        counts = {sev: sum(f.severity == sev for f in self.d.findings) for sev in SEVERITIES}
        lines.append(t("report.summary.findings", **counts))
        return lines

    def charts(self, dims: list[dict], stds: list[dict], cps: list[dict]) -> dict[str, str]:
        def bar(row: dict, label: str | None = None) -> Bar:
            band = row["band"]
            return Bar(label or row["code"], f"{row['code']} {row['name']}", row["u"].score, row["previous"],
                       (band.low, band.median, band.high) if band else None)

        short = lambda code: self.t(f"dimension_short.{code}") if has_ui(f"dimension_short.{code}") else code  # noqa: E731
        return {
            "radar": radar(self.t("results.dimensions"), [bar(r, short(r["code"])) for r in dims], self.lang),
            "standards": bars(self.t("results.standards"), [bar(r) for r in stds], self.lang),
            "principles": bars(self.t("results.principles"), [bar(r) for r in cps], self.lang),
            "completion": bars(self.t("col.completion"), [Bar(short(r["code"]), f"{r['code']} {r['name']}",
                                                              r["u"].completion) for r in dims], self.lang, width=520, label_width=230),
        }

    def social(self) -> list[dict[str, str]]:
        """The dashboard's figures of Organization Information, formatted, with their units; then the shares."""
        org, out = self.d.audit.org, []
        for f in (f for f in self.cat.org_fields if f.dashboard):
            value = org.get(f.id)
            shown = "–" if value is None else percent(value, self.lang) if f.type == "percent" else number(value, self.lang, f.type)
            unit = self.cat.text(f"org.{f.id}", "unit", self.lang) if f.has_unit else ""
            if f.type == "currency" and org.get("currency"):
                unit = f"{unit} ({org['currency']})" if unit else str(org["currency"])
            out.append({"label": self.cat.text(f"org.{f.id}", "label", self.lang), "value": shown, "unit": unit, "id": f.id})
        for ratio in ratios(self.cat):  # the dashboard's ratios, computed as the workbook's formulas compute them
            value = ratio_value(org, ratio)
            shown = self.pct(value) if ratio.percent else "–" if value is None else number(value, self.lang, "number")
            out.append({"label": self.t(ratio.label_key), "value": shown, "unit": "", "id": ratio.label_key})
        return out

    def findings(self) -> list[dict[str, Any]]:
        groups = []
        for sev in SEVERITIES:
            items = [{"item": f.name(self.lang), "message": f.message(self.lang), "hint": f.hint(self.lang),
                      "where": f"{self.t('sheet.' + f.sheet) if has_ui('sheet.' + f.sheet) else f.sheet}"
                               f"{'!' + f.cell if f.cell else ''}"}
                     for f in self.d.findings if f.severity == sev]
            if items:
                groups.append({"severity": sev, "title": self.t(f"finding_severity.{sev}"), "items": items})
        return groups

    def plan(self, gaps: list) -> list[dict[str, Any]]:
        out = []
        for r in gaps:
            ind = self.cat.indicator(r.code)
            e = r.entry
            due = e.get("due")
            out.append({"code": r.code, "text": self.cat.text(r.code, "text", self.lang), "gap": self.t(f"plan_state.{r.state}"),
                        "priority": r.priority, "standard": ind.standard, "std_score": self.pct(r.standard_score),
                        "principles": ", ".join(ind.principles), "alinus": "ALINUS" if ind.alinus else "",
                        "department": self.cat.text(f"department.{ind.department}", "name", self.lang),
                        "action": e.get("action", ""), "owner": e.get("owner", ""),
                        "due": due.isoformat() if isinstance(due, dt.date) else due or "",
                        "status": plan_status_name(e["status"], self.lang) if e.get("status") else ""})
        return out

    def warnings(self) -> list[str]:
        prev, out = self.d.previous, []
        if prev is None:
            return out
        here, there = self.d.audit.metadata.get("organization"), prev.audit.metadata.get("organization")
        if not _same_name(here, there):
            out.append(self.t("report.warning.organization", previous=there or "?", current=here or "?"))
        if prev.dropped or (prev.audit.edition, prev.audit.catalog_version) != (self.d.audit.edition, self.d.audit.catalog_version):
            out.append(self.t("report.warning.catalog", carried=prev.carried, dropped=prev.dropped))
        return out


def report_warnings(data: ReportInput) -> list[str]:
    """What the report warns about (the previous audit's organization or catalog), for the command line too."""
    return _Builder(data).warnings()


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("spi4xl")
    except PackageNotFoundError:  # run from a checkout without installing
        return "?"


def build(data: ReportInput) -> dict[str, Any]:
    """The template's context."""
    b, s = _Builder(data), data.scores
    gaps = [r for r in plan_rows(data.catalog, data.audit, s) if r.is_gap]
    dims = b.units("dimension", "dimensions", s.dimensions, "dim_")
    stds = b.units("standard", "standards", s.standards, "std_")
    cps = b.units("principle", "client_protection", s.client_protection, "cp_")
    return {
        "lang": data.lang, "t": b.t, "pct": b.pct, "points": lambda v: points(v, data.lang),
        "title": data.audit.metadata.get("organization") or b.t("report.title"),
        "cover": b.cover(), "summary": b.summary(gaps), "warnings": b.warnings(),
        "overall": s.overall, "alinus": s.alinus, "provisional": s.provisional,
        "dimensions": dims, "standards": stds, "principles": cps,
        "modules": b.units("module", "modules", s.modules, "module_"),
        "charts": b.charts(dims, stds, cps), "has_previous": data.previous is not None, "has_peers": bool(data.peers),
        "overall_band": data.peers.get("overall"),
        "previous_overall": data.previous.scores.overall.score if data.previous else None,
        "social": b.social(), "findings": b.findings(), "plan": b.plan(gaps),
        "footer": b.t("report.footer", version=_version(), file=data.source or "-"),
    }
