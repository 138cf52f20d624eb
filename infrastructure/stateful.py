"""Stateful functions (``window``) in compiled pipelines: finding them, restoring and saving their state."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Protocol

from pipeflow.domain.engine import CompiledPipeline
from pipeflow.domain.filter.guard import Guarded
from pipeflow.domain.json import Json
from pipeflow.domain.pipeline import PipelineId
from pipeflow.domain.ports import Stateful


class SnapshotStore(Protocol):
    """Where snapshots live, keyed by (pipeline id, function index)."""

    async def load(self, pipeline_id: str, index: int) -> Json | None:
        """The saved snapshot, if any."""
        ...

    async def save(self, pipeline_id: str, index: int, snapshot: Json) -> None:
        """Store a snapshot, replacing the previous one."""
        ...


def stateful_functions(compiled: Mapping[PipelineId, CompiledPipeline]) -> list[tuple[str, int, Stateful]]:
    """Every stateful function, with its pipeline id and index (looking through function filters)."""
    found: list[tuple[str, int, Stateful]] = []
    for pid, pipeline in compiled.items():
        for step in pipeline.steps:
            fn = step.fn.fn if isinstance(step.fn, Guarded) else step.fn
            if isinstance(fn, Stateful):
                found.append((str(pid), step.index, fn))
    return found


async def restore_state(compiled: Mapping[PipelineId, CompiledPipeline], store: SnapshotStore) -> None:
    """Load each stateful function's saved snapshot (a snapshot of another shape: start empty)."""
    for pid, index, fn in stateful_functions(compiled):
        snapshot = await store.load(pid, index)
        if snapshot is not None:
            with contextlib.suppress(ValueError):
                fn.restore(snapshot)


def snapshots(stateful: list[tuple[str, int, Stateful]]) -> list[tuple[str, int, Json]]:
    """Each stateful function's snapshot now, with its pipeline id and index."""
    return [(pid, index, fn.snapshot()) for pid, index, fn in stateful]


async def save_state(compiled: Mapping[PipelineId, CompiledPipeline], store: SnapshotStore) -> None:
    """Save each stateful function's snapshot."""
    for pid, index, snapshot in snapshots(stateful_functions(compiled)):
        await store.save(pid, index, snapshot)


__all__ = ["SnapshotStore", "restore_state", "save_state", "snapshots", "stateful_functions"]
