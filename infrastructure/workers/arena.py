"""Shared memory for the NDJSON a worker makes: its plans' bytes travel without a pipe.

A span's plan is mostly NDJSON (~3 MiB for a 4 MiB span). Pickled through the result pipe it was
copied four times (into the pickle, into the pipe, out of it into a fresh buffer, out of that into
``bytes``) and cost the worker ~10 % of its time. Each worker has an ``Arena``: an anonymous
shared mapping made before the fork, cut into slots. The parent lends a slot with each task and
takes it back with the answer; the worker copies the plan's NDJSON into the slot (``stow``) and
sends the rest of the plan through the pipe, and the parent copies the bytes out (``unstow``)
before the slot is lent again. A plan that does not fit, or a task sent while every slot is
lent, travels whole through the pipe as before.
"""

from __future__ import annotations

import dataclasses
import mmap
from typing import final

from pipeflow.infrastructure.actors.plan import BatchPlan

__all__ = ["SLOT_BYTES", "Arena"]

SLOT_BYTES = 8 << 20
"""Room for one span's NDJSON (a 4 MiB span of W1 makes ~3 MiB; a bigger plan uses the pipe)."""


@final
class Arena:
    """``slots`` slots of ``slot_bytes`` in memory shared with the worker forked after it is made.

    Only pages that are written take memory: a slot costs what its largest plan filled.
    """

    __slots__ = ("_free", "_map", "slot_bytes")

    def __init__(self, slots: int, slot_bytes: int = SLOT_BYTES) -> None:
        self.slot_bytes = slot_bytes
        self._map = mmap.mmap(-1, slots * slot_bytes)  # anonymous, shared with forked children
        self._free = list(range(slots - 1, -1, -1))

    def lend(self) -> int:
        """A free slot for a task (the parent's side), or -1 when all are lent."""
        return self._free.pop() if self._free else -1

    def give_back(self, slot: int) -> None:
        """The slot is free again (its answer was read, or will never be)."""
        if slot >= 0:
            self._free.append(slot)

    def stow(self, slot: int, plan: BatchPlan) -> list[int] | None:
        """Move the plan's NDJSON into ``slot`` (the worker's side); the lengths, in part order.

        ``None`` (and the plan untouched) when there is no slot or the bytes do not fit.
        """
        blobs = [p.encoded.data for p in plan.parts if p.encoded is not None]
        if slot < 0 or sum(map(len, blobs)) > self.slot_bytes:
            return None
        at = slot * self.slot_bytes
        for blob in blobs:
            self._map[at : at + len(blob)] = blob
            at += len(blob)
        plan.parts = [
            dataclasses.replace(p, encoded=dataclasses.replace(p.encoded, data=b"")) if p.encoded else p
            for p in plan.parts
        ]
        return [len(b) for b in blobs]

    def unstow(self, slot: int, plan: BatchPlan, lengths: list[int]) -> None:
        """Put the bytes ``stow`` moved into ``slot`` back into the plan (the parent's side)."""
        at, sizes = slot * self.slot_bytes, iter(lengths)
        parts = []
        for part in plan.parts:
            if part.encoded is not None:
                n = next(sizes)
                part = dataclasses.replace(
                    part, encoded=dataclasses.replace(part.encoded, data=self._map[at : at + n])
                )
                at += n
            parts.append(part)
        plan.parts = parts

    def close(self) -> None:
        """Unmap the memory."""
        self._map.close()
