"""Config checks the built-in functions share, as ``Result``s: a field path, a regex, all of many."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TypeVar

from returns.result import Failure, Result, Success

from pipeflow.domain.errors import Problem, Problems
from pipeflow.domain.paths import Path, parse_path

T = TypeVar("T")


def field_path(text: str, where: str = "field") -> Result[Path, Problems]:
    """Parse a user's field path; a malformed one is a problem at ``where``.

    >>> field_path("user.email"), field_path("a..b", "key")
    (<Success: ('user', 'email')>, <Failure: (Problem(where='key', message="not a field path: 'a..b'"),)>)
    """
    path = parse_path(text)
    if path is None:
        return Failure((Problem(where, f"not a field path: {text!r}"),))
    return Success(path)


def compile_regex(pattern: str, where: str = "pattern") -> Result[re.Pattern[str], Problems]:
    """Compile a user's regex; a syntax error is a problem at ``where``, and so is a pattern ``re``
    refuses otherwise (a repeat count past its limit, groups nested too deep).

    >>> compile_regex("a{4294967296}").failure()[0].message
    'invalid regex: the repetition number is too large'
    """
    try:
        return Success(re.compile(pattern))
    except (re.error, OverflowError, RecursionError, ValueError) as exc:
        return Failure((Problem(where, f"invalid regex: {exc}"),))


def collect(results: Iterable[Result[T, Problems]]) -> Result[tuple[T, ...], Problems]:
    """Every value in order, or the first failure (the results after it are not computed).

    >>> collect(field_path(t) for t in ["a", "b[0]"])
    <Success: (('a',), ('b', 0))>
    >>> collect(field_path(t, f"by[{i}]") for i, t in enumerate(["a", "", "."]))
    <Failure: (Problem(where='by[1]', message="not a field path: ''"),)>
    """
    values: list[T] = []
    for result in results:
        match result:
            case Success(value):
                values.append(value)
            case _:
                return Failure(result.failure())
    return Success(tuple(values))


__all__ = ["collect", "compile_regex", "field_path"]
