"""Who answers what, for splitting an audit by department: indicators name their department in the catalog
(detail items go with their indicator); Organization Information fields name theirs in `departments.yaml`
beside catalog.yaml, kept apart from the field definitions: `default` (a department code) for every field not
listed, and `fields` ({field id: department code}). A catalog without that file gives every part every field.
"""

from __future__ import annotations

from pathlib import Path
from types import MappingProxyType
from typing import Iterable, Mapping

from spi4xl.catalog.model import Catalog, OrgField, Term

FILE = "departments.yaml"


def read_field_departments(root: Path, edition: str, departments: Iterable[Term],
                           org_fields: Iterable[OrgField]) -> Mapping[str, str] | None:
    """{field id: department code} for every Organization field from `root`/departments.yaml, None without the
    file; the loader keeps it in the catalog (so a compiled bundle carries it, and xlwings Lite needs no PyYAML).

    A broken file raises CatalogError naming file and key (unknown field, undefined department)."""
    path = root / FILE
    if not path.is_file():
        return None
    from spi4xl.strict_yaml import Node, load_yaml  # PyYAML: only when the catalog is read from its sources

    node = Node(load_yaml(path, f"{edition}/{FILE}"), f"{edition}/{FILE}")
    known = [d.code for d in departments]
    default = node.get("default", str)
    if default not in known:
        raise node.fail("catalog.undefined_department", "default", value=default, known=", ".join(known))
    listed = node.get("fields", dict, {})
    fields = Node(listed, node.file, "fields")
    ids = [f.id for f in org_fields]
    for fid in listed:
        if fid not in ids:
            raise fields.fail("catalog.department_field", str(fid), value=str(fid))
        department = fields.get(fid, str)
        if department not in known:
            raise fields.fail("catalog.undefined_department", fid, value=department, known=", ".join(known))
    node.close()
    return MappingProxyType({fid: listed.get(fid, default) for fid in ids})


def owns_field(catalog: Catalog, field_id: str, departments: Iterable[str] | None) -> bool:
    """Whether a part for `departments` (None: the whole audit) holds this Organization field."""
    if departments is None:  # the whole audit holds every field
        return True
    owners = catalog.field_departments
    return owners is None or owners.get(field_id) in set(departments)


def department_items(catalog: Catalog, departments: Iterable[str] | None) -> set[str]:
    """Every questionnaire code a part for `departments` holds: its indicators, their detail items and the
    dimension, standard and practice rows above them (whose notes it keeps)."""
    out: set[str] = set()
    for ind in catalog.indicators(departments=departments):
        out |= {ind.code, ind.practice, ind.standard, ind.dimension, *(d.code for d in ind.details)}
    return out
