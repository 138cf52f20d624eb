"""``OffsetLedger``: per partition, the offset a consumer group may commit after out-of-order acks.

A batch spans partitions and ends, in each, at some offset. The runtime may acknowledge batches
out of order (two sinks, one slower); a partition's committable offset only moves over the longest
prefix of its batches that are all acknowledged, so a commit never skips a record still in flight.
A partition taken away by a rebalance is forgotten: the acks of its batches still in flight no
longer count (the group redelivers those records to the partition's next owner).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Generic, TypeVar, final

__all__ = ["OffsetLedger"]

K = TypeVar("K", bound=Hashable)


@final
class _Entry:
    __slots__ = ("acked", "end")

    def __init__(self, end: int) -> None:
        self.end = end
        self.acked = False


@final
class OffsetLedger(Generic[K]):
    """The batches handed out per partition, the acknowledged offset reached, and what was committed.

    >>> ledger = OffsetLedger[str]()
    >>> first, second = ledger.issue({"p0": 10, "p1": 4}), ledger.issue({"p0": 20})
    >>> second(); ledger.uncommitted()
    {}
    >>> first(); ledger.uncommitted()
    {'p0': 20, 'p1': 4}
    >>> ledger.mark_committed({"p0": 20}); ledger.uncommitted()
    {'p1': 4}
    """

    __slots__ = ("_acked", "_committed", "_queues")

    def __init__(self) -> None:
        self._queues: dict[K, deque[_Entry]] = {}
        self._acked: dict[K, int] = {}
        self._committed: dict[K, int] = {}

    def issue(self, ends: Mapping[K, int]) -> Callable[[], None]:
        """Record a batch that ends (next offset to read) at ``ends[k]`` in each partition; return its ack.

        Calling the ack more than once has no further effect.
        """
        held = [(key, self._queues.setdefault(key, deque()), _Entry(end)) for key, end in ends.items()]
        for _, queue, entry in held:
            queue.append(entry)

        def ack() -> None:
            for key, queue, entry in held:
                if not entry.acked:
                    entry.acked = True
                    self._advance(key, queue)

        return ack

    def in_flight(self, keys: Iterable[K] | None = None) -> int:
        """How many issued batch parts (of ``keys``, else of every partition) wait for their ack."""
        chosen = self._queues.keys() if keys is None else keys
        return sum(not e.acked for key in chosen for e in self._queues.get(key, ()))

    def acked(self) -> dict[K, int]:
        """The acknowledged offset reached, per partition (committed or not).

        >>> ledger = OffsetLedger[str]()
        >>> ledger.issue({"p0": 10})(); ledger.acked()
        {'p0': 10}
        """
        return dict(self._acked)

    def reached(self, key: K) -> int | None:
        """The end of the last batch issued for ``key``, acknowledged or not (``None``: none was).

        >>> ledger = OffsetLedger[str]()
        >>> _ = ledger.issue({"p0": 10}); ledger.reached("p0"), ledger.reached("p1")
        (10, None)
        """
        queue = self._queues.get(key)
        return queue[-1].end if queue else self._acked.get(key)

    def uncommitted(self) -> dict[K, int]:
        """The acknowledged offsets not yet committed, per partition."""
        return {k: end for k, end in self._acked.items() if self._committed.get(k) != end}

    def mark_committed(self, offsets: Mapping[K, int]) -> None:
        """Record that ``offsets`` were committed (a failed commit is simply not marked)."""
        for key, end in offsets.items():
            if key in self._acked:
                self._committed[key] = end

    def forget(self, keys: Iterable[K]) -> None:
        """Drop partitions (revoked): their pending acks stop counting, their offsets are not committed."""
        for key in keys:
            self._queues.pop(key, None)
            self._acked.pop(key, None)
            self._committed.pop(key, None)

    def _advance(self, key: K, queue: deque[_Entry]) -> None:
        if self._queues.get(key) is not queue:
            return  # forgotten since this batch was issued
        while queue and queue[0].acked:
            self._acked[key] = queue.popleft().end
