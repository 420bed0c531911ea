"""Reads a spec's YAML strictly: a key given twice in one mapping is an error, never a silent
replacement of the first (PyYAML keeps the last), so a second `job:` block cannot hide the first.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.constructor import ConstructorError
from yaml.nodes import MappingNode


class DuplicateKeyError(ConstructorError):
    """A mapping names the same key twice; the marks point at both places."""


class _StrictLoader(yaml.SafeLoader):
    def construct_mapping(self, node: MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, Any] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                first = seen.get(key)
            except TypeError:  # an unhashable key: SafeLoader's own error says so below
                continue
            if first is not None:
                raise DuplicateKeyError(
                    f"while reading the mapping that starts at line {node.start_mark.line + 1}",
                    node.start_mark,
                    f"key '{key}' is given twice (first at line {first.line + 1}); "
                    "keep one and merge what both say",
                    key_node.start_mark,
                )
            seen[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


def load_yaml(text: str) -> Any:
    # A SafeLoader subclass: no arbitrary Python objects.
    return yaml.load(text, Loader=_StrictLoader)
