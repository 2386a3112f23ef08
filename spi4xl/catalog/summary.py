"""`catalog show`: counts an auditor or maintainer checks at a glance, with a stable JSON shape."""

from __future__ import annotations

from spi4xl.catalog.check import translation_reports
from spi4xl.catalog.model import Catalog


def summarize(catalog: Catalog) -> dict:
    """Counts per dimension and standard, principle, ALINUS, module, org fields and translations."""
    inds = catalog.all_indicators()

    def counts(indicators) -> dict:
        return {"indicators": len(indicators), "detail_items": sum(len(i.details) for i in indicators)}

    dimensions = []
    for dim in catalog.dimensions:
        standards = []
        for std in dim.standards:
            s_inds = [i for p in std.practices for i in p.indicators]
            standards.append({"code": std.code, "name": catalog.text(std.code), "essential_practices": len(std.practices), **counts(s_inds)})
        d_inds = [i for i in inds if i.dimension == dim.code]
        dimensions.append({"code": dim.code, "name": catalog.text(dim.code), "standards": standards,
                           "essential_practices": sum(s["essential_practices"] for s in standards), **counts(d_inds)})
    reports = translation_reports(catalog)
    return {
        "id": catalog.id,
        "edition": catalog.edition,
        "version": catalog.version,
        "date": catalog.date,
        "content_hash": catalog.content_hash,
        "numbering": catalog.text("catalog", "numbering"),
        "languages": list(catalog.languages),
        "totals": {
            "dimensions": len(catalog.dimensions),
            "standards": len(catalog.standards),
            "essential_practices": len(catalog.practices),
            "indicators": len(inds),
            "detail_items": sum(len(i.details) for i in inds),
            "checklists": sum(i.is_checklist for i in inds),
            "mandatory": sum(i.mandatory for i in inds),
            "alinus": sum(i.alinus for i in inds),
            "organization_fields": len(catalog.org_fields),
            "organization_rules": len(catalog.org_rules),
        },
        "dimensions": dimensions,
        "principles": [{"code": p.code, "name": catalog.text(p.key), "indicators": sum(p.code in i.principles for i in inds)}
                       for p in catalog.principles],
        "modules": [{"code": mo.code, "name": catalog.text(mo.key), "indicators": sum(i.module == mo.code for i in inds)}
                    for mo in catalog.modules],
        "translations": {
            lang: {domain: _completeness(report) for (domain, lang_), report in reports.items() if lang_ == lang}
            for lang in dict.fromkeys(lang for _, lang in reports)
        },
    }


def _completeness(report) -> dict:
    return {"entries": len(report.entries), "percent": round(100 * report.completeness, 1),
            **{status: report.count(status) for status in ("missing", "fuzzy", "stale", "placeholders")}}


def render_text(summary: dict) -> str:
    """The same numbers as a short table for the terminal."""
    t = summary["totals"]
    lines = [f"{summary['id']} {summary['version']} ({summary['date']}), hash {summary['content_hash']}",
             f"{t['dimensions']} dimensions, {t['standards']} standards, {t['essential_practices']} essential practices, "
             f"{t['indicators']} indicators ({t['checklists']} checklists, {t['detail_items']} detail items), "
             f"{t['alinus']} ALINUS, {t['organization_fields']} Organization Information fields"]
    lines += [summary["numbering"], ""] if summary["numbering"] else [""]
    for d in summary["dimensions"]:
        lines.append(f"{d['code']:<3} {d['name'][:60]:<60} EP {d['essential_practices']:>3}  ind {d['indicators']:>3}  det {d['detail_items']:>3}")
        for s in d["standards"]:
            lines.append(f"  {s['code']:<4}{s['name'][:57]:<57} EP {s['essential_practices']:>3}  ind {s['indicators']:>3}  det {s['detail_items']:>3}")
    lines.append("")
    lines += [f"{p['code']:<4} {p['name'][:60]:<60} {p['indicators']:>3} indicators" for p in summary["principles"]]
    lines += [f"module {m['code']:<12} {m['indicators']:>3} indicators" for m in summary["modules"]]
    for lang, tr in summary["translations"].items():
        lines.append(f"translation {lang}: " + ", ".join(f"{domain} {c['percent']}%" for domain, c in tr.items()))
    return "\n".join(lines)
