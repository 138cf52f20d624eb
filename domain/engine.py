"""The reference pipeline engine: a pipeline run as an iterative fold of functions over events.

This is the semantics every faster path must equal. A function that raises becomes a
failure value naming its index; it never stops the batch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import final

from pipeflow.domain.events import Event
from pipeflow.domain.pipeline import PipelineId
from pipeflow.domain.ports import PipelineFn
from pipeflow.domain.results import Drop, FunctionFailed, Pass, Split


@final
@dataclass(frozen=True, slots=True)
class Step:
    """A compiled function in its place: the index in the pipeline's list, its type, the callable."""

    index: int
    type: str
    fn: PipelineFn


@final
@dataclass(frozen=True, slots=True)
class Dropped:
    """An event a function dropped on purpose (counted, not dead-lettered)."""

    event: Event
    stage: int
    reason: str


@final
@dataclass(frozen=True, slots=True)
class Failed:
    """An event a function failed on: goes to the dead-letter queue as it was before that function."""

    event: Event
    stage: int
    reason: str


@final
@dataclass(slots=True)
class BatchResult:
    """What a pipeline made of a batch: the events passed on, the drops and the failures."""

    outputs: list[Event] = field(default_factory=list)
    dropped: list[Dropped] = field(default_factory=list)
    failed: list[Failed] = field(default_factory=list)
    # Per step that passed or split anything: (function index, events passed, events split).
    # Counts for metrics, not part of what the batch *is*, so left out of equality.
    steps: list[tuple[int, int, int]] = field(default_factory=list, compare=False)


@final
@dataclass(frozen=True, slots=True)
class CompiledPipeline:
    """A pipeline ready to run: its id, version and compiled steps (disabled ones left out)."""

    id: PipelineId
    version: int
    steps: tuple[Step, ...]

    def process_event(self, event: Event) -> BatchResult:
        """Run one event through every step."""
        return self.process_batch((event,))

    def process_batch(self, events: Iterable[Event]) -> BatchResult:
        """Run a batch through every step, breadth first, so split pieces keep their order."""
        result = BatchResult()
        current = list(events)
        for step in self.steps:
            nxt: list[Event] = []
            passed = split = 0
            for ev in current:
                try:
                    out = step.fn(ev)
                except Exception as exc:  # noqa: BLE001 - any bug in a function becomes a value
                    result.failed.append(Failed(ev, step.index, failure_reason(step.type, exc)))
                    continue
                match out:
                    case Pass(e):
                        nxt.append(e)
                        passed += 1
                    case Split(es):
                        nxt.extend(es)
                        split += 1
                    case Drop(reason):
                        result.dropped.append(Dropped(ev, step.index, reason))
                    case _:
                        result.failed.append(
                            Failed(
                                ev, step.index, f"{step.type}: returned {type(out).__name__}, not FnResult"
                            )
                        )
            if passed or split:
                result.steps.append((step.index, passed, split))
            current = nxt
        result.outputs = current
        return result


def describe_exception(exc: Exception) -> str:
    """How a failure reads in dead letters and traces: ``Type: message``.

    >>> describe_exception(ValueError("bad value"))
    'ValueError: bad value'
    """
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def failure_reason(step_type: str, exc: Exception) -> str:
    """Why a function failed, as dead letters and traces say it: ``type: Exception: message``, or
    for a ``FunctionFailed`` the function's own words, prefixed by its type once.

    >>> failure_reason("eval", ZeroDivisionError("division by zero"))
    'eval: ZeroDivisionError: division by zero'
    >>> failure_reason("grok", FunctionFailed("grok: no pattern matched"))
    'grok: no pattern matched'
    >>> failure_reason("mine", FunctionFailed("too short"))
    'mine: too short'
    """
    if isinstance(exc, FunctionFailed) and str(exc):
        text = str(exc)
        return text if text.startswith(f"{step_type}:") else f"{step_type}: {text}"
    return f"{step_type}: {describe_exception(exc)}"


__all__ = [
    "BatchResult",
    "CompiledPipeline",
    "Dropped",
    "Failed",
    "Step",
    "describe_exception",
    "failure_reason",
]
