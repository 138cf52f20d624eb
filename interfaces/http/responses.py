"""HTTP translation of the use cases' answers: status codes, ETags, ``If-Match`` and error bodies.

A use case answers a ``Result``; ``answer`` turns its ``Success`` into the endpoint's response
and its ``Failure`` into an error response:

| failure                | status |
|------------------------|--------|
| ``ValidationError``    | 422 with every problem |
| ``NotFound``           | 404 |
| ``StaleVersion``       | 412 (the ``If-Match`` version is not the current one) |
| ``ConcurrencyConflict``| 409 (another writer won the race, or the id is taken) |
| no ``If-Match``        | 428; one that names no version: 412 |
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVar, assert_never, final

from fastapi import Response
from fastapi.responses import JSONResponse
from returns.pipeline import is_successful
from returns.result import Failure, Result, Success

from pipeflow.application.versioning import StaleVersion
from pipeflow.domain.errors import ConcurrencyConflict, DomainError, NotFound, ValidationError
from pipeflow.interfaces.http.models import ErrorOut, ProblemOut

Refusal: TypeAlias = DomainError | StaleVersion
"""What a use case's ``Failure`` holds."""

_T = TypeVar("_T")
_R = TypeVar("_R", bound=Response)

_ETAG = re.compile(r'^\s*(?:W/)?"?(\d{1,18})"?\s*$')


@final
@dataclass(frozen=True, slots=True)
class MissingIfMatch:
    """The request has no ``If-Match`` header (answered 428)."""


@final
@dataclass(frozen=True, slots=True)
class BadIfMatch:
    """An ``If-Match`` that names no version: it cannot match the current one (answered 412)."""

    value: str


ANY_VERSION = None
"""What ``If-Match: *`` means: whatever version is current."""


def etag(version: int) -> str:
    """The ``ETag`` of a version: the number, quoted.

    >>> etag(3)
    '"3"'
    """
    return f'"{version}"'


def expected_version(header: str | None) -> Result[int | None, MissingIfMatch | BadIfMatch]:
    """The version an ``If-Match`` header names (quoted or bare), ``None`` for ``*``.

    >>> expected_version('"3"'), expected_version("3"), expected_version("*")
    (<Success: 3>, <Success: 3>, <Success: None>)
    >>> expected_version(None), expected_version("abc")
    (<Failure: MissingIfMatch()>, <Failure: BadIfMatch(value='abc')>)
    """
    if header is None:
        return Failure(MissingIfMatch())
    if header.strip() == "*":
        return Success(ANY_VERSION)
    m = _ETAG.match(header)
    if m is None:
        return Failure(BadIfMatch(header.strip()))
    return Success(int(m.group(1)))


def optional_expected_version(header: str | None) -> Result[int | None, MissingIfMatch | BadIfMatch]:
    """``expected_version`` for a write where ``If-Match`` is optional: none means any version.

    >>> optional_expected_version(None), optional_expected_version('"2"')
    (<Success: None>, <Success: 2>)
    """
    return Success(ANY_VERSION) if header is None else expected_version(header)


def error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    """An error answer with the common body."""
    return JSONResponse(ErrorOut(error=code, message=message, **extra).model_dump(), status_code=status)


def if_match_failure(problem: MissingIfMatch | BadIfMatch) -> JSONResponse:
    """428 for a write without ``If-Match``; 412 for one that names no version."""
    match problem:
        case MissingIfMatch():
            return error(428, "precondition_required", "send If-Match with the version you read (its ETag)")
        case BadIfMatch(value):
            return error(412, "stale_version", f"If-Match {value!r} names no version")
        case _:
            assert_never(problem)


def answer(
    result: Result[_T, Refusal | MissingIfMatch | BadIfMatch], success: Callable[[_T], _R]
) -> _R | JSONResponse:
    """``success`` of a ``Success``'s value, or the error answer for a ``Failure``'s."""
    if is_successful(result):
        return success(result.unwrap())
    return failure(result.failure())


def failure(answer: Refusal | MissingIfMatch | BadIfMatch) -> JSONResponse:
    """The error answer for a use case's failure value (or an ``If-Match`` that fails)."""
    match answer:
        case MissingIfMatch() | BadIfMatch():
            return if_match_failure(answer)
        case ValidationError(problems):
            found = [ProblemOut.of(p) for p in problems]
            return error(422, "invalid", f"{len(found)} problem(s): {answer}", problems=found)
        case NotFound(kind, ident):
            return error(404, "not_found", f"{kind} {ident!r} not found")
        case StaleVersion(kind, ident, expected, actual):
            return error(
                412,
                "stale_version",
                f"{kind} {ident!r} is at version {actual}, not {expected}: read it again",
                expected=expected,
                actual=actual,
            )
        case ConcurrencyConflict(kind, ident, expected, actual):
            return error(
                409,
                "conflict",
                f"{kind} {ident!r} was changed by another writer (expected {expected}, now {actual})",
                expected=expected,
                actual=actual,
            )
        case _:
            assert_never(answer)


def ok(
    body: Mapping[str, Any], version: int | None = None, status: int = 200, **headers: str
) -> JSONResponse:
    """A success answer, with the ``ETag`` of ``version`` when given."""
    out = dict(headers)
    if version is not None:
        out["ETag"] = etag(version)
    return JSONResponse(dict(body), status_code=status, headers=out)


__all__ = [
    "ANY_VERSION",
    "BadIfMatch",
    "MissingIfMatch",
    "Refusal",
    "answer",
    "error",
    "etag",
    "expected_version",
    "failure",
    "if_match_failure",
    "ok",
    "optional_expected_version",
]
