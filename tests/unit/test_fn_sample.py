from __future__ import annotations

import csv
from collections import defaultdict
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.json import Json, JsonObject
from pipeflow.domain.results import Drop, Pass
from pipeflow.infrastructure.functions.sample import Sample, stable_hash
from pipeflow.infrastructure.functions.sample import plugin as sample
from pipeflow.testing import json_values

LOGHUB = Path(__file__).parent.parent / "fixtures" / "loghub"


def ev(fields: JsonObject, ident: str = "01J") -> Event:
    return Event(EventId(ident), EventMeta("t", 0.0), fields)


def build(rate: int, key: str | None = None) -> Sample:
    built = sample({"rate": rate} if key is None else {"rate": rate, "key": key})
    fn = built.value_or(None)
    assert isinstance(fn, Sample), built
    return fn


def openssh_rows() -> list[dict[str, str]]:
    with (LOGHUB / "OpenSSH_200.log_structured.csv").open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_sampling_by_pid_keeps_or_drops_whole_ssh_sessions() -> None:
    fn = build(3, "Pid")
    kept: dict[str, set[bool]] = defaultdict(set)
    for row in openssh_rows():
        kept[row["Pid"]].add(isinstance(fn(ev(dict(row), row["LineId"])), Pass))
    assert all(len(outcomes) == 1 for outcomes in kept.values())
    assert {True} in kept.values()
    assert {False} in kept.values()


def test_sampling_by_id_keeps_about_one_in_rate() -> None:
    fn = build(4)
    kept = sum(isinstance(fn(ev({}, f"01EVENT{i:05d}")), Pass) for i in range(2000))
    assert 380 <= kept <= 620


def test_the_hash_is_stable_across_processes() -> None:
    # crc32 of canonical JSON: these values are fixed forever (a change would resample every stream).
    assert stable_hash("24200") == 2889018758  # zlib.crc32(b'"24200"')
    assert stable_hash({"a": "é"}) == 2933495253  # zlib.crc32(b'{"a":"\\u00e9"}')
    assert stable_hash({"b": [1, None], "a": "é"}) == stable_hash({"a": "é", "b": [1, None]})


def test_a_drop_says_why() -> None:
    fn = build(1_000_000)
    results = [fn(ev({}, f"id{i}")) for i in range(20)]
    assert Drop("sampled out (keeping 1 in 1000000)") in results


@given(json_values())
def test_rate_one_keeps_everything(value: Json) -> None:
    event = ev({"k": value})
    assert build(1, "k")(event) == Pass(event)


@given(st.integers(2, 50), json_values(), st.text(min_size=1))
def test_same_key_same_decision_whatever_the_rest(rate: int, key: Json, ident: str) -> None:
    fn = build(rate, "user.id")
    a = fn(ev({"user": {"id": key}, "x": 1}, ident))
    b = fn(ev({"user": {"id": key}, "y": [2]}, ident + "other"))
    assert type(a) is type(b)


def test_a_missing_key_falls_back_to_the_event_id() -> None:
    fn, by_id = build(7, "user.id"), build(7)
    for i in range(50):
        assert type(fn(ev({}, f"e{i}"))) is type(by_id(ev({}, f"e{i}")))


@pytest.mark.parametrize(("config", "where"), [({"rate": 0}, "rate"), ({"rate": 2, "key": "a..b"}, "key")])
def test_config_problems_are_values(config: JsonObject, where: str) -> None:
    problems = sample(config).failure()
    assert [p.where for p in problems] == [where]
