"""The package's layers only point down, and no module reaches into another module's private names.

Core (errors, the text machinery, interface strings, catalog, audit model, scoring and validation)
knows nothing of Excel; the workbook layer renders and reads files; the xl layer binds xlwings;
commands compose them. A module may import its own layer and the layers below it, never above.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "spi4xl"

# Lowest first. A module belongs to the layer of the longest prefix that names it.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("foundations", ("spi4xl.errors", "spi4xl.resources", "spi4xl.output", "spi4xl.cache", "spi4xl.processes",
                     "spi4xl.records")),
    ("text machinery", ("spi4xl.strict_yaml", "spi4xl.po", "spi4xl.bundles")),
    ("interface strings", ("spi4xl.ui",)),
    ("catalog", ("spi4xl.catalog",)),
    ("audit model", ("spi4xl.audit", "spi4xl.answers", "spi4xl.findings", "spi4xl.migration", "spi4xl.identity")),
    ("scoring and validation", ("spi4xl.scoring", "spi4xl.validation", "spi4xl.key_figures", "spi4xl.merge", "spi4xl.plan")),
    ("workbook", ("spi4xl.workbook", "spi4xl.engines", "spi4xl.report")),
    ("xl", ("spi4xl.xl",)),
    ("commands", ("spi4xl", "spi4xl.__main__", "spi4xl.cli", "spi4xl.build", "spi4xl.convert", "spi4xl.assess",
                  "spi4xl.batch", "spi4xl.compare", "spi4xl.doctor", "spi4xl.parts")),
)

# The one deliberate exception: an error is data (a code and values) and finds its text in the interface
# strings only when it is shown, inside the method that shows it.
LATE_LOOKUPS = {("spi4xl.errors", "spi4xl.ui")}


def layer_of(module: str) -> int:
    best, level = "", -1
    for i, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > len(best):
                best, level = prefix, i
    return level


def modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def imports(module: str, path: Path) -> list[tuple[int, str, tuple[str, ...]]]:
    """(line, imported module, names imported from it) for every import, at any depth of the file."""
    out = []
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(node.lineno, alias.name, ()) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            out.append((node.lineno, base, tuple(alias.name for alias in node.names)))
    return out


def is_module(name: str) -> bool:
    return name in modules()


def test_every_module_has_a_layer() -> None:
    assert [m for m in modules() if layer_of(m) < 0] == []


@pytest.mark.parametrize("module", sorted(modules()))
def test_imports_point_down(module: str) -> None:
    level = layer_of(module)
    upward = []
    for line, target, names in imports(module, modules()[module]):
        for imported in [target] + [f"{target}.{n}" for n in names if is_module(f"{target}.{n}")]:
            if imported.split(".")[0] == "spi4xl" and layer_of(imported) > level and (module, imported) not in LATE_LOOKUPS:
                upward.append(f"line {line}: {imported} ({LAYERS[layer_of(imported)][0]})")
    assert upward == [], f"{module} ({LAYERS[level][0]}) imports upward"


def private_uses(module: str, path: Path) -> list[str]:
    """Private names of other spi4xl modules that this file imports or reads through a module alias."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    aliases: set[str] = set()  # local names bound to other spi4xl modules
    used = []
    for line, target, names in imports(module, path):
        if not target.startswith("spi4xl"):
            continue
        used += [f"line {line}: {target}.{n}" for n in names if n.startswith("_") and not n.startswith("__")]
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("spi4xl"):
            aliases |= {a.asname or a.name for a in node.names if is_module(f"{node.module}.{a.name}")}
        elif isinstance(node, ast.Import):
            aliases |= {a.asname for a in node.names if a.asname and a.name.startswith("spi4xl")}
    for node in ast.walk(tree):
        if (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in aliases
                and node.attr.startswith("_") and not node.attr.startswith("__")):
            used.append(f"line {node.lineno}: {node.value.id}.{node.attr}")
    return used


@pytest.mark.parametrize("module", sorted(modules()))
def test_no_private_names_across_modules(module: str) -> None:
    assert private_uses(module, modules()[module]) == [], f"{module} uses private names of other modules"


def test_the_checks_catch_what_they_forbid(tmp_path: Path) -> None:
    """The walkers see function-level imports, relative imports and aliased private attributes."""
    source = tmp_path / "probe.py"
    source.write_text("def f():\n    from ..xl import adapter as A\n    return A._private\n", encoding="utf-8")
    found = imports("spi4xl.catalog.probe", source)
    assert found == [(2, "spi4xl.xl", ("adapter",))]
    assert layer_of("spi4xl.xl.adapter") > layer_of("spi4xl.catalog.probe")
    source.write_text("from spi4xl.workbook import render as R\nfrom spi4xl.ui import _table\nR._write_start\n",
                      encoding="utf-8")
    assert private_uses("spi4xl.xl.probe", source) == ["line 2: spi4xl.ui._table", "line 3: R._write_start"]
