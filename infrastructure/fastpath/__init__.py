"""The fast path: a routing snapshot compiled into one batch function over raw lines.

Same semantics as the reference engine (``domain/router.py`` + ``domain/engine.py``), proven by
``tests/property/test_fastpath_equals_reference.py``; speed comes from compiling, not from
dropping any rule. See ``docs/performance.md``.
"""

from __future__ import annotations

from pipeflow.infrastructure.fastpath.compiler import CompiledSnapshot, compile_snapshot
from pipeflow.infrastructure.fastpath.kernels import Fusable
from pipeflow.infrastructure.fastpath.outcome import Failure, FastOutcome, as_events, run_fields, run_lines

__all__ = [
    "CompiledSnapshot",
    "Failure",
    "FastOutcome",
    "Fusable",
    "as_events",
    "compile_snapshot",
    "run_fields",
    "run_lines",
]
