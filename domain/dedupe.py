"""Deduplication: an event's key (the values of some fields) and the last distinct keys seen.

``RecentKeys`` is a least-recently-seen set of at most ``capacity`` keys: ``seen`` says whether a
key is one of them and makes it the most recent (a repeat keeps its key alive), and a new key
pushes out the oldest when the set is full. It reads no clock: "recent" counts distinct keys.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Iterable, Iterator
from typing import Generic, TypeVar, final

from pipeflow.domain.json import Json, JsonObject
from pipeflow.domain.paths import MISSING, Path, get_in

K = TypeVar("K", bound=Hashable)


def dedupe_key(fields: JsonObject, paths: Iterable[Path]) -> list[Json]:
    """The values at ``paths``, each in a one-item list, or ``[]`` where the field is missing.

    So a missing field differs from a null one, and the key is one JSON value.

    >>> dedupe_key({"a": 1, "b": None}, [("a",), ("b",), ("c",)])
    [[1], [None], []]
    """
    key: list[Json] = []
    for path in paths:
        value = get_in(fields, path)
        key.append([] if value is MISSING else [value])  # type: ignore[list-item]
    return key


@final
class RecentKeys(Generic[K]):
    """The last ``capacity`` distinct keys seen, oldest first (``capacity`` >= 1).

    >>> recent = RecentKeys[str](2)
    >>> [recent.seen(k) for k in "abacb"]
    [False, False, True, False, False]
    >>> list(recent)  # "b" had been pushed out by "c": a, c, then b again
    ['c', 'b']
    """

    __slots__ = ("_keys", "capacity")

    def __init__(self, capacity: int, keys: Iterable[K] = ()) -> None:
        if capacity < 1:
            raise ValueError(f"capacity {capacity} is below 1")  # a bug: configs are checked
        self.capacity = capacity
        self._keys: OrderedDict[K, None] = OrderedDict()
        for key in keys:
            self.seen(key)

    def seen(self, key: K) -> bool:
        """Whether ``key`` is one of the recent keys; either way it becomes the most recent."""
        keys = self._keys
        if key in keys:
            keys.move_to_end(key)
            return True
        keys[key] = None
        if len(keys) > self.capacity:
            keys.popitem(last=False)
        return False

    def __iter__(self) -> Iterator[K]:
        """The keys, oldest first."""
        return iter(self._keys)

    def __len__(self) -> int:
        """How many keys are held."""
        return len(self._keys)


__all__ = ["RecentKeys", "dedupe_key"]
