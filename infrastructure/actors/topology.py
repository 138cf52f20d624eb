"""The topology: sources → router → per-sink actors (→ dead-letter actor), under one task group.

Shutdown is structured: when every source has ended (input exhausted, or ``stop()`` after
SIGINT/SIGTERM), the router's inbox closes, the router drains and closes each sink's inbox,
the sinks drain and close, and the dead-letter actor closes last. Nothing already read is lost.
"""

from __future__ import annotations

import logging
import signal
from collections import deque
from collections.abc import Callable, Mapping
from functools import partial
from typing import Protocol, final

import anyio
from anyio.abc import TaskGroup
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from pipeflow.domain.dead_letters import DeadLetter
from pipeflow.domain.ports import EventSource, IdFactory, SourceBatch
from pipeflow.infrastructure.actors.acks import AckGroup
from pipeflow.infrastructure.actors.dead_letter_actor import DeadLetterActor
from pipeflow.infrastructure.actors.messages import Delivery
from pipeflow.infrastructure.actors.plan import BatchPlan
from pipeflow.infrastructure.actors.sink_actor import SinkActor
from pipeflow.infrastructure.actors.stats import RunStats
from pipeflow.infrastructure.ids import identify_rejects

_log = logging.getLogger("pipeflow.topology")


class PendingPlan(Protocol):
    """A batch being planned elsewhere (a worker process): awaited in input order."""

    async def wait(self) -> BatchPlan:
        """The plan, once it is made."""
        ...

    def cancel(self) -> None:
        """The run is ending without it: give up (its batch is not acknowledged)."""
        ...


class Sequencer(Protocol):
    """Numbers batches in dispatch order and decides when their acks reach the sources (exactly-once
    file sinks: ``infrastructure.actors.committer``)."""

    def issue(self, ack: Callable[[], None] | None) -> int:
        """Number the next dispatched batch; ``ack`` is its source's."""
        ...

    def done(self, seq: int) -> None:
        """Every part of batch ``seq`` is done."""
        ...

    def recorder(self, seq: int, sink: str) -> Callable[[int], None] | None:
        """What hears ``sink``'s file length once batch ``seq``'s part is written (``None``: nothing)."""
        ...


Planner = Callable[[SourceBatch], BatchPlan]
"""Routes one source batch: reads the current routing snapshot once, so a batch sees one version."""

AheadPlanner = Callable[[SourceBatch], "BatchPlan | PendingPlan"]
"""A planner that may hand the work off and return a ``PendingPlan``: the router keeps up to
``plan_ahead`` of them in flight and dispatches every plan in the order the batches came in."""


