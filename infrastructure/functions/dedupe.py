"""``dedupe``: drop an event whose ``fields`` equal those of one of the last ``cache_size`` distinct events.

The key is the pure ``domain.dedupe.dedupe_key`` (a missing field differs from a null one), held as
its canonical JSON text (``1`` and ``1.0`` differ, as do ``true`` and ``1``; object keys in any
order are equal). The cache is the domain's ``RecentKeys``, a least-recently-seen set: a repeat is
dropped and keeps its key alive, a new key passes and pushes out the oldest when the cache is full.
It is ``Stateful``: the runtime persists ``snapshot()`` and calls ``restore`` after a restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import final

import pydantic
from returns.result import Result

from pipeflow.domain.dedupe import RecentKeys, dedupe_key
from pipeflow.domain.errors import Problems
from pipeflow.domain.events import Event
from pipeflow.domain.json import Json
from pipeflow.domain.paths import Path
from pipeflow.domain.results import Drop, FnResult, Pass
from pipeflow.infrastructure.functions.base import FunctionConfig, FunctionPlugin
from pipeflow.infrastructure.functions.checks import collect, field_path
from pipeflow.infrastructure.functions.json_keys import canonical

SNAPSHOT_VERSION = 1


class DedupeConfig(FunctionConfig):
    """Config of ``dedupe``: the ``fields`` that make an event's key, and how many keys to remember."""

    fields: list[str] = pydantic.Field(min_length=1, description="The field paths whose values make the key.")
    cache_size: int = pydantic.Field(
        default=10_000,
        ge=1,
        description="How many distinct keys are remembered (least recently seen first out).",
    )


@final
@dataclass(frozen=True, slots=True)
class DedupeSpec:
    """A checked ``dedupe`` config: the key's paths and the cache size."""

    paths: tuple[Path, ...]
    cache_size: int


@final
class Dedupe:
    """The ``dedupe`` function: the last ``cache_size`` distinct keys, as canonical JSON text."""

    __slots__ = ("_recent", "spec")

    def __init__(self, spec: DedupeSpec) -> None:
        self.spec = spec
        self._recent = RecentKeys[str](spec.cache_size)

    def __call__(self, event: Event, /) -> FnResult:
        """Pass the event when its key is not one of the recent keys, else drop it."""
        key = canonical(dedupe_key(event.fields, self.spec.paths))
        if self._recent.seen(key):
            return Drop(f"duplicate of one of the last {self.spec.cache_size} distinct events")
        return Pass(event)

    def keys_held(self) -> int:
        """How many keys the state holds now."""
        return len(self._recent)

    def snapshot(self) -> Json:
        """The recent keys (canonical JSON text), oldest first."""
        keys: list[Json] = list(self._recent)
        return {"version": SNAPSHOT_VERSION, "keys": keys}

    def restore(self, state: Json) -> None:
        """Replace the recent keys with those of a ``snapshot`` (the newest ``cache_size`` of them).

        :raises ValueError: the value is not a snapshot of this function.
        """
        if not isinstance(state, dict) or state.get("version") != SNAPSHOT_VERSION:
            raise ValueError(f"not a dedupe snapshot (version {SNAPSHOT_VERSION})")
        keys = state.get("keys")
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise ValueError("dedupe snapshot: 'keys' is not a list of strings")
        self._recent = RecentKeys(self.spec.cache_size, (k for k in keys if isinstance(k, str)))


def build(config: DedupeConfig) -> Result[Dedupe, Problems]:
    """Build ``dedupe``; every field path is checked here."""
    paths = collect(field_path(f, f"fields[{i}]") for i, f in enumerate(config.fields))
    return paths.map(lambda ps: Dedupe(DedupeSpec(ps, config.cache_size)))


plugin = FunctionPlugin(
    "dedupe",
    DedupeConfig,
    build,
    "Drop an event whose `fields` equal those of one of the last `cache_size` distinct events.",
)

__all__ = ["SNAPSHOT_VERSION", "Dedupe", "DedupeConfig", "DedupeSpec", "build", "plugin"]
