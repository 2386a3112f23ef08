"""Who answers what, for splitting an audit by department: indicators name their department in the catalog
(detail items go with their indicator); Organization Information fields name theirs in `departments.yaml`
beside catalog.yaml, kept apart from the field definitions: `default` (a department code) for every field not
listed, and `fields` ({field id: department code}). A catalog without that file gives every part every field.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Iterable, Mapping

from spi4xl.catalog.loader import catalog_root
from spi4xl.catalog.model import Catalog

FILE = "departments.yaml"


@lru_cache(maxsize=8)
def field_departments(catalog: Catalog) -> Mapping[str, str] | None:
    """{field id: department code} for every Organization field; None when the catalog has no departments.yaml.

    A broken file raises CatalogError (unknown field, undefined department), as `spi4xl catalog check` shows."""
    path = catalog_root(catalog) / FILE
    if not path.is_file():
        return None
    from spi4xl.strict_yaml import Node, load_yaml  # PyYAML only for a department's part (never in Lite's whole audits)

    node = Node(load_yaml(path, f"{catalog.edition}/{FILE}"), f"{catalog.edition}/{FILE}")
    known = [d.code for d in catalog.departments]
    default = node.get("default", str)
    if default not in known:
        raise node.fail("catalog.undefined_department", "default", value=default, known=", ".join(known))
    listed = node.get("fields", dict, {})
    fields = Node(listed, node.file, "fields")
    ids = [f.id for f in catalog.org_fields]
    out = {}
    for fid in listed:
        if fid not in ids:
            raise fields.fail("catalog.department_field", str(fid), value=str(fid))
        department = fields.get(fid, str)
        if department not in known:
            raise fields.fail("catalog.undefined_department", fid, value=department, known=", ".join(known))
    node.close()
    for fid in ids:
        out[fid] = listed.get(fid, default)
    return out


def owns_field(catalog: Catalog, field_id: str, departments: Iterable[str] | None) -> bool:
    """Whether a part for `departments` (None: the whole audit) holds this Organization field."""
    if departments is None:  # the whole audit: no file to look at (a catalog bundled without its folder works too)
        return True
    owners = field_departments(catalog)
    return owners is None or owners.get(field_id) in set(departments)


def department_items(catalog: Catalog, departments: Iterable[str] | None) -> set[str]:
    """Every questionnaire code a part for `departments` holds: its indicators, their detail items and the
    dimension, standard and practice rows above them (whose notes it keeps)."""
    out: set[str] = set()
    for ind in catalog.indicators(departments=departments):
        out |= {ind.code, ind.practice, ind.standard, ind.dimension, *(d.code for d in ind.details)}
    return out