@final
class Topology:
    """Runs sources, the router, sink actors and the dead-letter actor until the input ends."""

    def __init__(
        self,
        sources: Mapping[str, EventSource],
        sinks: Mapping[str, SinkActor],
        dead_letters: DeadLetterActor,
        planner: Planner | AheadPlanner,
        stats: RunStats,
        clock: Callable[[], float],
        ids: IdFactory,
        *,
        router_buffer: int = 8,
        plan_ahead: int = 0,
        sequencer: Sequencer | None = None,
    ) -> None:
        self.sources = sources
        self.sinks = sinks
        self.dead_letters = dead_letters
        self.planner = planner
        self.stats = stats
        self.clock = clock
        self.ids = ids
        self.router_buffer = router_buffer
        self.plan_ahead = plan_ahead
        self.sequencer = sequencer
        self.stopping = False
        self.source_failures: list[tuple[str, str]] = []
        self.plan_failure: str | None = None  # why a batch planned elsewhere failed (the run stopped)

    def stop(self) -> None:
        """Stop reading: every source finishes its batch and ends; the rest drains."""
        self.stopping = True
        for source in self.sources.values():
            source.stop()

    async def run(self, *, handle_signals: bool = False) -> RunStats:
        """Run to completion and return the statistics."""
        self.stats.started_at = self.clock()
        async with anyio.create_task_group() as outer:
            if handle_signals:
                outer.start_soon(self._watch_signals, outer)
            async with anyio.create_task_group() as dead_letter_group:
                dead_letter_group.start_soon(self.dead_letters.run)
                try:
                    await self._run_sinks_and_sources()
                finally:
                    # Every sink has drained (or the run was cancelled): nothing else can
                    # dead-letter, so close the inbox; the actor stores what is queued, then ends.
                    self.dead_letters.inbox.close()
            if handle_signals:
                outer.cancel_scope.cancel()  # the signal watcher never ends by itself
        self.stats.finished_at = self.clock()
        return self.stats

    async def _run_sinks_and_sources(self) -> None:
        async with anyio.create_task_group() as sink_group:
            for actor in self.sinks.values():
                sink_group.start_soon(actor.run)
            send, receive = anyio.create_memory_object_stream[SourceBatch](self.router_buffer)
            sink_group.start_soon(self._route_loop, receive)
            async with send, anyio.create_task_group() as source_group:
                for source in self.sources.values():
                    source_group.start_soon(self._pump, source, send.clone())

    async def _pump(self, source: EventSource, out: MemoryObjectSendStream[SourceBatch]) -> None:
        batches = source.batches()
        try:
            async with out:
                async for batch in batches:
                    await out.send(batch)
        except Exception as exc:  # noqa: BLE001 - a failed source ends the run cleanly, with its reason
            self.source_failures.append((source.name, describe_error(exc)))
            _log.error("source %s failed: %s", source.name, describe_error(exc))
            self.stop()
        finally:
            # A source's generator may hold a task group: close it in this task, not later in another.
            aclose = getattr(batches, "aclose", None)
            if aclose is not None:
                await aclose()

    async def _route_loop(self, inbox: MemoryObjectReceiveStream[SourceBatch]) -> None:
        ahead: deque[tuple[SourceBatch, PendingPlan]] = deque()
        try:
            async with inbox:
                async for batch in inbox:
                    if self.plan_failure is not None:
                        continue  # nothing after a failed plan is dispatched: it is read again next run
                    # No await between planning and ``issue`` in ``_dispatch``: functions' state then
                    # always covers exactly the batches issued (what the sequencer commits with it).
                    planned = self.planner(batch)
                    if isinstance(planned, BatchPlan):
                        await self._dispatch_ahead(ahead, keep=0)  # plans are dispatched in input order
                        if self.plan_failure is None:
                            await self._dispatch(batch, planned)
                        continue
                    ahead.append((batch, planned))
                    await self._dispatch_ahead(ahead, keep=self.plan_ahead)
                await self._dispatch_ahead(ahead, keep=0)
        finally:
            for _, pending in ahead:
                pending.cancel()
            for actor in self.sinks.values():
                await actor.inbox.aclose()

    async def _dispatch_ahead(self, ahead: deque[tuple[SourceBatch, PendingPlan]], keep: int) -> None:
        """Dispatch the plans made elsewhere, in input order, until ``keep`` are left in flight.

        A plan that could not be made (its worker failed or died) ends the run like a stop: what
        was dispatched before it is delivered and acknowledged; it and every later batch are not
        (they are read again next run), and ``plan_failure`` says why.
        """
        while len(ahead) > keep and self.plan_failure is None:
            batch, pending = ahead[0]
            try:
                plan = await pending.wait()
            except Exception as exc:  # noqa: BLE001 - reported as the run's failure, not raised
                self.plan_failure = describe_error(exc)
                _log.error("batch of source %s could not be planned: %s", batch.source, self.plan_failure)
                self.stop()
                return
            ahead.popleft()
            await self._dispatch(batch, plan)

    async def _dispatch(self, batch: SourceBatch, plan: BatchPlan) -> None:
        events_in = len(batch.events) if plan.events_in is None else plan.events_in
        self.stats.events_in += events_in
        sequencer = self.sequencer
        seq = -1
        if sequencer is None:
            group = AckGroup(batch.ack, batch.failed)
        else:
            seq = sequencer.issue(batch.ack)
            group = AckGroup(partial(sequencer.done, seq), batch.failed)
        self.stats.dropped += plan.dropped
        self.stats.unmatched += plan.unmatched
        dead = list(plan.dead)
        rejected = batch.rejected
        if plan.rejected:
            found = plan.rejected
            if batch.line_ids is not None and batch.lines is not None:  # a file's lines: their own ids
                found = identify_rejects(found, batch.lines, batch.line_ids)
            rejected = [*batch.rejected, *found]
        if batch.planned is not None:
            batch.planned(events_in, len(rejected))
        if rejected:
            at = self.clock()
            dead.extend(
                DeadLetter(
                    id=self.ids.new_id() if r.id is None else r.id,
                    at=at,
                    source=batch.source,
                    reason=r.reason,
                    stage="decode",
                    raw=r.raw.decode("utf-8", "backslashreplace"),
                )
                for r in rejected
            )
        if dead:
            letters = group.part()
            await self.dead_letters.put(dead, letters, letters.fail)
        for part in plan.parts:
            actor = self.sinks[part.sink]
            wrote = None if sequencer is None else sequencer.recorder(seq, part.sink)
            settled = group.part()
            delivery = Delivery(
                part.events,
                batch.source,
                part.route,
                part.pipeline,
                settled,
                part.encoded,
                wrote,
                settled.fail,
            )
            await actor.offer(delivery)
        group.seal()

    async def _watch_signals(self, group: TaskGroup) -> None:
        with anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
            async for signum in signals:
                if self.stopping:
                    _log.warning("second signal: stopping now")
                    group.cancel_scope.cancel()
                    return
                _log.info("received %s: stopping sources, draining", signal.Signals(signum).name)
                self.stop()


def describe_error(exc: BaseException) -> str:
    """One line for an error, looking inside exception groups of one member."""
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


__all__ = ["AheadPlanner", "PendingPlan", "Planner", "Sequencer", "Topology", "describe_error"]
