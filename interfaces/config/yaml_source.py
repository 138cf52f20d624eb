"""Reading YAML while remembering where each value was, so problems can name line and column."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, final

import yaml

from pipeflow.domain.errors import Position

Loc = tuple[int | str, ...]
"""A location inside the document: keys and list indexes from the root."""


@final
@dataclass(frozen=True, slots=True)
class YamlDocument:
    """The parsed data and the position of every node in it."""

    data: Any
    positions: dict[Loc, Position]

    def position(self, loc: Loc) -> Position | None:
        """The position of ``loc``, or of its nearest ancestor that has one."""
        while True:
            if loc in self.positions:
                return self.positions[loc]
            if not loc:
                return None
            loc = loc[:-1]


class YamlSyntaxError(ValueError):
    """The text is not valid YAML; carries the position of the problem."""

    def __init__(self, message: str, position: Position | None) -> None:
        super().__init__(message)
        self.message = message
        self.position = position


class _ConfigLoader(yaml.SafeLoader):
    """YAML's safe loader less its timestamps: ``ts: 2024-06-01T00:00:00Z`` is the string it reads
    as, the value an event read from NDJSON holds (a ``datetime`` is no JSON value)."""


_ConfigLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}

_JSON_SCALARS = (str, int, float, bool, type(None))


def load_yaml(text: str) -> YamlDocument:
    """Parse YAML text into data plus positions; the data holds JSON values only.

    >>> load_yaml("a: 2024-06-01\\nb: [1, .5]").data
    {'a': '2024-06-01', 'b': [1, 0.5]}
    >>> try:
    ...     load_yaml("a: 1\\na: 2")
    ... except YamlSyntaxError as exc:
    ...     print(exc.message, exc.position)
    duplicate key 'a' line 2, column 1

    :raises YamlSyntaxError: when the text is not YAML, repeats a key in a mapping, or holds a
        value JSON has not (``!!binary``, ``!!set``, ``.nan``, ``.inf``, an explicit timestamp).
    """
    loader = _ConfigLoader(text)
    try:
        node = loader.get_single_node()
        positions: dict[Loc, Position] = {}
        if node is not None:
            _walk(node, (), positions)
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        pos = Position(mark.line + 1, mark.column + 1) if mark is not None else None
        raise YamlSyntaxError(str(exc.problem or exc), pos) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(str(exc), None) from None
    finally:
        loader.dispose()
    doc = YamlDocument(data, positions)
    _json_only(doc, data, ())
    return doc


def _walk(node: yaml.Node, loc: Loc, out: dict[Loc, Position]) -> None:
    out[loc] = _at(node)
    if isinstance(node, yaml.MappingNode):
        seen: set[object] = set()
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.start_mark)
            if key in seen and key != "<<":  # "<<" merges mappings: not a key of its own
                raise YamlSyntaxError(f"duplicate key {key!r}", _at(key_node))
            seen.add(key)
            _walk(value_node, (*loc, key), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*loc, i), out)


def _at(node: yaml.Node) -> Position:
    return Position(node.start_mark.line + 1, node.start_mark.column + 1)


def _json_only(doc: YamlDocument, value: object, loc: Loc) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _json_only(doc, item, (*loc, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _json_only(doc, item, (*loc, i))
    elif not isinstance(value, _JSON_SCALARS) or (isinstance(value, float) and not math.isfinite(value)):
        shown = value if isinstance(value, float) else type(value).__name__
        raise YamlSyntaxError(f"{shown} is not a JSON value: write it as a string", doc.position(loc))


__all__ = ["Loc", "YamlDocument", "YamlSyntaxError", "load_yaml"]
