"""A catalog edition compiled to JSON: `<edition>/bundle/<lang>.json`, one file per language.

`en.json` holds the structure and the English texts, `fr.json` and the others the usable
translations (stale, fuzzy or missing ones left out, as the PO loader leaves them out). Each carries
the checksum of the edition's YAML and PO files (spi4xl.bundles): `load_bundle` gives a catalog only
when every language's file is there and matches the sources, and `None` otherwise, so the loader
falls back to the YAML. `spi4xl catalog bundle` writes them; `spi4xl catalog check` fails when one
differs from what the sources compile to. Needs only the standard library (no PyYAML, no polib).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from types import MappingProxyType
from typing import Any

from spi4xl.bundles import bundle_text, read_bundle, sources_digest
from spi4xl.catalog import model as m
from spi4xl.records import Record

FOLDER = "bundle"
VERSION = 4  # of the encoding below: bump it when it changes, so older bundles are not read
# Every record of the model, so a class the model gains is bundled without another list to keep
_CLASSES = {name: cls for name, cls in vars(m).items()
            if isinstance(cls, type) and issubclass(cls, Record) and cls.__module__ == m.__name__}


def _sources(root: Path) -> str:
    return f"catalog-{VERSION}:{sources_digest(root, source_files(root))}"


def source_files(root: Path) -> list[Path]:
    """The files an edition is loaded from: catalog.yaml, organization.yaml, departments.yaml, dimensions/**.yaml,
    locale/*.po."""
    files = [root / "catalog.yaml", root / "organization.yaml", root / "departments.yaml"]
    files += sorted((root / "dimensions").rglob("*.yaml")) + sorted((root / "locale").glob("*.po"))
    return [f for f in files if f.is_file()]


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        fields = {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value) if f.init}
        return {"__": type(value).__name__, **fields}
    if isinstance(value, (tuple, list)):
        return [_encode(v) for v in value]
    if isinstance(value, MappingProxyType):
        return {"__map": [[k, _encode(v)] for k, v in value.items()]}  # a list: key order is meaningful
    return value


def _tuples(value: Any) -> Any:
    return tuple(_tuples(v) for v in value) if type(value) is list else value


def _decoded(obj: dict[str, Any]) -> Any:
    """json's object_hook: each model object is built as the parser meets it (its fields already decoded), so
    decoding needs no second walk over the bundle; JSON arrays become the model's tuples."""
    name = obj.pop("__", None)
    if name is not None:
        return _CLASSES[name].of_fields({k: _tuples(v) if type(v) is list else v for k, v in obj.items()})  # most: scalars
    if "__map" in obj:
        return MappingProxyType({k: _tuples(v) for k, v in obj["__map"]})
    return obj


def _texts(texts: Any) -> list[list[str]]:
    return [[key, field, text] for (key, field), text in texts.items()]  # in catalog order: PO files follow it


def compile_bundles(catalog: m.Catalog) -> dict[str, Any]:
    """language -> bundle body of a catalog loaded from its sources."""
    structure = {f.name: _encode(getattr(catalog, f.name)) for f in dataclasses.fields(catalog)
                 if f.init and f.name not in ("texts", "root")}
    out: dict[str, Any] = {m.SOURCE_LANGUAGE: {"catalog": structure, "texts": _texts(catalog.texts[m.SOURCE_LANGUAGE])}}
    for lang in catalog.languages[1:]:
        out[lang] = {"texts": _texts(catalog.texts.get(lang, {}))}
    return out


def bundle_files(root: Path, catalog: m.Catalog) -> dict[Path, str]:
    """Path -> text of every bundle file of the catalog loaded from `root`."""
    sources = _sources(root)
    return {root / FOLDER / f"{lang}.json": bundle_text(body, sources) for lang, body in compile_bundles(catalog).items()}


def load_bundle(root: Path) -> m.Catalog | None:
    """The catalog from `root`'s bundle; None when any language's file is missing or out of date."""
    if not (root / FOLDER / f"{m.SOURCE_LANGUAGE}.json").is_file():
        return None
    sources = _sources(root)
    base = read_bundle(root / FOLDER / f"{m.SOURCE_LANGUAGE}.json", sources, _decoded)
    if base is None:
        return None
    head = {k: _tuples(v) for k, v in base["catalog"].items()}
    texts = {}
    for lang in head["languages"]:
        body = base if lang == m.SOURCE_LANGUAGE else read_bundle(root / FOLDER / f"{lang}.json", sources)
        if body is None:
            return None
        texts[lang] = MappingProxyType({(key, field): text for key, field, text in body["texts"]})
    return m.Catalog(**head, texts=MappingProxyType(texts), root=root)
