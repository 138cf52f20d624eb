"""State points: when the committer takes the stateful functions' snapshots, and which one waits.

A function's state moves when a batch is planned, and the router numbers a batch (``issue``) right
after planning it, with no await between: at that instant the state covers exactly the batches
issued so far. The committer takes a snapshot there, for one batch at a time (the *pending* point),
and puts the commit ledger's barrier after that batch; once every batch up to it is done it commits
the snapshot with the checkpoints and sink lengths of exactly that cut, and the next batch issued
gets the next snapshot. Nothing waits for anything: a slow sink only makes the points further apart.

Taking a snapshot encodes the whole state in the router's task, so a large state is snapshotted
less often: the next snapshot comes no sooner than ``SPACING`` times the last one's cost after it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeAlias, final

import orjson

from pipeflow.domain.json import Json

__all__ = ["SPACING", "Snapshots", "StatePoints", "States"]

States = Callable[[], list[tuple[str, int, Json]]]
"""The stateful functions' snapshots now: ``(pipeline id, function index, snapshot)`` each."""

Snapshots: TypeAlias = list[tuple[str, int, bytes]]
"""Encoded snapshots: ``(pipeline id, function index, snapshot JSON)`` each."""

SPACING = 20.0
"""A snapshot that took ``t`` seconds is followed by the next no sooner than ``SPACING * t`` later
(taking snapshots stays within about a twentieth of the router's time, whatever the state's size)."""


@final
class StatePoints:
    """The pending snapshot (the batch it follows, the encoded state), and when the next is due."""

    __slots__ = ("_clock", "_next_at", "_saved", "_states", "pending")

    def __init__(self, states: States, clock: Callable[[], float] = time.perf_counter) -> None:
        self._states = states
        self._clock = clock
        self._next_at = 0.0
        self._saved: dict[tuple[str, int], bytes] = {}  # what the last commits saved, per function
        self.pending: tuple[int, Snapshots] | None = None

    def take_after(self, seq: int) -> bool:
        """Take the pending snapshot after batch ``seq`` when none is pending and one is due."""
        if self.pending is not None or self._clock() < self._next_at:
            return False
        self.pending = (seq, self.take())
        return True

    def take(self) -> Snapshots:
        """Every function's snapshot now, encoded (and the next one's due time set by its cost)."""
        started = self._clock()
        rows = [(pid, index, orjson.dumps(snapshot)) for pid, index, snapshot in self._states()]
        self._next_at = started + SPACING * (self._clock() - started)
        return rows

    def changed(self, rows: Snapshots) -> Snapshots:
        """The snapshots of ``rows`` that differ from what was last saved."""
        return [row for row in rows if self._saved.get(row[:2]) != row[2]]

    def saved(self, rows: Snapshots) -> None:
        """``rows`` were committed."""
        self._saved.update(((pid, index), data) for pid, index, data in rows)
