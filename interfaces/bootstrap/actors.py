"""The actors of a run or of ``serve``: the dead-letter actor and one sink actor per configured sink.

Each sink gets its retry policy (for ever behind a disk buffer), its gather policy (``s3``), its
disk buffer when the config asks for one, and the wrappers ``serve`` meters it with.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, BinaryIO

from pipeflow.domain.ports import Clock, EventSink
from pipeflow.domain.sink_recovery import SinkCommit
from pipeflow.infrastructure.actors.dead_letter_actor import DeadLetterActor, DeadLetterStore
from pipeflow.infrastructure.actors.retry import RetryPolicy
from pipeflow.infrastructure.actors.sink_actor import SinkActor
from pipeflow.infrastructure.actors.stats import RunStats
from pipeflow.infrastructure.sinks.dead_letter_sink import SinkDeadLetterStore
from pipeflow.interfaces.bootstrap.sink_adapters import build_sink, sink_gather
from pipeflow.interfaces.config.models import BufferConfig, Config, RetryConfig

if TYPE_CHECKING:  # imported by a config with a disk buffer only (start-up time)
    from pipeflow.infrastructure.actors.disk_buffer import DiskBuffer

__all__ = ["build_actors", "disk_buffer", "retry_policy"]


def retry_policy(config: RetryConfig, *, forever: bool = False) -> RetryPolicy:
    """The actor-side retry policy for a sink's ``retry`` block (``forever``: behind a disk buffer)."""
    attempts = sys.maxsize if forever else config.attempts
    return RetryPolicy(attempts, config.backoff_ms / 1000, config.max_backoff_ms / 1000)


def disk_buffer(state_dir: str, sink: str, config: BufferConfig) -> DiskBuffer | None:
    """The disk buffer of ``sink`` under ``state_dir/buffers/`` (``None`` for a memory buffer).

    :raises OSError: the buffer's folder cannot be made or read.
    """
    if config.type != "disk":
        return None
    from pipeflow.infrastructure.actors.disk_buffer import DiskBuffer
    from pipeflow.infrastructure.actors.disk_queue import DiskQueue

    segment = min(64 << 20, max(config.max_bytes // 8, 1 << 16))
    queue = DiskQueue(os.path.join(state_dir, "buffers", sink), segment_bytes=segment)
    return DiskBuffer(
        queue, max_bytes=config.max_bytes, block=config.when_full == "block", group_bytes=8 << 20
    )


def build_actors(
    config: Config,
    dead_table: DeadLetterStore,
    stats: RunStats,
    *,
    clock: Clock,
    stdout: BinaryIO | None,
    wrap_sink: Callable[[EventSink], EventSink] = lambda sink: sink,
    wrap_dead_letters: Callable[[DeadLetterStore], DeadLetterStore] = lambda store: store,
    exact: Mapping[str, SinkCommit | None] | None = None,
) -> tuple[DeadLetterActor, dict[str, SinkActor]]:
    """The dead-letter actor and one sink actor per configured sink, each writing through its ``wrap_``.

    ``serve`` wraps them in metering decorators; taking the wrappers as arguments keeps
    ``prometheus_client`` out of ``run``'s start-up. The file sinks named in ``exact`` are built
    exactly-once, from their committed length (``run`` with resumable sources only).
    """
    exact = exact or {}
    dead_store: DeadLetterStore = dead_table
    if config.dead_letter is not None:
        dead_store = SinkDeadLetterStore(
            build_sink("dead_letter", config.dead_letter, clock=clock, stdout=stdout)
        )
    dead_letters = DeadLetterActor(wrap_dead_letters(dead_store), stats, RetryPolicy())
    sinks = {
        name: SinkActor(
            name,
            wrap_sink(
                build_sink(
                    name, sc, clock=clock, stdout=stdout, exact=name in exact, committed=exact.get(name)
                )
            ),
            max_events=sc.buffer.max_events,
            when_full=sc.buffer.when_full,
            retry=retry_policy(sc.retry, forever=sc.buffer.type == "disk"),
            dead_letters=dead_letters,
            stats=stats,
            clock=clock.now,
            gather=sink_gather(sc),
            buffer=disk_buffer(config.state_dir, name, sc.buffer),
        )
        for name, sc in config.sinks.items()
    }
    return dead_letters, sinks
