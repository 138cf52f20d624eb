"""Laws of ``FnResult`` under ``bind``: a monad over "zero, one or many events".

Stated the way returns states its laws: each law is one equation, checked for generated results
and generated (total) functions ``f``, ``g``.

- left identity   ``bind(Pass(e), f) == f(e)``
- right identity  ``bind(r, Pass) == r``
- associativity   ``bind(bind(r, f), g) == bind(r, lambda e: bind(f(e), g))``
- Drop absorbs    ``bind(Drop(x), f) == Drop(x)``
- Split distributes ``bind(Split(es), f) == Split(concat(outputs(f(e)) for e in es))``

All five hold with structural equality (``==`` on the dataclasses), not just "same outputs".
What does *not* hold structurally is ``Split((e,)) == Pass(e)``: they carry the same events but
are different values, and ``bind`` keeps the difference (a dropped piece of a ``Split`` leaves a
``Split(())`` and loses its reason). Under the coarser equivalence ``r ~ s iff outputs(r) ==
outputs(s)`` they are equal, and ``~`` is a congruence for ``bind`` (the last two properties).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import assert_never

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.results import Drop, FnResult, Pass, Split, bind, outputs
from tests.strategies import GenFn, events, fn_results, gen_fns

Fn = Callable[[Event], FnResult]

EXAMPLES = settings(max_examples=100, deadline=None)


def kleisli(f: Fn, g: Fn) -> Fn:
    """``f`` then ``g``: the composition the engine performs step by step."""
    return lambda e: bind(f(e), g)


@EXAMPLES
@given(events, gen_fns())
def test_left_identity(e: Event, f: GenFn) -> None:
    assert bind(Pass(e), f) == f(e)


@EXAMPLES
@given(fn_results)
def test_right_identity(r: FnResult) -> None:
    assert bind(r, Pass) == r


@EXAMPLES
@given(fn_results, gen_fns(), gen_fns())
def test_associativity_holds_structurally(r: FnResult, f: GenFn, g: GenFn) -> None:
    assert bind(bind(r, f), g) == bind(r, kleisli(f, g))


@EXAMPLES
@given(events, gen_fns(), gen_fns(), gen_fns())
def test_kleisli_composition_is_associative(e: Event, f: GenFn, g: GenFn, h: GenFn) -> None:
    assert kleisli(kleisli(f, g), h)(e) == kleisli(f, kleisli(g, h))(e)


@EXAMPLES
@given(st.text(max_size=8), gen_fns())
def test_drop_absorbs(reason: str, f: GenFn) -> None:
    assert bind(Drop(reason), f) == Drop(reason)


@EXAMPLES
@given(st.lists(events, max_size=4).map(tuple), gen_fns())
def test_split_distributes(es: tuple[Event, ...], f: GenFn) -> None:
    assert bind(Split(es), f) == Split(tuple(out for e in es for out in outputs(f(e))))


@EXAMPLES
@given(fn_results, gen_fns())
def test_outputs_is_a_homomorphism(r: FnResult, f: GenFn) -> None:
    assert outputs(bind(r, f)) == tuple(out for e in outputs(r) for out in outputs(f(e)))


@EXAMPLES
@given(events, gen_fns())
def test_split_of_one_and_pass_are_equivalent_by_outputs_only(e: Event, f: GenFn) -> None:
    # The congruence: equal outputs in, equal outputs out ...
    assert outputs(bind(Split((e,)), f)) == outputs(bind(Pass(e), f))
    # ... but not equal values: bind never turns a Split back into a Pass or a Drop.
    assert isinstance(bind(Split((e,)), f), Split)


def test_a_dropped_piece_of_a_split_loses_its_reason() -> None:
    e = Event(EventId("01E"), EventMeta("app", 0.0), {"a": 1})
    assert bind(Split((e,)), lambda _: Drop("why")) == Split(())
    assert bind(Pass(e), lambda _: Drop("why")) == Drop("why")


@EXAMPLES
@given(fn_results)
def test_outputs_of_each_variant(r: FnResult) -> None:
    match r:
        case Pass(e):
            assert outputs(r) == (e,)
        case Split(es):
            assert outputs(r) == es
        case Drop():
            assert outputs(r) == ()
        case _:
            assert_never(r)
