"""Batch regeneration of the templates: every language and format of a profile, checked byte for byte."""

from __future__ import annotations

import filecmp
import hashlib
import re
import tempfile
from contextlib import nullcontext
from pathlib import Path

from spi4xl.audit import Audit
from spi4xl.catalog import load_catalog
from spi4xl.catalog.model import CORE_MODULE, PROFILES, Catalog
from spi4xl.errors import Spi4xlError
from spi4xl.records import Record, record
from spi4xl.resources import templates_dir

TEMPLATES_DIR = templates_dir()


def default_out_dir(check: bool = False) -> Path:
    """Where `spi4xl build` writes without --out: the checkout's workbook_templates/ (to be committed);
    installed from a wheel, ./workbook_templates, never the installed package. --check compares with
    the templates spi4xl carries."""
    in_checkout = (TEMPLATES_DIR.parent / "pyproject.toml").is_file()
    return TEMPLATES_DIR if check or in_checkout else Path("workbook_templates")


# What xlwings can start from the xlwings.conf sheet: a Windows python(w).exe (a full path, or a name on
# PATH), a macOS absolute path (AppleScript's shell has no user PATH: a bare `python3` is Apple's stub).
INTERPRETERS = {"Interpreter_Win": (re.compile(r"[^\r\n\"]*\.exe", re.IGNORECASE), "C:\\Python311\\pythonw.exe"),
                "Interpreter_Mac": (re.compile(r"/[^\r\n\"]*"), "/usr/local/bin/python3")}


def interpreter_settings(win: str | None = None, mac: str | None = None) -> dict[str, str]:
    """xlwings.conf settings for the interpreters asked for, refusing a path xlwings could not start."""
    settings = {}
    for key, path in (("Interpreter_Win", win), ("Interpreter_Mac", mac)):
        if path is None:
            continue
        rx, example = INTERPRETERS[key]
        if not rx.fullmatch(path.strip()):
            raise Spi4xlError("build.interpreter", option=f"--{key.lower().replace('_', '-')}", path=path,
                              example=example)
        settings[key] = path.strip()
    return settings


@record
class Target(Record):
    lang: str
    profile: str
    modules: tuple[str, ...] | None
    fmt: str

    def filename(self, catalog: Catalog) -> str:
        mods = "" if self.modules is None else "+" + "+".join(self.modules or (CORE_MODULE,))
        return f"spi4xl-{catalog.edition}-{self.profile}{mods}-{self.lang}.{self.fmt}"


def targets(catalog: Catalog, langs: list[str], profile: str, modules: tuple[str, ...] | None, formats: list[str]) -> list[Target]:
    return [Target(lang, profile, modules, fmt) for lang in langs for fmt in formats]


def build(edition: str = "usspm-2016", langs: list[str] | None = None, profile: str = PROFILES[0],
          modules: tuple[str, ...] | None = None, formats: list[str] | None = None,
          out_dir: Path = TEMPLATES_DIR, check: bool = False, password: str | None = None, protected: bool = True,
          interpreters: dict[str, str] | None = None, paper: str | None = None) -> list[dict]:
    """Render each target into `out_dir` (or, with `check`, compare a fresh render with what is there).

    `interpreters`: xlwings.conf settings of the .xlsm files (see interpreter_settings).
    `paper`: a4 or letter for every target; None: each language's default paper.
    """
    from spi4xl.workbook.render import FORMATS, render_formats  # XlsxWriter: only when templates are made

    catalog = load_catalog(edition)
    langs = langs or list(catalog.languages)
    formats = formats or list(FORMATS)
    listed_modules = [m for m in catalog.module_codes if m != CORE_MODULE] if modules is None else list(modules)
    created = [] if check else _missing_folders(out_dir)
    report = []
    try:
        with tempfile.TemporaryDirectory() if check else nullcontext(None) as tmp:
            for lang in langs:  # a language's formats share their sheets: written once (render_formats)
                chosen = targets(catalog, [lang], profile, modules, formats)
                dests = [(Path(tmp) if check else out_dir) / target.filename(catalog) for target in chosen]
                audit = Audit(edition=catalog.edition, catalog_version=catalog.version, language=lang,
                              profile=profile, modules=modules)
                render_formats(catalog, lang, audit, dests, password=password, protected=protected,
                               interpreters=interpreters, paper=paper)
                for target, dest in zip(chosen, dests):
                    name = dest.name
                    entry = {"file": str(out_dir / name), "language": target.lang, "format": target.fmt,
                             "profile": profile, "modules": listed_modules, "edition": catalog.edition,
                             "catalog_version": catalog.version, "content_hash": catalog.content_hash,
                             "sha256": hashlib.sha256(dest.read_bytes()).hexdigest()}
                    if check:
                        committed = out_dir / name
                        entry["status"] = ("current" if committed.exists() and filecmp.cmp(dest, committed, shallow=False)
                                           else "stale" if committed.exists() else "missing")
                    report.append(entry)
    except BaseException:
        for folder in created:  # a failed build leaves no empty folder behind (files already written stay)
            if folder.is_dir() and not any(folder.iterdir()):
                folder.rmdir()
        raise
    return report


def _missing_folders(folder: Path) -> list[Path]:
    """The folders a build into `folder` would create, deepest first."""
    missing = []
    for path in (folder, *folder.parents):
        if path.exists():
            break
        missing.append(path)
    return missing
