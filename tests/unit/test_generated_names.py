"""``domain.filter.names``: one allocator for every name of a generated source, run with no builtins."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeflow.domain.filter.codegen import HELPERS, Codegen
from pipeflow.domain.filter.errors import FilterSyntaxError
from pipeflow.domain.filter.fold import fold
from pipeflow.domain.filter.names import Names, define
from pipeflow.domain.filter.parser import parse_filter


@given(
    st.lists(st.tuples(st.sampled_from(["k", "c", "t", "op", "fn", "out", "x"]), st.booleans()), max_size=40),
    st.lists(st.from_regex(r"_[a-z]{1,3}[0-9]{1,2}", fullmatch=True), max_size=10),
)
def test_no_name_is_handed_out_twice_or_when_reserved(
    calls: list[tuple[str, bool]], reserved: list[str]
) -> None:
    names = Names([*HELPERS, *reserved])
    made = [names.bind(object(), hint) if bound else names.local(hint) for hint, bound in calls]
    assert len(set(made)) == len(made)
    assert not set(made) & {*HELPERS, *reserved}
    assert all(n.isidentifier() and n.startswith("_") for n in made)
    assert set(names.values) == {n for n, (_, bound) in zip(made, calls, strict=True) if bound}


@pytest.mark.parametrize("hint", ["", "k1", "k_", "é", "k k"])
def test_a_hint_is_ascii_letters(hint: str) -> None:
    with pytest.raises(ValueError, match="ASCII letters"):
        Names().local(hint)


def test_the_helpers_names_are_never_handed_out() -> None:
    """``_op0`` is a helper of the filter compiler: a name made with the hint ``op`` is never it."""
    names = Names(HELPERS)
    made = {names.local("op") for _ in range(len(HELPERS) + 3)}
    assert "_op0" in HELPERS
    assert not made & set(HELPERS)


def test_codegen_binds_into_the_names_it_is_given() -> None:
    names = Names(HELPERS)
    taken = names.bind("x", "k")
    parsed = parse_filter('a == "b" and exists(c)')
    assert not isinstance(parsed, FilterSyntaxError)
    fold(parsed, Codegen(names))
    assert names.values[taken] == "x"
    assert {v for v in names.values.values() if isinstance(v, str)} == {"a", "b", "c", "x"}


def test_generated_code_has_no_builtins() -> None:
    made = define("def g(x):\n    return _len(x)\ndef h(x):\n    return len(x)\n", "<t>", {"_len": len})
    g, h = made["g"], made["h"]
    assert callable(g)
    assert callable(h)
    assert g("abc") == 3
    with pytest.raises(NameError):
        h("abc")
    with pytest.raises(ImportError):
        define("import os\n", "<t>", {})
