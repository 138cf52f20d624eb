"""Ordering acknowledgements: a file's checkpoint only moves past batches that are all acknowledged.

The runtime may acknowledge batches out of order (two sinks, one slower). The ledger keeps, per
path, the positions handed out in reading order and advances the acknowledged position over the
longest acknowledged prefix, so a checkpoint never skips a batch still in flight.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import final

from pipeflow.infrastructure.sources.checkpoints import Checkpoint

__all__ = ["AckLedger"]


@final
class _Entry:
    __slots__ = ("acked", "inode", "offset")

    def __init__(self, inode: int, offset: int) -> None:
        self.inode = inode
        self.offset = offset
        self.acked = False


@final
class AckLedger:
    """Per path, the positions handed out in order and the acknowledged position reached.

    >>> ledger = AckLedger()
    >>> first, second = ledger.issue("a", 7, 10), ledger.issue("a", 7, 20)
    >>> second(); ledger.take_changed()
    {}
    >>> first(); ledger.take_changed()
    {'a': (7, 20)}
    """

    __slots__ = ("_changed", "_in_flight", "_queues")

    def __init__(self) -> None:
        self._queues: dict[str, deque[_Entry]] = {}
        self._changed: dict[str, Checkpoint] = {}
        self._in_flight = 0

    @property
    def in_flight(self) -> int:
        """How many issued positions wait for their acknowledgement."""
        return self._in_flight

    @property
    def has_changes(self) -> bool:
        """Whether some acknowledged position moved since the last ``take_changed``."""
        return bool(self._changed)

    def issue(self, path: str, inode: int, offset: int) -> Callable[[], None]:
        """Record a batch that ends at ``(inode, offset)`` of ``path``; return its ``ack``.

        Calling the ``ack`` more than once has no further effect.
        """
        entry = _Entry(inode, offset)
        self._queues.setdefault(path, deque()).append(entry)
        self._in_flight += 1

        def ack() -> None:
            if entry.acked:
                return
            entry.acked = True
            self._in_flight -= 1
            self._advance(path)

        return ack

    def take_changed(self) -> dict[str, Checkpoint]:
        """The acknowledged positions that moved since the last call, per path."""
        changed, self._changed = self._changed, {}
        return changed

    def _advance(self, path: str) -> None:
        queue = self._queues[path]
        while queue and queue[0].acked:
            entry = queue.popleft()
            self._changed[path] = (entry.inode, entry.offset)
        if not queue:
            del self._queues[path]
