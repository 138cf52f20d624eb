"""Glue between the pure core's sum types and the use cases' ``returns`` Results.

The domain answers ``X | ValidationError`` (a plain union: no container per value in the core);
the ports and the use cases answer ``Result[X, E]``. ``to_result`` converts at that boundary,
``bind_async`` chains a step that awaits a port (``Result.bind`` takes only plain functions), and
``collect`` gathers checks that each may fail into one answer listing every problem.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import TypeVar

from returns.pipeline import is_successful
from returns.result import Failure, Result, Success

from pipeflow.domain.errors import Problem, ValidationError

T = TypeVar("T")
U = TypeVar("U")
E = TypeVar("E")
F = TypeVar("F")


def to_result(value: T | ValidationError) -> Result[T, ValidationError]:
    """``Failure`` for a ``ValidationError``, ``Success`` for anything else.

    >>> to_result(3)
    <Success: 3>
    >>> to_result(ValidationError((Problem("id", "bad"),)))
    <Failure: id: bad>
    """
    return Failure(value) if isinstance(value, ValidationError) else Success(value)


async def bind_async(result: Result[T, E], step: Callable[[T], Awaitable[Result[U, F]]]) -> Result[U, E | F]:
    """``result.bind(step)`` for a step that awaits: it runs only on a ``Success``."""
    if is_successful(result):
        return await step(result.unwrap())
    return Failure(result.failure())


def collect(results: Iterable[Result[T, ValidationError]]) -> Result[tuple[T, ...], ValidationError]:
    """Every value in order, or every problem of every failure in order (not only the first's).

    >>> collect([Success(1), Success(2)])
    <Success: (1, 2)>
    >>> bad, worse = ValidationError((Problem("a", "bad"),)), ValidationError((Problem("c", "worse"),))
    >>> collect([Failure(bad), Success(2), Failure(worse)])
    <Failure: a: bad; c: worse>
    """
    values: list[T] = []
    found: list[Problem] = []
    for result in results:
        if is_successful(result):
            values.append(result.unwrap())
        else:
            found.extend(result.failure().problems)
    return Failure(ValidationError(tuple(found))) if found else Success(tuple(values))


__all__ = ["bind_async", "collect", "to_result"]
