"""Where each key and value of a policy file sits, so that problems can point at it.

`MarkedReader` turns the nodes `yaml.compose` gives into plain Python data and records
the line and column of every key and value in `Marks` on the way.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

KeyPath = tuple[str | int, ...]  # ("series", 0, "code")
Mark = tuple[int, int]  # 0-based line and column, as yaml reports them


@dataclass(frozen=True)
class Located:
    """A problem found at a place in the file."""

    at: Mark
    message: str
    warning: bool = False


@dataclass
class Marks:
    """Places of values and keys by key path; filled while the file is read."""

    values: dict[KeyPath, Mark] = field(default_factory=dict)
    keys: dict[KeyPath, Mark] = field(default_factory=dict)

    def value(self, path: KeyPath) -> Mark:
        """The place of the value at `path`, or of its nearest enclosing value (a missing
        key points at the mapping that lacks it)."""
        for end in range(len(path), -1, -1):
            if path[:end] in self.values:
                return self.values[path[:end]]
        return (0, 0)

    def key(self, path: KeyPath) -> Mark:
        """The place of the key that ends `path`, else of its value."""
        return self.keys.get(path) or self.value(path)

    def line(self, path: KeyPath) -> int:
        """1-based line of the value at `path`, for messages."""
        return self.value(path)[0] + 1


MAX_VALUES = 100_000  # far above any real policy; stops alias bombs


class MarkedReader:
    """Turns composed nodes into plain Python data, recording every value's place."""

    def __init__(self, marks: Marks, found: list[Located]) -> None:
        self.marks, self.found = marks, found
        self.loader = yaml.SafeLoader("")
        self.count = 0
        self.stopped = False

    def plain(self, node: Node, path: KeyPath = (), inside: frozenset[int] = frozenset()
              ) -> object:
        mark = (node.start_mark.line, node.start_mark.column)
        self.marks.values.setdefault(path, mark)
        self.count += 1
        if id(node) in inside or self.count > MAX_VALUES:
            if not self.stopped:
                self.found.append(Located(mark, "an alias (*name) here refers to itself or "
                                                "expands too far: write the values out"))
            self.stopped = True
            return None
        inside = inside | {id(node)}
        if isinstance(node, MappingNode):
            return self._mapping(node, path, inside)
        if isinstance(node, SequenceNode):
            return [self.plain(item, path + (i,), inside) for i, item in enumerate(node.value)]
        try:
            return self.loader.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError):
            return node.value  # e.g. an impossible date: the validation reports it

    def _mapping(self, node: MappingNode, path: KeyPath, inside: frozenset[int]) -> dict:
        out: dict = {}
        for key_node, value_node in node.value:
            key_mark = (key_node.start_mark.line, key_node.start_mark.column)
            if not isinstance(key_node, ScalarNode):
                self.found.append(Located(key_mark, "keys must be plain words"))
                continue
            key = key_node.value
            if key in out:
                first = self.marks.keys[path + (key,)][0] + 1
                self.found.append(Located(key_mark, f"key {key!r} is already given on line "
                                                    f"{first}: keep only one"))
                continue
            self.marks.keys[path + (key,)] = key_mark
            out[key] = self.plain(value_node, path + (key,), inside)
        return out
