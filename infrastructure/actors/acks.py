"""End-to-end acknowledgement: a source batch is acked once every part of it is delivered."""

from __future__ import annotations

from collections.abc import Callable
from typing import final


@final
class AckGroup:
    """Counts the outstanding parts of one source batch and calls ``ack`` when the last is done.

    A part is one delivery to one sink, or one write to the dead-letter queue. ``seal()`` says
    no more parts will be added, so a batch whose parts finish before routing ends is acked once.
    A part may fail instead (its dead letters could not be stored): once every part is settled,
    the batch is then not acked, and ``failed`` hears the first reason. Waiting for the other parts
    keeps what is still being written counted as in flight until it is.

    >>> heard = []
    >>> group = AckGroup(lambda: heard.append("ack"), heard.append)
    >>> one, two = group.part(), group.part()
    >>> group.seal(); two.fail("store down"); heard
    []
    >>> one(); heard
    ['store down']
    """

    __slots__ = ("_ack", "_failed", "_pending", "_reason", "_sealed")

    def __init__(self, ack: Callable[[], None] | None, failed: Callable[[str], None] | None = None) -> None:
        self._ack = ack
        self._failed = failed
        self._pending = 0
        self._sealed = False
        self._reason: str | None = None

    def part(self) -> AckPart:
        """Register one more outstanding part; call it when the part is done (or ``fail`` it)."""
        self._pending += 1
        return AckPart(self)

    def seal(self) -> None:
        """No more parts will be added; settle now if nothing is outstanding."""
        self._sealed = True
        self._maybe_settle()

    def settle(self, reason: str | None) -> None:
        """One part is settled: done (``None``) or failed with ``reason`` (by its ``AckPart``)."""
        self._pending -= 1
        if reason is not None and self._reason is None:
            self._reason = reason
        self._maybe_settle()

    def _maybe_settle(self) -> None:
        if not self._sealed or self._pending:
            return
        if self._reason is None:
            ack, self._ack = self._ack, None
            if ack is not None:
                ack()
        else:
            failed, self._failed, self._ack = self._failed, None, None
            if failed is not None:
                failed(self._reason)


@final
class AckPart:
    """One part of an ``AckGroup``: settled once, by calling it (done) or by ``fail``."""

    __slots__ = ("_group", "_settled")

    def __init__(self, group: AckGroup) -> None:
        self._group = group
        self._settled = False

    def __call__(self) -> None:
        """The part is done."""
        if not self._settled:
            self._settled = True
            self._group.settle(None)

    def fail(self, reason: str) -> None:
        """The part can never be done, for ``reason``."""
        if not self._settled:
            self._settled = True
            self._group.settle(reason)


__all__ = ["AckGroup", "AckPart"]
