"""End-to-end acknowledgement: a source batch is acked once every part of it is delivered."""

from __future__ import annotations

from collections.abc import Callable
from typing import final


@final
class AckGroup:
    """Counts the outstanding parts of one source batch and calls ``ack`` when the last is done.

    A part is one delivery to one sink, or one write to the dead-letter queue. ``seal()`` says
    no more parts will be added, so a batch whose parts finish before routing ends is acked once.
    """

    __slots__ = ("_ack", "_pending", "_sealed")

    def __init__(self, ack: Callable[[], None] | None) -> None:
        self._ack = ack
        self._pending = 0
        self._sealed = False

    def part(self) -> Callable[[], None]:
        """Register one more outstanding part; returns the callback that marks it done."""
        self._pending += 1
        called = False

        def done() -> None:
            nonlocal called
            if called:
                return
            called = True
            self._pending -= 1
            self._maybe_ack()

        return done

    def seal(self) -> None:
        """No more parts will be added; ack now if nothing is outstanding."""
        self._sealed = True
        self._maybe_ack()

    def _maybe_ack(self) -> None:
        if self._sealed and self._pending == 0 and self._ack is not None:
            ack, self._ack = self._ack, None
            ack()


__all__ = ["AckGroup"]
