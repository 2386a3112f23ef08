"""Load a catalog folder into the typed model, refusing anything malformed with file, key path and fix."""

from __future__ import annotations

import os
import re
from pathlib import Path
from types import MappingProxyType

from spi4xl.catalog import model as m
from spi4xl.catalog.i18n import catalog_translations
from spi4xl.catalog.strict import Node, load_yaml
from spi4xl.errors import CatalogError, Spi4xlError, shown

STANDARDS_DIR = Path(os.environ.get("SPI4XL_STANDARDS", Path(__file__).resolve().parents[2] / "standards"))
ORG_TYPES = ("integer", "number", "percent", "currency", "date", "choice", "text")
RULE_OPS = ("<=", "<", ">=", ">", "==")
METHODS = ("pooled_mean", "mean_of_children")
CODE_RX = {
    "dimension": r"[1-9]",
    "standard": r"{parent}[A-Z]",
    "practice": r"{parent}\.[1-9][0-9]?",
    "indicator": r"{parent}\.[1-9][0-9]?",
    "detail": r"{parent}\.[1-9][0-9]?",
}
ID_RX = re.compile(r"[a-z][a-z0-9_]*")
CODE_HINT = {
    "dimension": "use a digit 1-9 in quotes, e.g. '1'",
    "standard": "use the dimension and a capital letter, e.g. {parent}A",
    "practice": "number it under its standard, e.g. {parent}.1",
    "indicator": "number it under its essential practice, e.g. {parent}.1",
    "detail": "number it under its indicator, e.g. {parent}.1",
}
SNAKE_HINT = "use lower_snake_case, e.g. active_clients"


def catalog_root(catalog: m.Catalog) -> Path:
    """The folder a loaded catalog came from (its edition name may not be under standards/)."""
    return catalog.root if catalog.root is not None else catalog_dir(catalog.edition)


def catalog_dir(edition: str | os.PathLike) -> Path:
    """The folder of an edition name (under standards/) or an explicit path."""
    path, candidate = Path(edition), STANDARDS_DIR / str(edition)
    try:  # a name too long for a path (a Settings cell of 5,000 characters) is an unknown edition too
        if path.is_dir():
            return path
        found = candidate.is_dir()
    except OSError:
        found = False
    if not found:
        known = ", ".join(sorted(p.name for p in STANDARDS_DIR.iterdir() if p.is_dir())) if STANDARDS_DIR.is_dir() else "none"
        raise Spi4xlError(f"unknown catalog edition {shown(str(edition))!r} (known: {known})")
    return candidate


