"""``sample``: keep 1 event in ``rate``, deterministically.

The decision hashes a value with a stable hash (``zlib.crc32`` of its canonical JSON: sorted
keys, no spaces, ASCII escapes) and keeps the event when the hash is divisible by ``rate``.
The value is the ``key`` field when given and present, otherwise the event id. So all events
with the same key are kept or dropped together, on every run and every machine.
"""

from __future__ import annotations

import json
import zlib
from dataclasses import dataclass
from typing import final

import pydantic
from returns.result import Result, Success

from pipeflow.domain.errors import Problems
from pipeflow.domain.events import Event
from pipeflow.domain.json import Json
from pipeflow.domain.paths import MISSING, Path, get_in
from pipeflow.domain.results import Drop, FnResult, Pass
from pipeflow.infrastructure.functions.base import FunctionConfig, FunctionPlugin
from pipeflow.infrastructure.functions.checks import field_path


class SampleConfig(FunctionConfig):
    """Config of ``sample``: keep 1 in ``rate`` (>= 1), by ``key`` when given."""

    rate: int = pydantic.Field(
        ge=1, description="Keep one event in `rate` (1 keeps all), chosen by a stable hash."
    )
    key: str | None = pydantic.Field(
        None,
        description="A field whose value is hashed: events with the same value are kept or dropped together"
        " (none, or missing: the event id).",
    )


def stable_hash(value: Json) -> int:
    """A hash of a JSON-native value that is the same in every process (``crc32`` of canonical JSON).

    >>> stable_hash({"b": 1, "a": [True, None]}) == stable_hash({"a": [True, None], "b": 1})
    True
    """
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return zlib.crc32(canonical.encode("ascii"))


@final
@dataclass(frozen=True, slots=True)
class Sample:
    """Keeps an event when the stable hash of its key (or id) is divisible by ``rate``."""

    rate: int
    key: Path | None

    def __call__(self, event: Event, /) -> FnResult:
        """Keep or drop the event."""
        value = get_in(event.fields, self.key) if self.key is not None else MISSING
        basis: Json = event.id if value is MISSING else value  # type: ignore[assignment]
        if stable_hash(basis) % self.rate == 0:
            return Pass(event)
        return Drop(f"sampled out (keeping 1 in {self.rate})")


def build(config: SampleConfig) -> Result[Sample, Problems]:
    """Build ``sample`` (the key path, when given, is checked here)."""
    if config.key is None:
        return Success(Sample(config.rate, None))
    return field_path(config.key, "key").map(lambda key: Sample(config.rate, key))


plugin = FunctionPlugin("sample", SampleConfig, build, "Keep 1 event in `rate`, deterministically.")

__all__ = ["Sample", "SampleConfig", "build", "plugin", "stable_hash"]
