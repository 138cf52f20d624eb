"""The worker side: the compiled routing, set once per process, and routing one span with it.

A span is read with the same line splitter as the file source (into one ``LineBlock`` when no line
is over-long), so over-long lines, a last line without newline and blank lines come out exactly
as they would in one process, and each line's
id is the one the file source would give it (``infrastructure.ids.LineKey``: from the file and
the line's offset, so it does not matter which process reads the line, nor how often).
"""

from __future__ import annotations

import gc
import os
import pickle
import signal
import traceback
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import final

from pipeflow.domain.events import EventMeta
from pipeflow.domain.filter.batch_time import batch_time
from pipeflow.domain.line_block import LineBlock
from pipeflow.domain.ports import Clock, IdFactory, Rejected
from pipeflow.domain.router import Router
from pipeflow.infrastructure.actors.plan import BatchPlan
from pipeflow.infrastructure.fastpath.compiler import CompiledSnapshot, compile_snapshot
from pipeflow.infrastructure.fastpath.outcome import run_fields, run_lines
from pipeflow.infrastructure.fastpath.planner import plan_outcome
from pipeflow.infrastructure.ids import LineIds, LineKey, UlidFactory, identify_rejects, read_line_key
from pipeflow.infrastructure.sources.decode import decode_identified
from pipeflow.infrastructure.sources.lines import LineSplitter
from pipeflow.infrastructure.workers.arena import Arena
from pipeflow.infrastructure.workers.frames import FrameClosed, read_frame, write_frame
from pipeflow.infrastructure.workers.memory import keep_freed_memory

_SPANS_PER_COLLECTION = 16

PARENTS_SIGNALS = frozenset({signal.SIGINT, signal.SIGTERM})
"""Signals a worker ignores: sent to the whole process group (Ctrl-C), they are the parent's."""


@final
@dataclass(frozen=True, slots=True)
class WorkerState:
    """What a worker holds for its whole life."""

    snapshot: CompiledSnapshot
    encode: frozenset[str]
    max_line_bytes: Mapping[str, int]  # per source
    clock: Clock
    ids: IdFactory


_STATE: list[WorkerState] = []
_SPANS = [0]  # spans routed by this process


def init_worker(
    router: Router, encode: Collection[str], max_line_bytes: Mapping[str, int], clock: Clock
) -> None:
    """Compile the routing once in this process (the pool's initializer; arguments are inherited).

    Ids come from a new factory: a forked copy of the parent's would repeat its ids.
    """
    keep_freed_memory()
    gc.disable()  # events are freed by reference counting; cycles are collected every few spans
    state = WorkerState(
        compile_snapshot(router, encode), frozenset(encode), dict(max_line_bytes), clock, UlidFactory()
    )
    _STATE[:] = [state]


def route_span(source: str, path: str, start: int, end: int, key: LineKey | None = None) -> BatchPlan:
    """Read bytes ``[start, end)`` of ``path`` (whole lines) and plan them as one batch.

    ``key`` (the file source's) makes the lines' ids; without one it is read here, epoch 0.
    """
    state = _STATE[0]
    _SPANS[0] += 1
    if _SPANS[0] % _SPANS_PER_COLLECTION == 0:
        gc.collect()
    splitter = LineSplitter(start, state.max_line_bytes[source])
    with open(path, "rb") as handle:
        key = key or read_line_key(0, source, handle.fileno())
        handle.seek(start)
        left = end - start
        while left > 0:
            chunk = handle.read(left)  # the whole span: one block, no copy (it ends at a line end)
            if not chunk:
                break
            left -= len(chunk)
            splitter.feed(chunk)
    splitter.finish()
    at = state.clock.now()  # once per span: its dead letters' time and its expressions' ``now()``
    with batch_time(at):
        return _plan_span(state, source, splitter, key, at)


def _plan_span(state: WorkerState, source: str, splitter: LineSplitter, key: LineKey, at: float) -> BatchPlan:
    meta = EventMeta(source, at)
    taken = splitter.take_block(splitter.ready) if splitter.block_ready else None
    limit = state.max_line_bytes[source]
    raw: list[bytes] | LineBlock
    if taken is not None:  # the usual case: all whole lines in one block (none over-long)
        raw, first, _ = taken
        rejected: list[Rejected] = []
        line_ids = LineIds(key, first, raw)
    else:
        raw, rejected, _, starts = splitter.take_with_starts(splitter.ready, key.id_at)
        line_ids = LineIds(key, starts, raw)
    if isinstance(raw, list) and raw and max(map(len, raw)) > limit:  # rare: decode, as the source does
        events, bad = decode_identified(raw, line_ids, "ndjson", source, state.clock, limit)
        fields = [e.fields for e in events]
        outcome = run_fields(state.snapshot, fields, meta, state.ids, lambda k: events[k].id)
        plan = plan_outcome(outcome, source, at, meta, state.ids, state.encode)
        plan.events_in, plan.rejected = len(events), [*rejected, *bad]
        return plan
    outcome = run_lines(state.snapshot, raw, meta, state.ids, line_ids)
    plan = plan_outcome(outcome, source, at, meta, state.ids, state.encode)
    found = identify_rejects(outcome.rejected, raw, line_ids)  # a line's id: the same in every run
    plan.events_in, plan.rejected = outcome.events_in, [*rejected, *found]
    return plan


def serve(
    tasks: int,
    results: int,
    foreign: Iterable[int],
    arena: Arena,
    router: Router,
    encode: Collection[str],
    max_line_bytes: Mapping[str, int],
    clock: Clock,
) -> None:
    """A worker process's life: route each span read from ``tasks``, write its reply to ``results``.

    A task is a pickled ``(slot, source, path, start, end, key)``; a reply is ``(True, plan,
    lengths)`` (the plan's NDJSON is in ``arena``'s ``slot`` unless ``lengths`` is ``None``) or
    ``(False, error text, None)``. The worker ends when the parent closes either pipe (``close``, or the
    parent died). It closes the ``foreign`` descriptors it inherited (the parent's ends of every
    pipe): a worker holding another's task pipe open would keep that one from seeing its end.
    Signals sent to the whole process group (Ctrl-C) are the parent's to act on: it drains the
    spans in flight, then closes the pipes.
    """
    for fd in foreign:
        os.close(fd)
    for signum in PARENTS_SIGNALS:  # blocked by the parent across the fork: no window to die in
        signal.signal(signum, signal.SIG_IGN)
    signal.set_wakeup_fd(-1)  # the inherited wakeup fd is the parent's event loop's
    signal.pthread_sigmask(signal.SIG_UNBLOCK, PARENTS_SIGNALS)
    init_worker(router, encode, max_line_bytes, clock)
    try:
        while (frame := read_frame(tasks)) is not None:
            slot, source, path, start, end, key = pickle.loads(frame)
            try:
                plan = route_span(source, path, start, end, key)
                reply: tuple[bool, object, list[int] | None] = (True, plan, arena.stow(slot, plan))
            except Exception as exc:  # noqa: BLE001 - the parent raises it where the plan is awaited
                reply = (False, "".join(traceback.format_exception(exc)).rstrip(), None)
            write_frame(results, pickle.dumps(reply, protocol=pickle.HIGHEST_PROTOCOL))
    except (BrokenPipeError, FrameClosed):  # the parent closed the pipes or died: nothing to say to
        return


__all__ = ["PARENTS_SIGNALS", "WorkerState", "init_worker", "route_span", "serve"]
