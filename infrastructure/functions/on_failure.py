"""``on_failure``: what a parsing function does with an event it cannot read (pass, drop, dead letter)."""

from __future__ import annotations

from typing import Literal, TypeAlias, assert_never

from pipeflow.domain.events import Event
from pipeflow.domain.results import Drop, FnResult, FunctionFailed, Pass

OnFailure: TypeAlias = Literal["dead_letter", "pass", "drop"]
"""``dead_letter`` (the function fails), ``pass`` (the event goes on unchanged) or ``drop``."""


def settle(policy: OnFailure, event: Event, reason: str) -> FnResult:
    """The event's fate under ``policy`` when it could not be read for ``reason``.

    :raises FunctionFailed: with ``reason``, under ``dead_letter``.
    """
    match policy:
        case "pass":
            return Pass(event)
        case "drop":
            return Drop(reason)
        case "dead_letter":
            raise FunctionFailed(reason)
        case _:
            assert_never(policy)


__all__ = ["OnFailure", "settle"]
