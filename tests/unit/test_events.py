"""``Event``: an immutable value with a typed lens into its fields."""

from __future__ import annotations

import copy
import dataclasses

import pytest

from pipeflow.domain.events import Event, EventId, EventMeta, InvalidPath

META = EventMeta("app", 1_700_000_000.0)


def make(**fields: object) -> Event:
    return Event(EventId("01E0000001"), META, dict(fields))  # type: ignore[arg-type]


ev = make(level="info", user={"email": "a@b.c", "tags": ["x", "y"]}, n=None)


def test_get_reads_paths_as_text_or_tuples() -> None:
    assert ev.get("user.email") == "a@b.c"
    assert ev.get("user.tags[1]") == "y"
    assert ev.get('user["tags"][-1]') == "y"
    assert ev.get(("user", "tags", 0)) == "x"


def test_get_returns_the_default_only_when_absent() -> None:
    assert ev.get("missing") is None
    assert ev.get("missing", "dflt") == "dflt"
    assert ev.get("n", "dflt") is None  # null is a value, not absence
    assert ev.get("level.deeper", 0) == 0


def test_has_tells_null_from_absent() -> None:
    assert ev.has("n")
    assert ev.has("user.tags[0]")
    assert not ev.has("user.phone")
    assert not ev.has("user.tags[2]")


def test_a_malformed_path_in_code_raises_invalid_path() -> None:
    with pytest.raises(InvalidPath, match="not a field path"):
        ev.get("a..b")
    with pytest.raises(InvalidPath):
        ev.with_field("", 1)
    assert issubclass(InvalidPath, ValueError)


def test_with_field_returns_a_new_event_and_keeps_the_old_one() -> None:
    before = copy.deepcopy(ev)
    top = ev.with_field("level", "error")
    deep = ev.with_field("user.email", "x@y.z")
    created = ev.with_field("geo.city", "Oslo")
    assert (top.get("level"), deep.get("user.email"), created.get("geo")) == (
        "error",
        "x@y.z",
        {"city": "Oslo"},
    )
    assert ev == before
    assert (top.id, top.meta) == (ev.id, ev.meta)


def test_with_field_appends_new_fields_after_existing_ones() -> None:
    assert list(ev.with_field("zz", 1).fields) == ["level", "user", "n", "zz"]
    assert list(ev.with_field("level", 1).fields) == ["level", "user", "n"]


def test_with_fields_sets_several_top_level_fields() -> None:
    out = ev.with_fields({"level": "warn", "extra": 1})
    assert (out.get("level"), out.get("extra")) == ("warn", 1)
    assert ev.get("level") == "info"
    assert not ev.has("extra")


def test_without_field_removes_and_keeps_the_old_event() -> None:
    out = ev.without_field("user.email")
    assert not out.has("user.email")
    assert ev.get("user.email") == "a@b.c"
    assert out.get("user.tags") == ["x", "y"]


def test_without_an_absent_field_is_the_same_event() -> None:
    assert ev.without_field("user.phone") is ev


def test_changes_share_untouched_branches_instead_of_copying() -> None:
    out = ev.with_field("level", "debug")
    assert out.fields is not ev.fields
    assert out.fields["user"] is ev.fields["user"]


def test_replace_fields_and_with_id_keep_the_rest() -> None:
    replaced = ev.replace_fields({"a": 1})
    assert (replaced.id, replaced.meta, replaced.fields) == (ev.id, ev.meta, {"a": 1})
    renamed = ev.with_id(EventId("01E0000002"))
    assert (renamed.id, renamed.meta, renamed.fields) == ("01E0000002", ev.meta, ev.fields)


def test_events_and_metadata_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        ev.fields = {}  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        META.source = "other"  # type: ignore[misc]


def test_equality_is_by_value() -> None:
    assert make(a=1) == make(a=1)
    assert make(a=1) != make(a=2)
    assert make(a=1) != Event(EventId("other"), META, {"a": 1})
