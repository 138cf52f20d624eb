"""The snapshot of ``throttle``, read back: the newest time seen and each key's admitted times."""

from __future__ import annotations

import math

from pipeflow.domain.json import Json

SNAPSHOT_VERSION = 1


def _time(raw: Json) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise ValueError(f"throttle snapshot: not a time: {raw!r}")
    return float(raw)


def _times(raw: Json) -> list[float]:
    if not isinstance(raw, list) or not raw:
        raise ValueError("throttle snapshot: a key's times are not a non-empty list")
    times = [_time(t) for t in raw]
    if times != sorted(times):
        raise ValueError("throttle snapshot: a key's times are not in order")
    return times


def keys_from(state: Json) -> tuple[float | None, list[tuple[str, list[float]]]]:
    """The mark and the keys with their times, in order, of a ``Throttle.snapshot()``.

    >>> keys_from({"version": 1, "mark": 5.0, "keys": [["null", [1.0, 5.0]]]})
    (5.0, [('null', [1.0, 5.0])])

    :raises ValueError: the value is not such a snapshot.
    """
    if not isinstance(state, dict) or state.get("version") != SNAPSHOT_VERSION:
        raise ValueError(f"not a throttle snapshot (version {SNAPSHOT_VERSION})")
    raw_mark, raw_keys = state.get("mark"), state.get("keys")
    mark = None if raw_mark is None else _time(raw_mark)
    if not isinstance(raw_keys, list):
        raise ValueError("throttle snapshot: 'keys' is not a list")
    keys: list[tuple[str, list[float]]] = []
    for item in raw_keys:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[0], str)):
            raise ValueError(f"throttle snapshot: not a key and its times: {item!r}")
        keys.append((item[0], _times(item[1])))
    if keys and mark is None:
        raise ValueError("throttle snapshot: keys without a mark")
    return mark, keys


__all__ = ["SNAPSHOT_VERSION", "keys_from"]
