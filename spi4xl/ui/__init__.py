"""User-interface strings (sheet names, headers, messages) in English, translated through PO files.

At run time they come from the compiled bundle `ui/bundle.json` when it matches en/*.yaml and the PO
files (spi4xl.bundles; `spi4xl catalog bundle` writes it), else from those sources: xlwings Lite's
Python has neither PyYAML nor polib, and reading the bundle is faster everywhere.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Mapping

if TYPE_CHECKING:
    from spi4xl.po import TextKey, Translations

UI_DIR = Path(__file__).resolve().parent
# The interface speaks English and every language it has a PO file for (each catalog language needs one:
# spi4xl catalog check says so).
LANGUAGES = ("en", *sorted(path.stem for path in UI_DIR.glob("*.po")))


@lru_cache(maxsize=1)
def ui_source() -> Mapping[TextKey, str]:
    """English UI strings from en/*.yaml, keyed like catalog texts: ("ui.<id>", "text")."""
    from spi4xl.strict_yaml import Node, load_yaml  # PyYAML: only when the sources are read

    out: dict[TextKey, str] = {}
    for path in sorted((UI_DIR / "en").glob("*.yaml")):
        shown = f"spi4xl/ui/en/{path.name}"
        node = Node(load_yaml(path, shown), shown)
        for key in node.data:
            if (f"ui.{key}", "text") in out:
                raise node.fail("ui.duplicate_key", key)
            out[(f"ui.{key}", "text")] = node.text(key)
        node.close()
    return MappingProxyType(out)


@lru_cache(maxsize=4)
def ui_translations(lang: str) -> Translations:
    from spi4xl.po import read_translations  # polib: only when the sources are read

    return read_translations(UI_DIR / f"{lang}.po", lang, ui_source())


def bundle_path() -> Path:
    return UI_DIR / "bundle.json"


def _source_files() -> list[Path]:
    return sorted((UI_DIR / "en").glob("*.yaml")) + sorted(UI_DIR.glob("*.po"))


def compile_bundle() -> dict[str, dict[str, str]]:
    """language -> key -> text, from the sources (what bundle.json holds)."""
    return {lang: dict(_source_table(lang)) for lang in LANGUAGES}


def bundle_file_text() -> str:
    """The text bundle.json must have for the current sources."""
    from spi4xl.bundles import bundle_text, sources_digest

    return bundle_text(compile_bundle(), sources_digest(UI_DIR, _source_files()))


@lru_cache(maxsize=2)
def _bundled(ui_dir: Path) -> dict[str, dict[str, str]] | None:
    from spi4xl.bundles import read_bundle, sources_digest  # hashlib and json: when a string is first looked up

    body = read_bundle(ui_dir / "bundle.json", sources_digest(ui_dir, _source_files()))
    return body if isinstance(body, dict) and set(body) == set(LANGUAGES) else None


@lru_cache(maxsize=4)
def _table(lang: str) -> Mapping[str, str]:
    bundled = _bundled(UI_DIR)
    return MappingProxyType(bundled[lang]) if bundled is not None else _source_table(lang)


def _source_table(lang: str) -> Mapping[str, str]:
    texts = {key[0][3:]: text for key, text in ui_source().items()}
    if lang != "en":
        texts.update({key[0][3:]: text for key, text in ui_translations(lang).usable.items()})
    return MappingProxyType(texts)


_language: str | None = None


def set_ui_language(lang: str | None) -> None:
    """The language of messages for this process (the CLI's --lang); None: from the environment."""
    global _language
    _language = lang


def ui_language() -> str:
    """--lang, else SPI4XL_LANG, else the locale, else English.

    The locale is the first of LC_ALL, LC_MESSAGES, LANG that is set, as for any program: LC_ALL=C
    means English even when LANG names French, and C.UTF-8 or an unsupported language is English.
    """
    if _language:
        return _language
    if (chosen := os.environ.get("SPI4XL_LANG", "")[:2].lower()) in LANGUAGES:
        return chosen
    locale = next((value for var in ("LC_ALL", "LC_MESSAGES", "LANG") if (value := os.environ.get(var))), "")
    return locale[:2].lower() if locale[:2].lower() in LANGUAGES else "en"


def has_ui(key: str) -> bool:
    """Whether the interface has a string `key` (optional texts, e.g. an edition's short dimension names)."""
    return key in _table("en")


def ui(key: str, lang: str = "en", **values: object) -> str:
    """A UI string in `lang` (English when untranslated), with {placeholders} filled from `values`."""
    text = _table(lang if lang in LANGUAGES else "en")[key]
    return text.format(**values) if values else text


def ui_all(key: str) -> dict[str, str]:
    """The string in every language: readers use it to recognise labels whatever the workbook language."""
    return {lang: ui(key, lang) for lang in LANGUAGES}
