"""A function's optional ``filter``: the function applies only to events for which it is true."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import final

from pipeflow.domain.errors import ValidationError
from pipeflow.domain.events import Event
from pipeflow.domain.filter import compile_filter
from pipeflow.domain.json import JsonObject
from pipeflow.domain.ports import PipelineFn
from pipeflow.domain.results import Drop, FnResult, Pass


@final
@dataclass(frozen=True, slots=True)
class Guarded:
    """``fn`` applied where ``predicate`` holds; other events pass unchanged.

    A drop says which filter let it through, so a dropped event can be explained.
    """

    fn: PipelineFn
    predicate: Callable[[JsonObject], bool]
    text: str

    def __call__(self, event: Event, /) -> FnResult:
        """Run ``fn`` when the filter matches, else pass the event on as it is."""
        if not self.predicate(event.fields):
            return Pass(event)
        result = self.fn(event)
        if isinstance(result, Drop):
            return Drop(f"{result.reason} (filter: {self.text})")
        return result


def guarded(fn: PipelineFn, text: str) -> PipelineFn | ValidationError:
    """Wrap ``fn`` so it applies only where the filter ``text`` is true, or say why the text is bad.

    >>> from pipeflow.domain.events import EventId, EventMeta
    >>> drop = guarded(lambda e: Drop("drop"), 'level == "debug"')
    >>> e = Event(EventId("1"), EventMeta("s", 0.0), {"level": "debug"})
    >>> drop(e)
    Drop(reason='drop (filter: level == "debug")')
    >>> drop(e.with_field("level", "info")) == Pass(e.with_field("level", "info"))
    True
    """
    predicate = compile_filter(text)
    if isinstance(predicate, ValidationError):
        return predicate
    return Guarded(fn, predicate, text)


__all__ = ["Guarded", "guarded"]
