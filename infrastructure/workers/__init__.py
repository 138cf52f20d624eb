"""Worker processes: raw byte spans of input files routed by the fast path in parallel.

The parent cuts files into spans at line ends (``FileSource`` with ``span_bytes``), hands each
span to a process of the pool (``WorkerPool``), and dispatches the plans in input order, so sink
order, acks and checkpoints stay what they are in one process. Workers are forked: they inherit
the compiled config, so plugins need not be picklable and nothing is imported again.
"""

from __future__ import annotations

from pipeflow.infrastructure.workers.memory import keep_freed_memory
from pipeflow.infrastructure.workers.pool import (
    PendingSpan,
    WorkerError,
    WorkerPool,
    fork_available,
    make_pool_planner,
)

__all__ = [
    "PendingSpan",
    "WorkerError",
    "WorkerPool",
    "fork_available",
    "keep_freed_memory",
    "make_pool_planner",
]
