"""Laws of the use cases' Result glue (``pipeflow.application.outcomes``).

- ``to_result``    a ``ValidationError`` becomes ``Failure``, any other value ``Success``
- ``bind_async``   is ``Result.bind`` for a step that awaits: same answer, and on a ``Failure`` the
  step is never run (left identity: ``bind_async(Success(a), f) == await f(a)``)
- ``collect``      all successes give every value in order; else every problem of every failure,
  in order; and it splits over concatenation: ``collect(xs ++ ys)`` is ``collect(xs)`` and
  ``collect(ys)`` put together
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from returns.pipeline import is_successful
from returns.result import Failure, Result, Success

from pipeflow.application.outcomes import bind_async, collect, to_result
from pipeflow.domain.errors import Problem, ValidationError

problems = st.lists(st.builds(Problem, st.text(max_size=4), st.text(max_size=4)), min_size=1, max_size=3)
invalid = problems.map(lambda ps: ValidationError(tuple(ps)))
results: st.SearchStrategy[Result[int, ValidationError]] = st.one_of(
    st.integers().map(Success), invalid.map(Failure)
)


def step(n: int) -> Result[int, ValidationError]:
    """A step that fails on odd numbers."""
    return Success(n * 2) if n % 2 == 0 else Failure(ValidationError((Problem("n", "odd"),)))


def put_together(
    left: Result[tuple[int, ...], ValidationError], right: Result[tuple[int, ...], ValidationError]
) -> Result[tuple[int, ...], ValidationError]:
    """Both collected answers as one: the values joined, or the problems of both failures."""
    if is_successful(left) and is_successful(right):
        return Success(left.unwrap() + right.unwrap())
    found = [r.failure().problems for r in (left, right) if not is_successful(r)]
    return Failure(ValidationError(tuple(p for ps in found for p in ps)))


@given(st.one_of(st.integers(), st.text(), invalid))
def test_to_result_fails_exactly_validation_errors(value: int | str | ValidationError) -> None:
    expected = Failure(value) if isinstance(value, ValidationError) else Success(value)
    assert to_result(value) == expected


@given(results)
async def test_bind_async_is_bind_and_skips_the_step_on_a_failure(
    result: Result[int, ValidationError],
) -> None:
    ran: list[int] = []

    async def awaited(n: int) -> Result[int, ValidationError]:
        ran.append(n)
        return step(n)

    assert await bind_async(result, awaited) == result.bind(step)
    assert ran == ([result.unwrap()] if is_successful(result) else [])


@given(st.integers())
async def test_bind_async_left_identity(n: int) -> None:
    async def awaited(m: int) -> Result[int, ValidationError]:
        return step(m)

    assert await bind_async(Success(n), awaited) == step(n)


@given(st.lists(results, max_size=6))
def test_collect_keeps_every_value_or_every_problem_in_order(
    items: list[Result[int, ValidationError]],
) -> None:
    failed = [r.failure() for r in items if not is_successful(r)]
    if failed:
        expected: Result[tuple[int, ...], ValidationError] = Failure(
            ValidationError(tuple(p for e in failed for p in e.problems))
        )
    else:
        expected = Success(tuple(r.unwrap() for r in items))
    assert collect(items) == expected


@given(st.lists(results, max_size=4), st.lists(results, max_size=4))
def test_collect_splits_over_concatenation(
    xs: list[Result[int, ValidationError]], ys: list[Result[int, ValidationError]]
) -> None:
    assert collect(xs + ys) == put_together(collect(xs), collect(ys))
