"""Reading an Image Customizer configuration with the line and column of every value.

Only YAML's safe scalar types are accepted (yaml.compose, never yaml.load): no tags, no
aliases (an alias bomb would cost exponential time to walk), one document, no duplicate keys.
JSON is YAML, so a JSON configuration reads the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

MAX_NODES = 200_000  # values in one file; beyond this the file is refused, not walked


@dataclass
class Node:
    """A value and where it stands: `value` is a dict of str -> Node, a list of Node, or a scalar."""

    value: Any
    line: int  # 1-based
    column: int  # 1-based
    key_marks: dict[str, tuple[int, int]] = field(default_factory=dict)  # a mapping key's own place
    span: tuple[int, int] = (0, 0)  # character offsets of the value in the text

    @property
    def kind(self) -> str:
        if isinstance(self.value, dict):
            return "mapping"
        if isinstance(self.value, list):
            return "list"
        return "scalar"

    def plain(self) -> Any:
        """The value without marks (for tests and messages)."""
        if isinstance(self.value, dict):
            return {k: v.plain() for k, v in self.value.items()}
        if isinstance(self.value, list):
            return [v.plain() for v in self.value]
        return self.value


class LoadError(Exception):
    """The text is not a usable configuration; line and column are 1-based."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None):
        super().__init__(message)
        self.message, self.line, self.column = message, line, column


_SCALAR_TAGS = {
    "tag:yaml.org,2002:str", "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
}


def parse(text: str) -> tuple[Node, list[LoadError]]:
    """The document's root node and the problems found in it (all of them, one pass)."""
    loader = yaml.SafeLoader(text)
    try:
        if not loader.check_node():
            raise LoadError("the file is empty", 1, 1)
        root = loader.get_node()
        if loader.check_node():
            extra = loader.get_node()
            raise LoadError("more than one YAML document ('---'): a configuration is one document",
                            extra.start_mark.line + 1, extra.start_mark.column + 1)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        what = exc.problem or str(exc)
        raise LoadError(f"not valid YAML: {what}", mark.line + 1 if mark else None,
                        mark.column + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise LoadError(f"not valid YAML: {exc}") from None
    except RecursionError:
        raise LoadError(TOO_DEEP) from None
    finally:
        loader.dispose()
    walker = _Walker()
    try:
        node = walker.convert(root)
    except RecursionError:
        raise LoadError(TOO_DEEP) from None
    return node, walker.problems


TOO_DEEP = "values nested too deeply: not a configuration"


class _Walker:
    def __init__(self):
        self.problems: list[LoadError] = []
        self.seen: set[int] = set()
        self.count = 0
        self.constructor = yaml.constructor.SafeConstructor()

    def error(self, message: str, node: yaml.Node) -> None:
        self.problems.append(LoadError(message, node.start_mark.line + 1, node.start_mark.column + 1))

    def convert(self, node: yaml.Node) -> Node:
        made = self._convert(node)
        made.span = (node.start_mark.index, node.end_mark.index)
        return made

    def _convert(self, node: yaml.Node) -> Node:
        line, column = node.start_mark.line + 1, node.start_mark.column + 1
        self.count += 1
        if self.count > MAX_NODES:
            raise LoadError(f"more than {MAX_NODES} values: not a configuration", line, column)
        if id(node) in self.seen:
            self.error("YAML aliases (*name) are not supported: write the value out", node)
            return Node(None, line, column)
        self.seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            if node.tag != "tag:yaml.org,2002:map":
                self.error(f"YAML tag {node.tag!r} is not supported", node)
            out: dict[str, Node] = {}
            marks: dict[str, tuple[int, int]] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                    self.error("keys must be plain names (no '<<' merges, lists or mappings as keys)", key_node)
                    continue
                key = str(key_node.value)
                if key in out:
                    first = marks[key]
                    self.error(f"duplicate key {key!r} (first at line {first[0]}, column {first[1]})", key_node)
                    continue
                marks[key] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                out[key] = self.convert(value_node)
            return Node(out, line, column, marks)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != "tag:yaml.org,2002:seq":
                self.error(f"YAML tag {node.tag!r} is not supported", node)
            return Node([self.convert(item) for item in node.value], line, column)
        if node.tag not in _SCALAR_TAGS:
            self.error(f"YAML tag {node.tag!r} is not supported (plain values only)", node)
            return Node(None, line, column)
        try:
            value = self.constructor.construct_object(node)
        except (yaml.YAMLError, ValueError, OverflowError) as exc:
            self.error(f"cannot read this value: {exc}", node)
            value = None
        return Node(value, line, column)
