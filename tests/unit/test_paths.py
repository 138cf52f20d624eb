"""Field paths by example: the syntax users write, and how reading and writing treat odd shapes."""

from __future__ import annotations

import pytest

from pipeflow.domain.json import Json, JsonObject
from pipeflow.domain.paths import MISSING, Path, get_in, parse_path, remove_in, render_path, set_in


@pytest.mark.parametrize(
    ("text", "path"),
    [
        ("level", ("level",)),
        ("user.email", ("user", "email")),
        ("tags[0]", ("tags", 0)),
        ("tags[-1]", ("tags", -1)),
        ('headers["content-type"]', ("headers", "content-type")),
        ("headers['content-type']", ("headers", "content-type")),
        ('a["b\\"c"]', ("a", 'b"c')),
        ('a["x\\ny"]', ("a", "x\ny")),
        ('a["x\\dy"]', ("a", "x\\dy")),  # an unknown escape keeps its backslash, as in a string literal
        ('a["b\\\\c"]', ("a", "b\\c")),
        ('a[""]', ("a", "")),
        ('["x y"].z', ("x y", "z")),
        ("a[0][1].b", ("a", 0, 1, "b")),
        ("a.b-c", ("a", "b-c")),
        ("@timestamp", ("@timestamp",)),
        ("$meta._x", ("$meta", "_x")),
    ],
)
def test_parse_path_reads_every_documented_form(text: str, path: Path) -> None:
    assert parse_path(text) == path


@pytest.mark.parametrize(
    "text",
    ["", ".", "a.", ".a", "a..b", "a. b", "a.1", "a.[0]", "a[0]b", "a[ 0 ]", "a[x]", 'a["b]', "a b", "1a"],
)
def test_parse_path_refuses_what_is_not_a_path(text: str) -> None:
    assert parse_path(text) is None


@pytest.mark.parametrize(
    ("path", "text"),
    [
        (("a", "b"), "a.b"),
        (("a", 0, "b"), "a[0].b"),
        (("content-type",), '["content-type"]'),
        (("a", 'q"t', "back\\slash"), 'a["q\\"t"]["back\\\\slash"]'),
        (("a", "tab\there"), 'a["tab\\there"]'),
    ],
)
def test_render_path_writes_the_shortest_form(path: Path, text: str) -> None:
    assert render_path(path) == text
    assert parse_path(text) == path


FIELDS: JsonObject = {"user": {"email": "a@b.c", "tags": ["x", "y"]}, "n": None, "s": "text"}


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("user", "email"), "a@b.c"),
        (("user", "tags", 1), "y"),
        (("user", "tags", -2), "x"),
        (("n",), None),
        (("user", "tags", 2), MISSING),
        (("user", "tags", -3), MISSING),
        (("user", "tags", "0"), MISSING),
        (("user", 0), MISSING),
        (("s", "x"), MISSING),
        (("s", 0), MISSING),
        (("nope", "deeper"), MISSING),
    ],
)
def test_get_in_reads_or_says_missing(path: Path, value: Json) -> None:
    assert get_in(FIELDS, path) == value


def test_missing_is_falsy_and_not_null() -> None:
    assert not MISSING
    assert MISSING is not None
    assert repr(MISSING) == "MISSING"


def test_set_in_creates_objects_on_the_way_and_shares_the_rest() -> None:
    out = set_in(FIELDS, ("geo", "city", "name"), "Oslo")
    assert out["geo"] == {"city": {"name": "Oslo"}}
    assert out["user"] is FIELDS["user"]  # structural sharing: untouched branches are not copied
    assert "geo" not in FIELDS


def test_set_in_replaces_a_list_element() -> None:
    out = set_in(FIELDS, ("user", "tags", -1), "z")
    assert get_in(out, ("user", "tags")) == ["x", "z"]
    assert get_in(FIELDS, ("user", "tags")) == ["x", "y"]


def test_set_in_with_an_index_out_of_range_changes_nothing() -> None:
    assert set_in(FIELDS, ("user", "tags", 5), "z") == FIELDS
    assert set_in(FIELDS, ("s", 0), "z") == FIELDS


def test_set_in_key_step_through_a_scalar_replaces_it_with_an_object() -> None:
    # As set_in's docstring says: a key step through a non-object makes a new object there
    # (like ``eval`` setting ``a.b`` where ``a`` held a string); an index step changes nothing.
    assert set_in({"s": "text"}, ("s", "x"), 1) == {"s": {"x": 1}}
    assert set_in({"s": "text"}, ("s", 0), 1) == {"s": "text"}


def test_remove_in_removes_keys_and_list_elements() -> None:
    assert remove_in(FIELDS, ("user", "email")) == {
        "user": {"tags": ["x", "y"]},
        "n": None,
        "s": "text",
    }
    assert get_in(remove_in(FIELDS, ("user", "tags", 0)), ("user", "tags")) == ["y"]
    assert get_in(remove_in(FIELDS, ("user", "tags", -1)), ("user", "tags")) == ["x"]
    assert get_in(FIELDS, ("user", "email")) == "a@b.c"


def test_remove_in_of_an_absent_path_returns_the_input_itself() -> None:
    assert remove_in(FIELDS, ("user", "phone")) is FIELDS
    assert remove_in(FIELDS, ("s", "x")) is FIELDS
