"""Convert = read, then render: another language and/or the current catalog, nothing typed left behind."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from spi4xl.catalog import load_catalog
from spi4xl.errors import Spi4xlError
from spi4xl.migration import successor
from spi4xl.workbook.read import read_workbook
from spi4xl.workbook.render import ConversionEntry, fingerprint, render


def refuse_overwrite(src: Path, out: Path) -> None:
    """Never write over the auditor's file: same path, another spelling of it, or a link to it."""
    if src.resolve() == out.resolve() or (out.exists() and src.exists() and src.samefile(out)):
        raise Spi4xlError("write.overwrite", path=out)


def convert(src: Path, lang: str, out: Path, edition: str | None = None, protected: bool = True) -> dict:
    """Write a new workbook; returns the conversion report (also written as a sheet when not empty)."""
    refuse_overwrite(src, out)
    result = read_workbook(src)  # placed on the current version of its edition by its change records
    catalog = load_catalog(edition) if edition else result.catalog
    migration = result.migration
    before = migration.audit
    changed = []
    for code in sorted(before.typed_codes()):
        node = catalog.node(code)
        source = code if code in result.fingerprints else migration.sources.get(code, code)
        old = result.fingerprints.get(source)
        if node is not None and old and (old != fingerprint(catalog, code) or code in migration.split):
            changed.append(ConversionEntry("changed", source, code, before.answers.get(code, ""),
                                           before.comments.get(code, ""), before.evidence.get(code, ""),
                                           before.flags.get(code, "")))
    findings = result.findings
    if migration.version != before.catalog_version:
        # the old file's missing rows are the new catalog's business; items that moved are named anew
        back = {old: new for new, old in migration.sources.items()}
        findings = [replace(f, item=back.get(f.item, f.item)) for f in findings if f.code != "row.missing"]
    audit = replace(before, edition=catalog.edition, catalog_version=catalog.version, language=lang)
    render(catalog, lang, audit, out, findings=findings, conversion=changed, protected=protected)
    indicators = catalog.indicators(audit.profile, audit.modules, audit.departments)
    scope = {i.code for i in indicators} | {d.code for i in indicators for d in i.details}
    headers = {c for i in indicators for c in (i.dimension, i.standard, i.practice)}
    typed = audit.typed_codes() - headers
    unplaced = sorted(c for c in typed - scope if catalog.node(c) is None)
    return {
        "input": str(src), "output": str(out),
        "from": {"language": before.language, "edition": result.audit.edition, "catalog_version": migration.version},
        "to": {"language": lang, "edition": catalog.edition, "catalog_version": catalog.version},
        "changed": [e.old_code for e in changed],
        "moved": {new: old for new, old in sorted(migration.sources.items())},
        "merged": [c for c in unplaced if successor(catalog, c)],
        "removed": [c for c in unplaced if not successor(catalog, c)],
        "hidden": sorted(c for c in typed - scope if catalog.node(c) is not None),
        "unparsed": len(audit.unparsed),
    }
