"""Domain errors as values, never raised: the pure core returns them as one arm of a union
(``compile_pipeline`` gives ``CompiledPipeline | ValidationError``); the repository ports and the
use cases return them in a ``returns`` ``Failure(...)`` (``Result[Pipeline, NotFound]``).

The variants (one sum type, ``DomainError``)::

    DomainError
    ├── ValidationError       bad config, pipeline or expression; carries every problem
    ├── NotFound              an aggregate that does not exist
    └── ConcurrencyConflict   a compare-and-set lost a race (optimistic versioning)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TypeAlias, final


@final
@dataclass(frozen=True, slots=True)
class Position:
    """A 1-based line and column in a file the user wrote (a config file)."""

    line: int
    column: int

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}"


@final
@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input: where (a dotted location), what, and its place in the file if known.

    The one problem type from the domain outward: function factories, the config loader, the
    use cases and the API all report ``Problem``s.

    >>> str(Problem("functions[0].pattern", "bad regex"))
    'functions[0].pattern: bad regex'
    """

    where: str
    message: str
    position: Position | None = None

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message

    def __repr__(self) -> str:
        at = "" if self.position is None else f", position={self.position!r}"
        return f"Problem(where={self.where!r}, message={self.message!r}{at})"


Problems: TypeAlias = tuple[Problem, ...]
"""Everything wrong with one input (never empty when returned in a ``Failure``)."""


@final
@dataclass(frozen=True, slots=True)
class ValidationError:
    """An input failed validation; every problem is listed, not just the first."""

    problems: Problems

    def __str__(self) -> str:
        return "; ".join(str(p) for p in self.problems)


@final
@dataclass(frozen=True, slots=True)
class NotFound:
    """An aggregate with this kind and id does not exist."""

    kind: str
    id: str


@final
@dataclass(frozen=True, slots=True)
class ConcurrencyConflict:
    """A write expected ``expected`` but the stored version had moved on."""

    kind: str
    id: str
    expected: int
    actual: int | None


DomainError: TypeAlias = ValidationError | NotFound | ConcurrencyConflict
"""Every error the domain and its ports return as a value (the use cases add ``StaleVersion``)."""


def problems(*items: tuple[str, str]) -> ValidationError:
    """Build a ``ValidationError`` from ``(where, message)`` pairs.

    >>> str(problems(("functions[0].pattern", "bad regex")))
    'functions[0].pattern: bad regex'
    """
    return ValidationError(tuple(Problem(w, m) for w, m in items))


__all__ = [
    "ConcurrencyConflict",
    "DomainError",
    "NotFound",
    "Position",
    "Problem",
    "Problems",
    "ValidationError",
    "problems",
]
