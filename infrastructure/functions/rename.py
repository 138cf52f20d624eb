"""``rename``: move fields from old paths to new paths, in the order given."""

from __future__ import annotations

from dataclasses import dataclass
from typing import final

import pydantic
from returns.result import Result

from pipeflow.domain.errors import Problems
from pipeflow.domain.events import Event
from pipeflow.domain.json import Json, JsonObject
from pipeflow.domain.paths import MISSING, Path, get_in
from pipeflow.domain.results import FnResult, Pass
from pipeflow.infrastructure.functions.base import FunctionConfig, FunctionPlugin
from pipeflow.infrastructure.functions.checks import collect, field_path


class RenameConfig(FunctionConfig):
    """Config of ``rename``: a map of old field path to new field path."""

    fields: dict[str, str] = pydantic.Field(min_length=1, description="Old field path to new field path.")


def can_place(fields: JsonObject, path: Path) -> bool:
    """Whether ``set_in`` can put a value at ``path``: every list index on the way must exist.

    Objects are created on the way (a scalar in the way is replaced by an object), but a list
    index is never created.

    >>> can_place({"tags": ["a"]}, ("tags", 0)), can_place({"tags": []}, ("tags", 0))
    (True, False)
    >>> can_place({"a": 1}, ("a", "b")), can_place({}, ("a", 0))
    (True, False)
    """
    node: Json = fields
    for seg in path:
        if isinstance(seg, str):
            node = node.get(seg) if isinstance(node, dict) else None
        elif isinstance(node, list) and -len(node) <= seg < len(node):
            node = node[seg]
        else:
            return False
    return True


@final
@dataclass(frozen=True, slots=True)
class Rename:
    """Moves each ``old`` value to ``new``, in order.

    An absent ``old`` changes nothing; so does a ``new`` that cannot hold a value (a list index
    that does not exist): the field stays where it was rather than being lost.
    """

    moves: tuple[tuple[Path, Path], ...]

    def __call__(self, event: Event, /) -> FnResult:
        """Rename the fields."""
        for old, new in self.moves:
            value = get_in(event.fields, old)
            if value is MISSING or old == new:
                continue
            removed = event.without_field(old)
            if can_place(removed.fields, new):
                event = removed.with_field(new, value)  # type: ignore[arg-type]
        return Pass(event)


def _move(old: str, new: str) -> Result[tuple[Path, Path], Problems]:
    where = f"fields.{old}"
    return Result.do((src, dst) for src in field_path(old, where) for dst in field_path(new, where))


def build(config: RenameConfig) -> Result[Rename, Problems]:
    """Build ``rename``; every path is checked here."""
    return collect(_move(old, new) for old, new in config.fields.items()).map(Rename)


plugin = FunctionPlugin("rename", RenameConfig, build, "Rename fields (a map of old path to new path).")

__all__ = ["Rename", "RenameConfig", "build", "can_place", "plugin"]
