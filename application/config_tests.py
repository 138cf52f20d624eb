"""Config tests (``tests:`` in a config): run input events through the router, compare per sink."""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import final

from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.json import JsonObject
from pipeflow.domain.router import Router


@final
@dataclass(frozen=True, slots=True)
class ConfigTest:
    """One case: a name, the input events, and the events each named sink must receive."""

    name: str
    inputs: tuple[JsonObject, ...]
    expect: Mapping[str, Sequence[JsonObject]]


@final
@dataclass(frozen=True, slots=True)
class CaseResult:
    """The outcome of one case: passed, or a readable diff per sink that differed."""

    name: str
    diffs: tuple[tuple[str, str], ...]
    dead_lettered: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """True when every expected sink received exactly the expected events."""
        return not self.diffs


def run_config_test(router: Router, case: ConfigTest) -> CaseResult:
    """Route the case's inputs (ids ``test-0``, ``test-1``, ...) and compare what each sink got.

    Only the sinks named in ``expect`` are checked; ``[]`` asserts that nothing reaches one.
    """
    meta = EventMeta("test", 0.0)
    events = [Event(EventId(f"test-{i}"), meta, fields) for i, fields in enumerate(case.inputs)]
    routed = router.route_batch(events)
    got: dict[str, list[JsonObject]] = {s: [e.fields for e in evs] for s, evs in routed.by_sink().items()}
    diffs = tuple(
        (sink, _diff(list(expected), got.get(sink, [])))
        for sink, expected in case.expect.items()
        if list(expected) != got.get(sink, [])
    )
    failures = tuple(
        f"route {o.route}, function {f.stage}: {f.reason}" for o in routed.routes for f in o.failed
    )
    return CaseResult(case.name, diffs, failures)


def _diff(expected: list[JsonObject], got: list[JsonObject]) -> str:
    def lines(events: list[JsonObject]) -> list[str]:
        return [json.dumps(e, sort_keys=True, ensure_ascii=False) for e in events]

    return "\n".join(difflib.unified_diff(lines(expected), lines(got), "expected", "got", lineterm="", n=2))


__all__ = ["CaseResult", "ConfigTest", "run_config_test"]
