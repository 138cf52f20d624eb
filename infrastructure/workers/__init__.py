"""Worker processes: raw byte spans of input files routed by the fast path in parallel.

The parent cuts files into spans at line ends (``FileSource`` with ``span_bytes``), hands each
span to a process of the pool (``WorkerPool``), and dispatches the plans in input order, so sink
order, acks and checkpoints stay what they are in one process. Workers are forked: they inherit
the compiled config, so plugins need not be picklable and nothing is imported again.

The names load on first use (PEP 562): a run in one process never imports the pool.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

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

    def __getattr__(name: str) -> object:
        """Import a name from its module on first use, then keep it here."""
        home = _HOME_OF.get(name)
        if home is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value: object = getattr(importlib.import_module(home), name)
        globals()[name] = value
        return value
