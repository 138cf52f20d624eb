"""Reading YAML while remembering where each value was, so problems can name line and column."""

from __future__ import annotations

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


def load_yaml(text: str) -> YamlDocument:
    """Parse YAML text into data plus positions.

    :raises YamlSyntaxError: when the text is not YAML.
    """
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        pos = Position(mark.line + 1, mark.column + 1) if mark is not None else None
        raise YamlSyntaxError(str(exc.problem or exc), pos) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(str(exc), None) from None
    positions: dict[Loc, Position] = {}
    if node is not None:
        _walk(node, (), positions)
    return YamlDocument(data, positions)


def _walk(node: yaml.Node, loc: Loc, out: dict[Loc, Position]) -> None:
    out[loc] = Position(node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.start_mark)
            _walk(value_node, (*loc, key), out)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*loc, i), out)


__all__ = ["Loc", "YamlDocument", "YamlSyntaxError", "load_yaml"]
