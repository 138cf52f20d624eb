"""Exactly-once file sinks and periodic checkpoints under ``run``: which sinks are exact, opening them
(which cuts them back to their commit), committing checkpoints with the sinks' lengths, and saving
checkpoints while sinks behind disk buffers drain after the sources ended.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from collections.abc import Iterable
from contextlib import suppress

import anyio

from pipeflow.domain.ports import EventSource
from pipeflow.domain.sink_recovery import SinkCommit
from pipeflow.infrastructure.actors.committer import COMMIT_EVERY_S, Committer
from pipeflow.infrastructure.actors.sink_actor import SinkActor
from pipeflow.infrastructure.sinks.errors import SinkError
from pipeflow.interfaces.bootstrap.state import StateStores, forget_sink_commits, save_checkpoints
from pipeflow.interfaces.config import models as m
from pipeflow.interfaces.config.models import Config

__all__ = [
    "RESUMABLE_SOURCES",
    "commit_periodically",
    "exact_sinks",
    "exactly_once",
    "open_sinks",
    "save_periodically",
]

_log = logging.getLogger("pipeflow.run")

RESUMABLE_SOURCES = frozenset({"file", "kafka"})
"""The source types that read again from a position committed with the file sinks' lengths."""


def exactly_once(config: Config) -> bool:
    """Whether ``run`` makes the config's file sinks exactly-once: every source can read its input
    again from a committed position (file sources; Kafka sources, from their partitions' offsets),
    so a file cut back to its commit loses nothing."""
    return all(sc.type in RESUMABLE_SOURCES for sc in config.sources.values())  # (models not imported)


async def exact_sinks(config: Config, state: StateStores) -> dict[str, SinkCommit | None]:
    """The file sinks to run exactly-once, with their commits; none (and their commits dropped,
    since this run writes them without committing) when the sources cannot all read again."""
    if not exactly_once(config):
        await forget_sink_commits(state, config.sinks)
        return {}
    return {
        name: await state.sink_commits.load(os.path.abspath(sc.path))  # noqa: ASYNC240 - no I/O
        for name, sc in config.sinks.items()
        if isinstance(sc, m.FileSink) and sc.buffer.type == "memory"  # a disk buffer acks before the write
    }


async def open_sinks(actors: Iterable[SinkActor]) -> None:
    """Open (and so cut back) the exactly-once file sinks; one that fails is opened at its first write."""
    for actor in actors:
        with suppress(SinkError):  # tried again at its first write, then its events are dead-lettered
            await actor.open()


async def commit_periodically(committer: Committer, sources: Iterable[EventSource]) -> None:
    """Run ``committer`` every ``COMMIT_EVERY_S``; a failed commit is logged and tried again."""
    listed = list(sources)
    while True:
        try:
            await committer.run(listed)
        except sqlite3.Error as exc:
            _log.warning("checkpoints could not be committed (tried again): %s", exc)


async def save_periodically(sources: Iterable[EventSource]) -> None:
    """Save the sources' acknowledged checkpoints every ``COMMIT_EVERY_S`` (disk buffers: a source
    may end long before its last acks, which a sink that is down holds back no more; without this
    they would be saved only at the end of the run, and a crash meanwhile would read it all again).
    A failed save is logged and tried again."""
    listed = list(sources)
    while True:
        await anyio.sleep(COMMIT_EVERY_S)
        try:
            await save_checkpoints(listed)
        except sqlite3.Error as exc:
            _log.warning("checkpoints could not be saved (tried again): %s", exc)
