"""The commit ledger: which batches a checkpoint may cover, and each file sink's length that matches it.

Batches are numbered in the order the router dispatches them (``issue``); every sink writes its
parts in that order. A batch is *done* when all its parts are (``done``), in any order across
sinks. The ledger's *cut* is the longest prefix of batches that are all done: only those are
released to their sources (so a source's checkpoint never covers a batch after the cut), and a
sink's committed length is the length its file had after the last part of the cut it wrote
(``wrote``). A checkpoint saved together with those lengths is a consistent pair: truncating each
file to its length and reading on from the checkpoint writes every event once.

A prefix in dispatch order is also a prefix in every file's reading order and in every sink's
writing order, which is why it is the cut, even with several sources feeding one sink.

A *barrier* (``hold_at``) stops the cut after a given batch: done batches after it are kept until
the barrier moves on. The committer puts one at the batch after which it took the stateful
functions' snapshot, so the checkpoints and lengths it commits with that snapshot are exactly
those after that batch.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Generic, TypeVar, final

__all__ = ["CommitLedger"]

T = TypeVar("T")


@final
class _Batch(Generic[T]):
    __slots__ = ("done", "lengths", "token")

    def __init__(self, token: T) -> None:
        self.token = token
        self.done = False
        self.lengths: dict[str, int] | None = None


@final
class CommitLedger(Generic[T]):
    """Batches in dispatch order with the sink lengths their parts left; the committed cut.

    >>> ledger = CommitLedger[str]()
    >>> a, b = ledger.issue("a"), ledger.issue("b")
    >>> ledger.wrote(a, "out", 10); ledger.wrote(b, "out", 25)
    >>> ledger.done(b), ledger.cut, dict(ledger.lengths)
    ([], 0, {})
    >>> ledger.done(a), ledger.cut, dict(ledger.lengths)
    (['a', 'b'], 2, {'out': 25})
    """

    __slots__ = ("_barrier", "_base", "_batches", "_lengths")

    def __init__(self) -> None:
        self._base = 0  # the number of the first batch still held (every one before is committed)
        self._batches: deque[_Batch[T]] = deque()
        self._lengths: dict[str, int] = {}
        self._barrier: int | None = None  # no batch after this one joins the cut

    @property
    def cut(self) -> int:
        """How many batches are committed: every batch numbered below it is done."""
        return self._base

    @property
    def issued(self) -> int:
        """How many batches were issued."""
        return self._base + len(self._batches)

    @property
    def all_done(self) -> bool:
        """Whether every batch issued is done (whether or not a barrier keeps some out of the cut)."""
        return all(batch.done for batch in self._batches)

    @property
    def lengths(self) -> Mapping[str, int]:
        """Per sink, its file's length after the last part of the cut it wrote (sinks that wrote one)."""
        return self._lengths

    def issue(self, token: T) -> int:
        """Number the next batch in dispatch order; ``token`` comes back from ``done`` once committed."""
        self._batches.append(_Batch(token))
        return self._base + len(self._batches) - 1

    def wrote(self, seq: int, sink: str, length: int) -> None:
        """Batch ``seq``'s part left ``sink``'s file ``length`` bytes long (before the part is done)."""
        index = seq - self._base
        if not 0 <= index < len(self._batches):
            return  # not held: a bug in the caller, and nothing this ledger could commit
        batch = self._batches[index]
        if batch.lengths is None:
            batch.lengths = {}
        if length > batch.lengths.get(sink, -1):  # two parts for one sink (fan-out): the later one
            batch.lengths[sink] = length

    def done(self, seq: int) -> list[T]:
        """Every part of batch ``seq`` is done; return the tokens of the batches committed now, in order."""
        index = seq - self._base
        if not 0 <= index < len(self._batches):
            return []
        self._batches[index].done = True
        return self._release()

    def hold_at(self, seq: int | None) -> list[T]:
        """Let no batch after ``seq`` join the cut (``None``: no barrier); return the tokens of the
        batches committed now (those a barrier moved on, or taken away, had held back)."""
        self._barrier = seq
        return self._release()

    def _release(self) -> list[T]:
        released: list[T] = []
        batches = self._batches
        barrier = self._barrier
        while batches and batches[0].done and (barrier is None or self._base + len(released) <= barrier):
            batch = batches.popleft()
            if batch.lengths is not None:
                self._lengths.update(batch.lengths)
            released.append(batch.token)
        self._base += len(released)
        return released
