"""Load a catalog folder into the typed model, refusing anything malformed with file, key path and fix."""

from __future__ import annotations

import os
import re
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

from spi4xl.catalog import model as m
from spi4xl.catalog.bundle import load_bundle
from spi4xl.catalog.departments import read_field_departments
from spi4xl.catalog.editions import (  # noqa: F401 - also named from here by the callers of the loader
    STANDARDS_ENV, bundled_standards, catalog_dir, edition_dir, editions, standards_dirs)
from spi4xl.errors import CatalogError

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
NUMERIC_TYPES = ("integer", "number", "percent", "currency")
VERSION_RX = re.compile(r"\d+\.\d+\.\d+")
OLD_CODE_RX = re.compile(r"[1-9]([A-Z](\.[1-9][0-9]?){0,3})?")

if TYPE_CHECKING:
    from spi4xl.strict_yaml import Node


def catalog_root(catalog: m.Catalog) -> Path:
    """The folder a loaded catalog came from (its edition name may not be under standards/)."""
    return catalog.root if catalog.root is not None else catalog_dir(catalog.edition)


class _Builder:
    """Walks one catalog folder, collecting English texts while it builds the model."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.texts: dict[m.TextKey, str] = {}
        self.codes: dict[str, str] = {}  # code -> file that defined it
        self.changes: list[m.Change] = []

    def shown(self, path: Path) -> str:
        return str(path.relative_to(self.root.parent)) if path.is_relative_to(self.root.parent) else str(path)

    def node(self, path: Path) -> Node:
        from spi4xl.strict_yaml import Node, load_yaml  # PyYAML: only when the sources are read

        return Node(load_yaml(path, self.shown(path)), self.shown(path))

    def text(self, node: Node, key: str, tkey: str, field: str | None = None, optional: bool = False) -> bool:
        value = node.text(key, None if optional else ...)
        if value is not None:
            self.texts[(tkey, field or key)] = value
        return value is not None

    def code(self, node: Node, level: str, parent: str = "") -> str:
        code = node.get("code", str)
        if not re.fullmatch(CODE_RX[level].format(parent=re.escape(parent)), code):
            raise _numbering_error(node, level, code, parent)
        if code in self.codes:
            raise node.fail("catalog.duplicate_code", "code", value=code, file=self.codes[code])
        self.codes[code] = node.file
        return code

    def terms(self, node: Node, key: str, kind: str) -> tuple[m.Term, ...]:
        terms = []
        for item in node.items(key):
            code = item.get("code", str)
            if not re.fullmatch(r"[A-Za-z0-9_]+", code):
                raise item.fail("catalog.term_code", "code", value=code)
            if any(t.code == code for t in terms):
                raise _duplicate_term(item, kind, code)
            self.text(item, "name", f"{kind}.{code}")
            item.close()
            terms.append(m.Term(kind, code))
        return tuple(terms)

    def replaced(self, node: Node, new: str, version: str, key: str = "replaces", how: str | None = None) -> None:
        """Earlier codes whose content lives at `new` (`replaces:`), or that have no place (`retired:`, new '')."""
        for cn in node.items(key, []):
            old = cn.get("code", str)
            if not OLD_CODE_RX.fullmatch(old):
                raise cn.fail("catalog.change_code", "code", value=old)
            since = cn.get("since", str)
            if not VERSION_RX.fullmatch(since) or m.version_key(since) > m.version_key(version):
                raise cn.fail("catalog.change_version", "since", value=since, version=version)
            kind = how or cn.get("how", str)
            if how is None and kind not in m.CHANGE_KINDS[:-1]:
                raise cn.fail("catalog.change_kind", "how", value=kind, known=", ".join(m.CHANGE_KINDS[:-1]))
            cn.text("why", None)  # a note for reviewers, in no workbook
            cn.close()
            self.changes.append(m.Change(old, new, kind, since))

    def principles(self, node: Node, head: dict) -> tuple[tuple[str, ...], tuple[tuple[str, str], ...]]:
        """Principle tags, each a code or {code, why}: the why is kept for reviewers (`catalog check` asks for it)."""
        codes, why = [], []
        for i, value in enumerate(node.get("principles", list, ())):
            if isinstance(value, dict):
                pn = type(node)(value, node.file, f"{node.sub('principles')}[{i}]")  # a Node, as read
                code = pn.get("code", str)
                why.append((code, pn.text("why")))
                pn.close()
            elif isinstance(value, str):
                code = value
            else:
                raise node.wrong_type(f"principles[{i}]", (str,), value)
            codes.append(code)
        return tuple(codes), tuple(why)

    # --- catalog.yaml ---------------------------------------------------------------------
    def header(self) -> dict:
        node = self.node(self.root / "catalog.yaml")
        out: dict = {}
        out["id"] = node.get("id", str)
        out["edition"] = node.get("edition", str)
        if out["edition"] != self.root.name:
            raise node.fail("catalog.edition_folder", "edition", value=out["edition"], folder=self.root.name)
        self.text(node, "title", "catalog")
        self.text(node, "numbering", "catalog", optional=True)  # which codes are official, which the catalog's own
        out["version"] = node.get("version", str)
        if not re.fullmatch(r"\d+\.\d+\.\d+", out["version"]):
            raise node.fail("catalog.version", "version", value=out["version"])
        out["date"] = node.get("date", str)
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", out["date"]):
            raise node.fail("catalog.date", "date", value=out["date"])
        out["licence"] = node.text("licence")
        out["languages"] = node.strings("languages")
        if out["languages"][:1] != (m.SOURCE_LANGUAGE,):
            raise node.fail("catalog.english_first", "languages")
        sources = []
        for src in node.items("sources"):
            sources.append(m.Source(src.text("title"), src.text("link", None)))
            src.close()
        out["sources"] = tuple(sources)
        out["scales"] = self.scales(node)
        for key in ("default_scale", "detail_scale"):
            out[key] = node.get(key, str)
            if out[key] not in out["scales"]:
                raise node.fail("catalog.default_scale", key, value=out[key], known=", ".join(out["scales"]))
        scoring = type(node)(node.get("scoring", dict), node.file, "scoring")
        out["scoring"] = m.Scoring(method=scoring.get("method", str), checklist=scoring.get("checklist", str))
        if out["scoring"].method not in METHODS:
            raise scoring.fail("catalog.scoring_method", "method", value=out["scoring"].method, known=", ".join(METHODS))
        if out["scoring"].checklist != "share_met":
            raise scoring.fail("catalog.checklist_scoring", "checklist", value=out["scoring"].checklist)
        scoring.close()
        out["principles"] = self.terms(node, "principles", "principle")
        out["modules"] = self.terms(node, "modules", "module")
        if "core" not in {t.code for t in out["modules"]}:
            raise node.fail("catalog.core_missing", "modules")
        out["departments"] = self.terms(node, "departments", "department")
        out["evidence_types"] = self.terms(node, "evidence_types", "evidence")
        node.close()
        return out

    def scales(self, node: Node) -> MappingProxyType:
        scales: dict[str, m.Scale] = {}
        for sn in node.items("scales"):
            sid = sn.get("id", str)
            if sid in scales:
                raise sn.fail("catalog.duplicate_scale", "id", value=sid)
            answers = []
            for an in sn.items("answers"):
                code = an.get("code", str)
                if not re.fullmatch(r"[a-z_]+", code):
                    raise an.fail("catalog.answer_code", "code", value=code)
                if "value" not in an.data:  # a forgotten value must not silently become N/A
                    raise an.fail("catalog.answer_value_missing", "value")
                value = an.get("value", (int, float), None)
                if value is not None and not 0 <= value <= 1:
                    raise an.fail("catalog.answer_value_range", "value", value=f"{value:g}")
                self.text(an, "label", f"scale.{sid}.{code}")
                aliases = an.strings("aliases", ())
                an.close()
                answers.append(m.Answer(code, None if value is None else float(value), aliases))
            allow_na = sn.get("allow_na", bool)
            has_na = any(a.is_na for a in answers)
            if allow_na and not has_na:
                raise sn.fail("catalog.allow_na_unused", "allow_na")
            if has_na and not allow_na:
                raise sn.fail("catalog.allow_na_missing", "allow_na")
            if len({a.code for a in answers}) != len(answers):
                raise sn.fail("catalog.duplicate_answer", "answers")
            sn.close()
            scales[sid] = m.Scale(sid, tuple(answers), allow_na)
        return MappingProxyType(scales)

    # --- dimensions/ ----------------------------------------------------------------------
    def dimensions(self, head: dict) -> tuple[m.Dimension, ...]:
        base = self.root / "dimensions"
        folders = sorted(p for p in base.iterdir() if p.is_dir()) if base.is_dir() else []
        if not folders:
            raise CatalogError("catalog.no_dimensions", self.shown(base), "")
        dims = []
        for folder in folders:
            dn = self.node(folder / "dimension.yaml")
            code = self.code(dn, "dimension")
            if code != folder.name:
                raise dn.fail("catalog.dimension_folder", "code", value=code, folder=folder.name)
            self.text(dn, "name", code)
            dn.close()
            files = sorted(p for p in folder.glob("*.yaml") if p.name != "dimension.yaml")
            if not files:
                raise CatalogError("catalog.no_standards", self.shown(folder), "", dimension=code)
            dims.append(m.Dimension(code, tuple(self.standard(f, code, head) for f in files)))
        return tuple(dims)

    def standard(self, path: Path, dim: str, head: dict) -> m.Standard:
        sn = self.node(path)
        code = self.code(sn, "standard", dim)
        if path.stem != code:
            raise sn.fail("catalog.standard_file", "code", value=code, file=path.name)
        self.text(sn, "name", code)
        self.replaced(sn, code, head["version"])
        practices = []
        for pn in sn.items("practices"):
            pcode = self.code(pn, "practice", code)
            self.text(pn, "name", pcode)
            self.replaced(pn, pcode, head["version"])
            inds = tuple(self.indicator(i, pcode, code, dim, head) for i in pn.items("indicators"))
            if not inds:
                raise pn.fail("catalog.no_indicators", "indicators")
            pn.close()
            practices.append(m.Practice(pcode, code, inds))
        if not practices:
            raise sn.fail("catalog.no_practices", "practices")
        self.replaced(sn, "", head["version"], "retired", "retired")
        sn.close()
        return m.Standard(code, dim, tuple(practices))

    def indicator(self, node: Node, practice: str, standard: str, dim: str, head: dict) -> m.Indicator:
        code = self.code(node, "indicator", practice)
        self.text(node, "text", code)
        self.text(node, "guidance", code)
        self.replaced(node, code, head["version"])

        kind = node.get("kind", str, "answer")
        if kind not in ("answer", "checklist"):
            raise node.fail("catalog.indicator_kind", "kind", value=kind)
        scale = node.get("scale", str, head["default_scale"])
        if scale not in head["scales"]:
            raise node.fail("catalog.undefined_scale", "scale", value=scale, known=", ".join(head["scales"]))
        principles, why = self.principles(node, head)
        module = node.get("module", str, "core")
        department = node.get("department", str)
        evidence = node.strings("evidence")
        references = [(f"principles[{i}]", p, "principles") for i, p in enumerate(principles)]
        references += [("module", module, "modules"), ("department", department, "departments")]
        references += [(f"evidence[{i}]", e, "evidence_types") for i, e in enumerate(evidence)]
        for key, value, terms in references:  # each names a term defined in catalog.yaml
            codes = [t.code for t in head[terms]]
            if value not in codes:
                raise _undefined_term(node, key, terms, value, ", ".join(codes))
        details = []
        for dn in node.items("details", []):
            dcode = self.code(dn, "detail", code)
            self.text(dn, "text", dcode)
            self.replaced(dn, dcode, head["version"])
            dn.close()
            details.append(m.DetailItem(dcode, code, head["detail_scale"]))
        if kind == "checklist" and len(details) < 2:
            raise node.fail("catalog.checklist_details", "details")
        ind = m.Indicator(
            code=code, practice=practice, standard=standard, dimension=dim, kind=kind, scale=scale,
            mandatory=node.get("mandatory", bool, True), principles=principles,
            alinus=node.get("alinus", bool, False), module=module, department=department,
            evidence=evidence, details=tuple(details), why=why,
        )
        node.close()
        return ind

    # --- organization.yaml ----------------------------------------------------------------
    def organization(self) -> tuple[tuple[m.OrgField, ...], tuple[m.OrgRule, ...]]:
        node = self.node(self.root / "organization.yaml")
        fields: dict[str, m.OrgField] = {}
        for fn in node.items("fields"):
            fid = fn.get("id", str)
            if not ID_RX.fullmatch(fid):
                raise fn.fail("catalog.field_id", "id", value=fid)
            if fid in fields:
                raise fn.fail("catalog.duplicate_field", "id", value=fid)
            ftype = fn.get("type", str)
            if ftype not in ORG_TYPES:
                raise fn.fail("catalog.field_type", "type", value=ftype, known=", ".join(ORG_TYPES))
            self.text(fn, "label", f"org.{fid}")
            has_help = self.text(fn, "help", f"org.{fid}", optional=True)
            has_unit = self.text(fn, "unit", f"org.{fid}", optional=True)
            lo, hi = fn.get("min", (int, float), None), fn.get("max", (int, float), None)
            if lo is not None and hi is not None and lo > hi:
                raise fn.fail("catalog.bounds_order", "min", min=f"{lo:g}", max=f"{hi:g}")
            if (lo is not None or hi is not None) and ftype not in NUMERIC_TYPES:
                raise fn.fail("catalog.bounds_type", "min" if lo is not None else "max", type=ftype)
            dashboard = fn.get("dashboard", bool, False)
            if dashboard and ftype not in NUMERIC_TYPES:  # the dashboard shows numbers (spi4xl.key_figures)
                raise fn.fail("catalog.dashboard_type", "dashboard", type=ftype)
            choices = []
            for cn in fn.items("choices", []):
                ccode = cn.get("code", str)
                if not ID_RX.fullmatch(ccode):
                    raise cn.fail("catalog.choice_code", "code", value=ccode)
                self.text(cn, "label", f"org.{fid}.{ccode}")
                cn.close()
                choices.append(ccode)
            if ftype == "choice" and not choices:
                raise fn.fail("catalog.choices_missing", "choices")
            if choices and ftype != "choice":
                raise fn.fail("catalog.choices_unexpected", "choices")
            fields[fid] = m.OrgField(fid, ftype, fn.get("mandatory", bool, False), dashboard,
                                     lo, hi, tuple(choices), has_unit, has_help)
            fn.close()
        rules = []
        for rn in node.items("rules", []):
            rid = rn.get("id", str)
            if not ID_RX.fullmatch(rid):
                raise rn.fail("catalog.rule_id", "id", value=rid)
            rule = m.OrgRule(rid, rn.get("left", str), rn.get("op", str), rn.get("right", str))
            for key, field in (("left", rule.left), ("right", rule.right)):
                if field not in fields or fields[field].type not in NUMERIC_TYPES:
                    raise rn.fail("catalog.rule_field", key, value=field)
            if rule.op not in RULE_OPS:
                raise rn.fail("catalog.rule_operator", "op", value=rule.op, known=" ".join(RULE_OPS))
            self.text(rn, "message", f"rule.{rid}")
            rn.close()
            rules.append(rule)
        node.close()
        return tuple(fields.values()), tuple(rules)


def load_catalog(edition: str | os.PathLike = "usspm-2016", *, bundle: bool = True) -> m.Catalog:
    """Load a catalog: from its compiled bundle when that matches the sources (spi4xl.catalog.bundle), else
    from the YAML and PO files, checked; `bundle=False` always reads the sources. Overlays: spi4xl.workbook.text_files."""
    root = catalog_dir(edition)
    if bundle and (compiled := load_bundle(root)) is not None:
        return compiled
    return load_catalog_sources(root)


def load_catalog_sources(root: Path) -> m.Catalog:
    """The catalog read and checked from the YAML and PO files of the edition folder `root`."""
    from spi4xl.po import catalog_translations  # polib: only when the sources are read

    builder = _Builder(root)
    head = builder.header()
    dims = builder.dimensions(head)
    org_fields, org_rules = builder.organization()
    texts = {m.SOURCE_LANGUAGE: MappingProxyType(builder.texts)}
    for lang in head["languages"][1:]:
        texts[lang] = MappingProxyType(catalog_translations(root, lang, builder.texts).usable)
    owners = read_field_departments(root, head["edition"], head["departments"], org_fields)
    return m.Catalog(
        dimensions=dims, org_fields=org_fields, org_rules=org_rules, texts=MappingProxyType(texts), root=root,
        changes=tuple(builder.changes), field_departments=owners, **head
    )


# --- errors whose wording depends on the kind of entry (each kind is its own code and sentence) ----
def _numbering_error(node: Node, level: str, code: str, parent: str) -> CatalogError:
    if level == "dimension":
        return node.fail("catalog.dimension_code", "code", value=code)
    if level == "standard":
        return node.fail("catalog.standard_code", "code", value=code, parent=parent)
    if level == "practice":
        return node.fail("catalog.practice_code", "code", value=code, parent=parent)
    if level == "indicator":
        return node.fail("catalog.indicator_code", "code", value=code, parent=parent)
    return node.fail("catalog.detail_code", "code", value=code, parent=parent)


def _duplicate_term(item: Node, kind: str, code: str) -> CatalogError:
    if kind == "principle":
        return item.fail("catalog.duplicate_principle", "code", value=code)
    if kind == "module":
        return item.fail("catalog.duplicate_module", "code", value=code)
    if kind == "department":
        return item.fail("catalog.duplicate_department", "code", value=code)
    return item.fail("catalog.duplicate_evidence", "code", value=code)


def _undefined_term(node: Node, key: str, terms: str, value: str, known: str) -> CatalogError:
    if terms == "principles":
        return node.fail("catalog.undefined_principle", key, value=value, known=known)
    if terms == "modules":
        return node.fail("catalog.undefined_module", key, value=value, known=known)
    if terms == "departments":
        return node.fail("catalog.undefined_department", key, value=value, known=known)
    return node.fail("catalog.undefined_evidence", key, value=value, known=known)
