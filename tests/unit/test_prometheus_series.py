"""The exporter's series table: counters add, gauges set, kinds do not clash, series expire by the clock."""

from __future__ import annotations

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.registry import CollectorRegistry

from pipeflow.domain.metric_samples import Sample
from pipeflow.infrastructure.sinks.prometheus_series import SeriesTable
from tests.fakes import FakeClock


def _table(clock: FakeClock, expire_s: float = 300.0) -> SeriesTable:
    return SeriesTable(expire_s=expire_s, now=clock.now)


def _exposed(table: SeriesTable) -> dict[tuple[str, tuple[tuple[str, str], ...]], tuple[str, float]]:
    """Each exposed sample (name, sorted labels) -> (its family's type, value), as a scraper reads them."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(table)
    text = generate_latest(registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): (family.type, s.value)
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def _put(table: SeriesTable, sample: Sample) -> str | None:
    reason = table.admit(sample)
    if reason is None:
        table.apply(sample)
    return reason


def test_counters_add_and_gauges_keep_the_last_value_per_label_set() -> None:
    table = _table(FakeClock())
    for sample in [
        Sample("hits", (("env", "a"),), 2.0, None, True),
        Sample("hits", (("env", "a"),), 3.0, None, True),
        Sample("hits", (("env", "b"),), 1.0, None, True),
        Sample("temp", (), 20.0, None, False),
        Sample("temp", (), 18.5, None, False),
    ]:
        assert _put(table, sample) is None
    assert _exposed(table) == {
        ("hits_total", (("env", "a"),)): ("counter", 5.0),
        ("hits_total", (("env", "b"),)): ("counter", 1.0),
        ("temp", ()): ("gauge", 18.5),
    }


def test_a_gauge_change_moves_the_live_level_and_starts_from_zero() -> None:
    """statsd ``g:+3|g``/``g:-2|g`` (``delta``) adjust the gauge; a level sets it again."""
    clock = FakeClock()
    table = _table(clock, expire_s=60)
    steps = [(5.0, False, 5.0), (3.0, True, 8.0), (-2.0, True, 6.0), (1.0, False, 1.0), (-1.5, True, -0.5)]
    for value, delta, level in steps:
        assert _put(table, Sample("queue", (), value, None, False, delta)) is None
        assert _exposed(table) == {("queue", ()): ("gauge", level)}
    assert _put(table, Sample("fresh", (), -4.0, None, False, True)) is None  # no level yet: from 0
    assert _exposed(table)[("fresh", ())] == ("gauge", -4.0)
    clock.at += 61  # "fresh" expired: a change starts from 0 again
    assert _put(table, Sample("fresh", (), 2.0, None, False, True)) is None
    assert _exposed(table) == {("fresh", ()): ("gauge", 2.0)}


def test_a_name_keeps_its_kind_and_a_counter_never_goes_down() -> None:
    table = _table(FakeClock())
    assert _put(table, Sample("jobs_total", (), 1.0, None, False)) is None
    assert _put(table, Sample("jobs", (), 1.0, None, True)) == (
        "jobs_total is a gauge here; a counter sample named jobs cannot update it"
    )
    assert _put(table, Sample("c", (), 1.0, None, True)) is None
    for gauge in ("c", "c_total"):
        assert _put(table, Sample(gauge, (), 1.0, None, False)) == (
            f"c_total is a counter here; a gauge sample named {gauge} cannot update it"
        )
    assert _put(table, Sample("n", (), -1.0, None, True)) == "a counter only goes up: -1.0 added to n_total"
    assert _exposed(table) == {("jobs_total", ()): ("gauge", 1.0), ("c_total", ()): ("counter", 1.0)}


def test_series_not_updated_for_expire_s_disappear_and_free_their_name() -> None:
    clock = FakeClock()
    table = _table(clock, expire_s=60)
    _put(table, Sample("q", (("k", "old"),), 1.0, None, False))
    clock.at += 30
    _put(table, Sample("q", (("k", "new"),), 2.0, None, False))
    clock.at += 31  # "old" was last updated 61 s ago, "new" 31 s ago
    assert _exposed(table) == {("q", (("k", "new"),)): ("gauge", 2.0)}
    clock.at += 30
    assert _exposed(table) == {}
    assert _put(table, Sample("q", (), 4.0, None, True)) is None  # the name is free: now a counter
    assert _exposed(table) == {("q_total", ()): ("counter", 4.0)}


def test_a_counter_restarts_from_zero_after_it_expired() -> None:
    clock = FakeClock()
    table = _table(clock, expire_s=10)
    _put(table, Sample("c", (), 5.0, None, True))
    clock.at += 11
    _put(table, Sample("c", (), 1.0, None, True))
    assert _exposed(table) == {("c_total", ()): ("counter", 1.0)}
