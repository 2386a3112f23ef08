"""Batch regeneration of the templates: every language and format of a profile, checked byte for byte."""

from __future__ import annotations

import filecmp
import hashlib
import tempfile
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from spi4xl.audit import Audit
from spi4xl.catalog import load_catalog
from spi4xl.catalog.model import Catalog
from spi4xl.workbook.render import FORMATS, render

TEMPLATES_DIR = Path(__file__).resolve().parents[1] / "workbook_templates"


@dataclass(frozen=True)
class Target:
    lang: str
    profile: str
    modules: tuple[str, ...] | None
    fmt: str

    def filename(self, catalog: Catalog) -> str:
        mods = "" if self.modules is None else "+" + "+".join(self.modules or ("core",))
        return f"spi4xl-{catalog.edition}-{self.profile}{mods}-{self.lang}.{self.fmt}"


def targets(catalog: Catalog, langs: list[str], profile: str, modules: tuple[str, ...] | None, formats: list[str]) -> list[Target]:
    return [Target(lang, profile, modules, fmt) for lang in langs for fmt in formats]


def build(edition: str = "usspm-2016", langs: list[str] | None = None, profile: str = "full",
          modules: tuple[str, ...] | None = None, formats: list[str] | None = None,
          out_dir: Path = TEMPLATES_DIR, check: bool = False, password: str | None = None) -> list[dict]:
    """Render each target into `out_dir` (or, with `check`, compare a fresh render with what is there)."""
    catalog = load_catalog(edition)
    langs = langs or list(catalog.languages)
    formats = formats or list(FORMATS)
    report = []
    with tempfile.TemporaryDirectory() if check else nullcontext(None) as tmp:
        for target in targets(catalog, langs, profile, modules, formats):
            name = target.filename(catalog)
            dest = (Path(tmp) if check else out_dir) / name
            audit = Audit(edition=catalog.edition, catalog_version=catalog.version, language=target.lang,
                          profile=profile, modules=modules)
            render(catalog, target.lang, audit, dest, password=password)
            entry = {"file": str(out_dir / name), "language": target.lang, "format": target.fmt, "profile": profile,
                     "modules": "all" if modules is None else list(modules), "edition": catalog.edition,
                     "catalog_version": catalog.version, "content_hash": catalog.content_hash,
                     "sha256": hashlib.sha256(dest.read_bytes()).hexdigest()}
            if check:
                committed = out_dir / name
                entry["status"] = ("current" if committed.exists() and filecmp.cmp(dest, committed, shallow=False)
                                   else "stale" if committed.exists() else "missing")
            report.append(entry)
    return report
