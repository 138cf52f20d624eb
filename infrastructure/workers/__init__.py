"""Worker processes: raw byte spans of input files routed by the fast path in parallel.

The parent cuts files into spans at line ends (``FileSource`` with ``span_bytes``), hands each
span to a process of the pool (``WorkerPool``), and dispatches the plans in input order, so sink
order, acks and checkpoints stay what they are in one process. Workers are forked: they inherit
the compiled config, so plugins need not be picklable and nothing is imported again.

The names load on first use (PEP 562): a run in one process never imports the pool.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pipeflow.infrastructure.lazy_names import lazy_getattr

if TYPE_CHECKING:  # what mypy sees; at run time ``__getattr__`` imports the same names
    from pipeflow.infrastructure.workers.memory import keep_freed_memory
    from pipeflow.infrastructure.workers.pool import (
        PendingSpan,
        WorkerError,
        WorkerPool,
        fork_available,
        make_pool_planner,
    )

_HOME_OF = {
    "keep_freed_memory": "pipeflow.infrastructure.workers.memory",
    "PendingSpan": "pipeflow.infrastructure.workers.pool",
    "WorkerError": "pipeflow.infrastructure.workers.pool",
    "WorkerPool": "pipeflow.infrastructure.workers.pool",
    "fork_available": "pipeflow.infrastructure.workers.pool",
    "make_pool_planner": "pipeflow.infrastructure.workers.pool",
}

__all__ = [
    "PendingSpan",
    "WorkerError",
    "WorkerPool",
    "fork_available",
    "keep_freed_memory",
    "make_pool_planner",
]

if not TYPE_CHECKING:
    __getattr__ = lazy_getattr(__name__, _HOME_OF)
