"""Convert = read, then render: another language and/or the current catalog, nothing typed left behind."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from spi4xl.catalog import load_catalog
from spi4xl.errors import Spi4xlError
from spi4xl.workbook.read import read_workbook
from spi4xl.workbook.render import ConversionEntry, fingerprint, render


def refuse_overwrite(src: Path, out: Path) -> None:
    """Never write over the auditor's file: same path, another spelling of it, or a link to it."""
    if src.resolve() == out.resolve() or (out.exists() and src.exists() and src.samefile(out)):
        raise Spi4xlError("write.overwrite", path=out)


def convert(src: Path, lang: str, out: Path, edition: str | None = None) -> dict:
    """Write a new workbook; returns the conversion report (also written as a sheet when not empty)."""
    refuse_overwrite(src, out)
    result = read_workbook(src)
    before = result.audit
    catalog = load_catalog(edition) if edition else result.catalog
    changed = []
    for code in sorted(before.typed_codes()):
        node = catalog.node(code)
        old = result.fingerprints.get(code)
        if node is not None and old and old != fingerprint(catalog, code):
            changed.append(ConversionEntry("changed", code, code, before.answers.get(code, ""), before.comments.get(code, ""),
                                           before.evidence.get(code, ""), before.flags.get(code, "")))
    audit = replace(before, edition=catalog.edition, catalog_version=catalog.version, language=lang)
    render(catalog, lang, audit, out, findings=result.findings, conversion=changed)
    scope = {i.code for i in catalog.indicators(audit.profile, audit.modules, audit.departments)}
    scope |= {d.code for i in catalog.indicators(audit.profile, audit.modules, audit.departments) for d in i.details}
    typed = audit.typed_codes()
    return {
        "input": str(src), "output": str(out),
        "from": {"language": before.language, "edition": before.edition, "catalog_version": before.catalog_version},
        "to": {"language": lang, "edition": catalog.edition, "catalog_version": catalog.version},
        "changed": [e.old_code for e in changed],
        "removed": sorted(c for c in typed - scope if catalog.node(c) is None),
        "hidden": sorted(c for c in typed - scope if catalog.node(c) is not None),
        "unparsed": len(audit.unparsed),
    }
