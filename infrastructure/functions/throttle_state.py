"""The snapshot of ``throttle``, read back: each key with its clock and its admitted times."""

from __future__ import annotations

import math

from pipeflow.domain.json import Json

SNAPSHOT_VERSION = 2


def _time(raw: Json) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise ValueError(f"throttle snapshot: not a time: {raw!r}")
    return float(raw)


def _key(item: Json) -> tuple[str, float, list[float]]:
    if not (isinstance(item, list) and len(item) == 3 and isinstance(key := item[0], str)):
        raise ValueError(f"throttle snapshot: not a key, its clock and its times: {item!r}")
    _, raw_clock, raw_times = item
    clock = _time(raw_clock)
    if not isinstance(raw_times, list):
        raise ValueError("throttle snapshot: a key's times are not a list")
    times = [_time(t) for t in raw_times]
    if times != sorted(times) or (times and times[-1] > clock):
        raise ValueError("throttle snapshot: a key's times are not in order up to its clock")
    return key, clock, times


def keys_from(state: Json) -> list[tuple[str, float, list[float]]]:
    """The keys of a ``Throttle.snapshot()``, in order, each with its clock and admitted times.

    >>> keys_from({"version": 2, "keys": [["null", 5.0, [1.0, 5.0]]]})
    [('null', 5.0, [1.0, 5.0])]

    :raises ValueError: the value is not such a snapshot.
    """
    if not isinstance(state, dict) or state.get("version") != SNAPSHOT_VERSION:
        raise ValueError(f"not a throttle snapshot (version {SNAPSHOT_VERSION})")
    raw_keys = state.get("keys")
    if not isinstance(raw_keys, list):
        raise ValueError("throttle snapshot: 'keys' is not a list")
    return [_key(item) for item in raw_keys]


__all__ = ["SNAPSHOT_VERSION", "keys_from"]