class _Builder:
    """Walks one catalog folder, collecting English texts while it builds the model."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.texts: dict[m.TextKey, str] = {}
        self.codes: dict[str, str] = {}  # code -> file that defined it

    def shown(self, path: Path) -> str:
        return str(path.relative_to(self.root.parent)) if path.is_relative_to(self.root.parent) else str(path)

    def node(self, path: Path) -> Node:
        return Node(load_yaml(path, self.shown(path)), self.shown(path))

    def text(self, node: Node, key: str, tkey: str, field: str | None = None, optional: bool = False) -> bool:
        value = node.text(key, None if optional else ...)
        if value is not None:
            self.texts[(tkey, field or key)] = value
        return value is not None

    def code(self, node: Node, level: str, parent: str = "") -> str:
        rx = CODE_RX[level].format(parent=re.escape(parent))
        code = node.get("code", str, check=lambda c: "" if re.fullmatch(rx, c) else
                        f"{level} code {c!r} breaks the pattern under {parent or 'the catalog'}",
                        hint=CODE_HINT[level].format(parent=parent))
        if code in self.codes:
            raise node.fail("code", f"duplicate code {code!r}, already defined in {self.codes[code]}", "give it a new number")
        self.codes[code] = node.file
        return code

    def terms(self, node: Node, key: str, kind: str) -> tuple[m.Term, ...]:
        terms = []
        for item in node.items(key):
            code = item.get("code", str, check=lambda c: "" if re.fullmatch(r"[A-Za-z0-9_]+", c) else "letters, digits and _ only",
                            hint="remove spaces and punctuation from the code")
            if any(t.code == code for t in terms):
                raise item.fail("code", f"duplicate {kind} {code!r}", "give each entry its own code")
            self.text(item, "name", f"{kind}.{code}")
            item.close()
            terms.append(m.Term(kind, code))
        return tuple(terms)

    # --- catalog.yaml ---------------------------------------------------------------------
    def header(self) -> dict:
        node = self.node(self.root / "catalog.yaml")
        out: dict = {}
        out["id"] = node.get("id", str)
        out["edition"] = node.get("edition", str, check=lambda e: "" if e == self.root.name else
                                  f"edition {e!r} differs from its folder {self.root.name!r}",
                                  hint=f"write edition: {self.root.name} or rename the folder")
        self.text(node, "title", "catalog")
        out["version"] = node.get("version", str, check=lambda v: "" if re.fullmatch(r"\d+\.\d+\.\d+", v) else "not a version number",
                                  hint="use MAJOR.MINOR.PATCH, e.g. 1.0.0")
        out["date"] = node.get("date", str, check=lambda d: "" if re.fullmatch(r"\d{4}-\d{2}-\d{2}", d) else "not an ISO date",
                               hint="use YYYY-MM-DD in quotes")
        out["licence"] = node.text("licence")
        out["languages"] = node.strings("languages")
        if out["languages"][:1] != (m.SOURCE_LANGUAGE,):
            raise node.fail("languages", "English must come first: it is the source language", "write languages: [en, ...]")
        sources = []
        for src in node.items("sources"):
            sources.append(m.Source(src.text("title"), src.text("link")))
            src.close()
        out["sources"] = tuple(sources)
        out["scales"] = self.scales(node)
        for key in ("default_scale", "detail_scale"):
            out[key] = node.get(key, str, check=lambda s: "" if s in out["scales"] else
                                f"undefined scale {s!r} (defined: {', '.join(out['scales'])})",
                                hint="name a scale of 'scales:' or add it there")
        scoring = Node(node.get("scoring", dict), node.file, "scoring")
        out["scoring"] = m.Scoring(
            method=scoring.get("method", str, check=lambda v: "" if v in METHODS else f"unknown method {v!r}",
                               hint=f"use {' or '.join(METHODS)}"),
            checklist=scoring.get("checklist", str, check=lambda v: "" if v == "share_met" else f"unknown checklist scoring {v!r}",
                                  hint="use share_met, the only one known"),
        )
        scoring.close()
        out["principles"] = self.terms(node, "principles", "principle")
        out["modules"] = self.terms(node, "modules", "module")
        if "core" not in {t.code for t in out["modules"]}:
            raise node.fail("modules", "the module 'core' is missing", "add {code: core, name: ...}")
        out["departments"] = self.terms(node, "departments", "department")
        out["evidence_types"] = self.terms(node, "evidence_types", "evidence")
        node.close()
        return out

    def scales(self, node: Node) -> MappingProxyType:
        scales: dict[str, m.Scale] = {}
        for sn in node.items("scales"):
            sid = sn.get("id", str)
            if sid in scales:
                raise sn.fail("id", f"duplicate scale {sid!r}", "give each scale its own id")
            answers = []
            for an in sn.items("answers"):
                code = an.get("code", str, check=lambda c: "" if re.fullmatch(r"[a-z_]+", c) else f"answer code {c!r} is not lower-case letters",
                              hint="use lower-case letters and _, e.g. partially")
                if "value" not in an.data:  # a forgotten value must not silently become N/A
                    raise an.fail("value", "is required", "write the answer's value, or value: null for not applicable")
                value = an.get("value", (int, float), None)
                if value is not None and not 0 <= value <= 1:
                    raise an.fail("value", f"value {value:g} is outside 0..1", "use a share between 0 and 1, or null for not applicable")
                self.text(an, "label", f"scale.{sid}.{code}")
                an.close()
                answers.append(m.Answer(code, None if value is None else float(value)))
            allow_na = sn.get("allow_na", bool)
            has_na = any(a.is_na for a in answers)
            if allow_na != has_na:
                raise sn.fail("allow_na", "allow_na must be true exactly when an answer has value: null",
                              f"write allow_na: {str(has_na).lower()} or {'remove' if has_na else 'add'} the value: null answer")
            if len({a.code for a in answers}) != len(answers):
                raise sn.fail("answers", "duplicate answer code", "give each answer its own code")
            sn.close()
            scales[sid] = m.Scale(sid, tuple(answers), allow_na)
        return MappingProxyType(scales)

    # --- dimensions/ ----------------------------------------------------------------------
    def dimensions(self, head: dict) -> tuple[m.Dimension, ...]:
        base = self.root / "dimensions"
        folders = sorted(p for p in base.iterdir() if p.is_dir()) if base.is_dir() else []
        if not folders:
            raise CatalogError(self.shown(base), "", "no dimension folders", "add dimensions/1/dimension.yaml")
        dims = []
        for folder in folders:
            dn = self.node(folder / "dimension.yaml")
            code = self.code(dn, "dimension")
            if code != folder.name:
                raise dn.fail("code", f"dimension {code!r} lives in folder {folder.name!r}", "move the file or fix the code")
            self.text(dn, "name", code)
            dn.close()
            files = sorted(p for p in folder.glob("*.yaml") if p.name != "dimension.yaml")
            if not files:
                raise CatalogError(self.shown(folder), "", "dimension has no standard files", f"add {code}A.yaml")
            dims.append(m.Dimension(code, tuple(self.standard(f, code, head) for f in files)))
        return tuple(dims)

    def standard(self, path: Path, dim: str, head: dict) -> m.Standard:
        sn = self.node(path)
        code = self.code(sn, "standard", dim)
        if path.stem != code:
            raise sn.fail("code", f"standard {code!r} lives in file {path.name!r}", f"rename the file to {code}.yaml")
        self.text(sn, "name", code)
        practices = []
        for pn in sn.items("practices"):
            pcode = self.code(pn, "practice", code)
            self.text(pn, "name", pcode)
            inds = tuple(self.indicator(i, pcode, code, dim, head) for i in pn.items("indicators"))
            if not inds:
                raise pn.fail("indicators", "an essential practice needs at least one indicator", "add an indicator")
            pn.close()
            practices.append(m.Practice(pcode, code, inds))
        if not practices:
            raise sn.fail("practices", "a standard needs at least one essential practice", "add an essential practice")
        sn.close()
        return m.Standard(code, dim, tuple(practices))

    def indicator(self, node: Node, practice: str, standard: str, dim: str, head: dict) -> m.Indicator:
        code = self.code(node, "indicator", practice)
        self.text(node, "text", code)
        self.text(node, "guidance", code)

        def among(kind: str, terms: tuple[m.Term, ...]):
            codes = [t.code for t in terms]
            return lambda v: "" if v in codes else f"undefined {kind} {v!r} (defined in catalog.yaml: {', '.join(codes)})"

        define = "use a defined code or add it to catalog.yaml"
        kind = node.get("kind", str, "answer", check=lambda k: "" if k in ("answer", "checklist") else f"unknown kind {k!r}",
                        hint="use answer or checklist")
        scale = node.get("scale", str, head["default_scale"], check=lambda s: "" if s in head["scales"] else
                         f"undefined scale {s!r} (defined: {', '.join(head['scales'])})", hint=define)
        principles = node.strings("principles", ())
        for i, p in enumerate(principles):
            if problem := among("principle", head["principles"])(p):
                raise CatalogError(node.file, f"{node.sub('principles')}[{i}]", problem, define)
        module = node.get("module", str, "core", check=among("module", head["modules"]), hint=define)
        department = node.get("department", str, check=among("department", head["departments"]), hint=define)
        evidence = node.strings("evidence")
        for i, e in enumerate(evidence):
            if problem := among("evidence type", head["evidence_types"])(e):
                raise CatalogError(node.file, f"{node.sub('evidence')}[{i}]", problem, define)
        details = []
        for dn in node.items("details", []):
            dcode = self.code(dn, "detail", code)
            self.text(dn, "text", dcode)
            dn.close()
            details.append(m.DetailItem(dcode, code, head["detail_scale"]))
        if kind == "checklist" and len(details) < 2:
            raise node.fail("details", "a checklist indicator needs at least 2 detail items", "add details or use kind: answer")
        ind = m.Indicator(
            code=code, practice=practice, standard=standard, dimension=dim, kind=kind, scale=scale,
            mandatory=node.get("mandatory", bool, True), principles=principles,
            alinus=node.get("alinus", bool, False), module=module, department=department,
            evidence=evidence, details=tuple(details),
        )
        node.close()
        return ind

    # --- organization.yaml ----------------------------------------------------------------
    def organization(self) -> tuple[tuple[m.OrgField, ...], tuple[m.OrgRule, ...]]:
        node = self.node(self.root / "organization.yaml")
        fields: dict[str, m.OrgField] = {}
        for fn in node.items("fields"):
            fid = fn.get("id", str, check=lambda v: "" if ID_RX.fullmatch(v) else f"field id {v!r} is not lower_snake_case", hint=SNAKE_HINT)
            if fid in fields:
                raise fn.fail("id", f"duplicate field {fid!r}", "give each field its own id")
            ftype = fn.get("type", str, check=lambda t: "" if t in ORG_TYPES else f"unknown type {t!r}",
                           hint=f"use one of {', '.join(ORG_TYPES)}")
            self.text(fn, "label", f"org.{fid}")
            has_help = self.text(fn, "help", f"org.{fid}", optional=True)
            has_unit = self.text(fn, "unit", f"org.{fid}", optional=True)
            lo, hi = fn.get("min", (int, float), None), fn.get("max", (int, float), None)
            if lo is not None and hi is not None and lo > hi:
                raise fn.fail("min", f"min {lo:g} is above max {hi:g}", "swap or correct the bounds")
            if (lo is not None or hi is not None) and ftype not in ("integer", "number", "percent", "currency"):
                raise fn.fail("min" if lo is not None else "max", f"bounds need a numeric type, not {ftype}",
                              "remove min/max or use type integer, number, percent or currency")
            choices = []
            for cn in fn.items("choices", []):
                ccode = cn.get("code", str, check=lambda v: "" if ID_RX.fullmatch(v) else f"choice code {v!r} is not lower_snake_case",
                               hint=SNAKE_HINT)
                self.text(cn, "label", f"org.{fid}.{ccode}")
                cn.close()
                choices.append(ccode)
            if (ftype == "choice") != bool(choices):
                raise fn.fail("choices", "choices are required for type: choice and only there",
                              "add choices: [{code, label}, ...]" if ftype == "choice" else "remove choices or use type: choice")
            fields[fid] = m.OrgField(fid, ftype, fn.get("mandatory", bool, False), fn.get("dashboard", bool, False),
                                     lo, hi, tuple(choices), has_unit, has_help)
            fn.close()
        rules = []
        for rn in node.items("rules", []):
            rid = rn.get("id", str, check=lambda v: "" if ID_RX.fullmatch(v) else f"rule id {v!r} is not lower_snake_case", hint=SNAKE_HINT)
            numeric = lambda f: "" if f in fields and fields[f].type in ("integer", "number", "percent", "currency") else \
                f"{f!r} is not a numeric field of organization.yaml"
            numeric_hint = "name the id of an integer, number, percent or currency field"
            rule = m.OrgRule(rid, rn.get("left", str, check=numeric, hint=numeric_hint),
                             rn.get("op", str, check=lambda o: "" if o in RULE_OPS else f"unknown operator {o!r}",
                                    hint=f"use one of {' '.join(RULE_OPS)} (quote it)"),
                             rn.get("right", str, check=numeric, hint=numeric_hint))
            self.text(rn, "message", f"rule.{rid}")
            rn.close()
            rules.append(rule)
        node.close()
        return tuple(fields.values()), tuple(rules)


def load_catalog(edition: str | os.PathLike = "usspm-2016", *, overlay: str | os.PathLike | None = None) -> m.Catalog:
    """Load and check a catalog; translations come from its locale/*.po, an optional overlay replaces texts."""
    root = catalog_dir(edition)
    builder = _Builder(root)
    head = builder.header()
    dims = builder.dimensions(head)
    org_fields, org_rules = builder.organization()
    texts = {m.SOURCE_LANGUAGE: MappingProxyType(builder.texts)}
    for lang in head["languages"][1:]:
        texts[lang] = MappingProxyType(catalog_translations(root, lang, builder.texts).usable)
    catalog = m.Catalog(
        dimensions=dims, org_fields=org_fields, org_rules=org_rules, texts=MappingProxyType(texts), root=root, **head
    )
    if overlay is not None:
        from spi4xl.catalog.overlay import apply_overlay

        catalog = apply_overlay(catalog, overlay)
    return catalog
