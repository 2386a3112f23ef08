"""Strict YAML reading: YAML 1.2 booleans, no duplicate keys, and typed access that names the key path."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from spi4xl.errors import CatalogError


class _StrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """SafeLoader where only true/false are booleans (so yes/no stay strings) and keys must be unique.

    On libyaml's parser where PyYAML has it (its wheels do): 12x faster than the pure-Python one on the
    catalog, which every command that loads it pays at start.
    """


_StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_StrictLoader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), list("tf"))


class DuplicateKey(Exception):
    def __init__(self, key: object, line: int, path: str) -> None:
        super().__init__(key, line, path)
        self.key, self.line, self.path = key, line, path


def _check_unique(node: yaml.Node | None, path: str = "", seen_nodes: set[int] | None = None) -> None:
    """Refuse a mapping that repeats a key, naming the key path (as `Node` does) and the line."""
    seen_nodes = set() if seen_nodes is None else seen_nodes
    if node is None or id(node) in seen_nodes:
        return
    seen_nodes.add(id(node))
    if isinstance(node, yaml.MappingNode):
        keys: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.start_mark)
            sub = f"{path}.{key}" if path else key
            if key in keys:
                raise DuplicateKey(key, key_node.start_mark.line + 1, sub)
            keys.add(key)
            _check_unique(value_node, sub, seen_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _check_unique(item, f"{path}[{i}]", seen_nodes)


def load_yaml(path: Path, shown: str) -> Any:
    """Parse one YAML file; syntax errors and duplicate keys become CatalogError naming the file."""
    try:
        with path.open(encoding="utf-8") as fh:
            loader = _StrictLoader(fh)
            try:
                node = loader.get_single_node()
                _check_unique(node)
                return None if node is None else loader.construct_document(node)
            finally:
                loader.dispose()
    except FileNotFoundError:
        raise CatalogError("catalog.file_missing", shown, "") from None
    except DuplicateKey as dup:
        raise CatalogError("catalog.duplicate_key", shown, dup.path, key=dup.key, line=dup.line) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise CatalogError("catalog.yaml_syntax", shown, "", line=mark.line + 1 if mark else "?", problem=problem) from None
    except UnicodeDecodeError:
        raise CatalogError("catalog.not_utf8", shown, "") from None


class Node:
    """A mapping being read: every read names its key path, and `close()` refuses unknown keys."""

    def __init__(self, data: Any, file: str, path: str = "") -> None:
        if not isinstance(data, dict):
            raise CatalogError("catalog.not_mapping", file, path or "(top)", found=type(data).__name__)
        self.data, self.file, self.path = data, file, path
        self.used: set[str] = set()

    def sub(self, key: str | int) -> str:
        if isinstance(key, int):
            return f"{self.path}[{key}]"
        return f"{self.path}.{key}" if self.path else key

    def fail(self, code: str, key: str | int, /, **params: Any) -> CatalogError:
        """The error `code` at `key` of this mapping (templates error.<code> and error.<code>.fix)."""
        return CatalogError(code, self.file, self.sub(key), **params)

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        """Read `key` as `kind`; a missing key gives `default`, or fails when there is none."""
        self.used.add(key)
        if key not in self.data or self.data[key] is None and default is not ...:
            if default is ...:
                raise self.fail("catalog.required", key, key=key)
            return default
        value = self.data[key]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        if float in kinds and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kinds) or (bool not in kinds and isinstance(value, bool)):
            raise self.wrong_type(key, kinds, value)
        return value

    def wrong_type(self, key: str | int, kinds: tuple[type, ...], value: Any) -> CatalogError:
        """A value of the wrong type: each expected type has its own fix (YAML writes each its own way)."""
        if bool in kinds:
            return self.fail("catalog.expected_bool", key, found=repr(value))
        if list in kinds:
            return self.fail("catalog.expected_list", key, found=repr(value))
        if dict in kinds:
            return self.fail("catalog.expected_dict", key, found=repr(value))
        if str in kinds:
            return self.fail("catalog.expected_str", key, found=repr(value))
        return self.fail("catalog.expected_number", key, found=repr(value))

    def text(self, key: str, default: Any = ...) -> Any:
        value = self.get(key, str, default)
        if isinstance(value, str) and not value.strip():
            raise self.fail("catalog.empty", key)
        return value.strip() if isinstance(value, str) else value

    def items(self, key: str, default: Any = ...) -> list["Node"]:
        """A list of mappings under `key`, each as a Node with its index in the path."""
        values = self.get(key, list, default)
        return [Node(v, self.file, f"{self.sub(key)}[{i}]") for i, v in enumerate(values)]

    def strings(self, key: str, default: Any = ...) -> tuple[str, ...]:
        values = self.get(key, list, default)
        for i, v in enumerate(values):
            if not isinstance(v, str):
                raise self.wrong_type(f"{key}[{i}]", (str,), v)
        return tuple(values)

    def close(self) -> None:
        extra = sorted(set(self.data) - self.used, key=str)
        if extra:
            raise self.fail("catalog.unknown_key", extra[0], known=", ".join(sorted(self.used)))
