"""``Metrics``: each method moves its own series, in a registry of its own, rendered as Prometheus text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from pipeflow.infrastructure.metrics import CONTENT_TYPE, SINK_WRITE_BUCKETS, Metrics

NAMES = st.sampled_from(["app", "errors", "rest", "scrub"])


def families(metrics: Metrics) -> dict[str, str]:
    """Metric family name to type, parsed back from the rendered text (``*_created`` timestamps left out)."""
    parsed = text_string_to_metric_families(metrics.render().decode())
    return {f.name: f.type for f in parsed if not f.name.endswith("_created")}


def test_every_metric_of_the_spec_is_declared_with_its_type() -> None:
    assert families(Metrics()) == {
        "pipeflow_events_in": "counter",
        "pipeflow_events_out": "counter",
        "pipeflow_events_dropped": "counter",
        "pipeflow_events_unmatched": "counter",
        "pipeflow_route_events": "counter",
        "pipeflow_events_dead_lettered": "counter",
        "pipeflow_function_events": "counter",
        "pipeflow_sink_buffer_events": "gauge",
        "pipeflow_sink_buffer_bytes": "gauge",
        "pipeflow_sink_write_seconds": "histogram",
        "pipeflow_sink_retries": "counter",
        "pipeflow_dead_letter_write_failures": "counter",
    }


def test_failed_dead_letter_writes_are_counted() -> None:
    m = Metrics()
    assert m.value("pipeflow_dead_letter_write_failures_total") == 0.0
    m.dead_letter_write_failed()
    m.dead_letter_write_failed()
    assert m.value("pipeflow_dead_letter_write_failures_total") == 2.0


def test_events_in_and_unmatched_count_per_label() -> None:
    m = Metrics()
    m.events_in("app", 3)
    m.events_in("app")
    m.events_in("syslog", 2)
    m.events_unmatched(5)
    assert m.value("pipeflow_events_in_total", source="app") == 4.0
    assert m.value("pipeflow_events_in_total", source="syslog") == 2.0
    assert m.value("pipeflow_events_unmatched_total") == 5.0


def test_drops_dead_letters_and_function_outcomes_keep_their_labels_apart() -> None:
    m = Metrics()
    m.events_dropped("errors", "scrub", 2)
    m.events_dropped("rest", "scrub")
    m.events_dead_lettered("decode", 3)
    m.function_handled("scrub", "mask", "pass", 7)
    m.function_handled("scrub", "mask", "failed")
    assert m.value("pipeflow_events_dropped_total", route="errors", pipeline="scrub") == 2.0
    assert m.value("pipeflow_events_dropped_total", route="rest", pipeline="scrub") == 1.0
    assert m.value("pipeflow_events_dead_lettered_total", stage="decode") == 3.0
    assert m.value("pipeflow_events_dead_lettered_total", stage="sink") is None
    assert m.value("pipeflow_function_events_total", pipeline="scrub", function="mask", outcome="pass") == 7.0
    assert (
        m.value("pipeflow_function_events_total", pipeline="scrub", function="mask", outcome="failed") == 1.0
    )


def test_route_events_count_per_route() -> None:
    m = Metrics()
    m.route_events("errors", 3)
    m.route_events("errors")
    m.route_events("rest", 2)
    assert m.value("pipeflow_route_events_total", route="errors") == 4.0
    assert m.value("pipeflow_route_events_total", route="rest") == 2.0
    assert m.value("pipeflow_route_events_total", route="scrub") is None


def test_sink_written_counts_events_out_and_observes_the_latency() -> None:
    m = Metrics()
    m.sink_written("errors", 10, 0.003)
    m.sink_written("errors", 5, 0.2)
    assert m.value("pipeflow_events_out_total", sink="errors") == 15.0
    assert m.value("pipeflow_sink_write_seconds_count", sink="errors") == 2.0
    assert m.value("pipeflow_sink_write_seconds_sum", sink="errors") == pytest.approx(0.203)
    assert m.value("pipeflow_sink_write_seconds_bucket", sink="errors", le="0.005") == 1.0
    assert m.value("pipeflow_sink_write_seconds_bucket", sink="errors", le="+Inf") == 2.0


def test_histogram_uses_the_declared_buckets() -> None:
    m = Metrics()
    m.sink_written("s", 1, 0.0)
    text = m.render().decode()
    for bound in SINK_WRITE_BUCKETS:
        assert f'pipeflow_sink_write_seconds_bucket{{le="{bound}",sink="s"}} 1.0' in text


def test_buffer_gauge_is_set_not_added_and_retries_count() -> None:
    m = Metrics()
    m.sink_buffered("rest", 120)
    m.sink_buffered("rest", 7)
    m.sink_retried("rest")
    m.sink_retried("rest")
    assert m.value("pipeflow_sink_buffer_events", sink="rest") == 7.0
    assert m.value("pipeflow_sink_retries_total", sink="rest") == 2.0


def test_each_instance_has_its_own_registry_and_the_global_one_is_untouched() -> None:
    a, b = Metrics(), Metrics()
    a.events_in("app", 1)
    assert b.value("pipeflow_events_in_total", source="app") is None
    assert REGISTRY.get_sample_value("pipeflow_events_in_total", {"source": "app"}) is None


def test_render_is_prometheus_text_with_help_and_type_lines() -> None:
    m = Metrics()
    m.events_in("app", 2)
    text = m.render().decode()
    assert "# HELP pipeflow_events_in_total Events read, per source.\n" in text
    assert "# TYPE pipeflow_events_in_total counter\n" in text
    assert 'pipeflow_events_in_total{source="app"} 2.0\n' in text
    assert CONTENT_TYPE.startswith("text/plain")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(NAMES, st.integers(0, 1000)), max_size=20))
def test_a_counter_is_the_sum_of_its_increments_per_label(increments: list[tuple[str, int]]) -> None:
    m = Metrics()
    for source, n in increments:
        m.events_in(source, n)
    for source in {s for s, _ in increments}:
        expected = sum(n for s, n in increments if s == source)
        assert m.value("pipeflow_events_in_total", source=source) == float(expected)
