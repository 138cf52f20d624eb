"""Reading Prometheus samples from events: valid names and labels, times, and the reasons for none."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.json import JsonObject
from pipeflow.domain.metric_samples import (
    Sample,
    SampleFields,
    read_sample,
    sanitize_label_name,
    sanitize_metric_name,
)

_METRIC_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
_LABEL_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


def _event(fields: JsonObject) -> Event:
    return Event(EventId("01"), EventMeta("s", 0.0), fields)


@given(st.text(min_size=1))
def test_a_sanitized_metric_name_is_valid_and_keeps_valid_characters(name: str) -> None:
    clean = sanitize_metric_name(name)
    assert _METRIC_NAME.fullmatch(clean)
    assert sanitize_metric_name(clean) == clean
    if _METRIC_NAME.fullmatch(name):
        assert clean == name


@given(st.text())
def test_a_sanitized_label_name_is_valid_and_not_reserved(name: str) -> None:
    clean = sanitize_label_name(name)
    assert _LABEL_NAME.fullmatch(clean)
    assert not clean.startswith("__")
    assert sanitize_label_name(clean) == clean


def test_invalid_characters_become_underscores() -> None:
    assert sanitize_metric_name("http.requests-total/s") == "http_requests_total_s"
    assert sanitize_label_name("service.name") == "service_name"
    assert sanitize_label_name("") == "_"


def test_a_statsd_counter_is_a_counter_sample_with_its_tags_as_labels() -> None:
    event = _event(
        {"name": "api.hits", "value": 3, "type": "counter", "tags": {"env": "prod", "canary": None}}
    )
    assert read_sample(event, SampleFields()) == Sample("api_hits", (("env", "prod"),), 3.0, None, True)


def test_an_otlp_monotonic_sum_reads_its_attributes() -> None:
    event = _event(
        {"name": "rpc.calls", "value": 7.5, "monotonic": True, "attributes": {"rpc.ok": True, "n": 2}}
    )
    sample = read_sample(event, SampleFields(labels="attributes"))
    assert sample == Sample("rpc_calls", (("n", "2"), ("rpc_ok", "true")), 7.5, None, True)


def test_labels_clashing_after_sanitizing_keep_the_first_key_in_order() -> None:
    event = _event({"name": "m", "value": 1, "tags": {"a_b": "second", "a.b": "first"}})
    sample = read_sample(event, SampleFields())
    assert isinstance(sample, Sample)
    assert sample.labels == (("a_b", "first"),)


def test_a_timestamp_field_gives_the_sample_time_in_milliseconds() -> None:
    fields = SampleFields(timestamp="ts")
    iso = read_sample(_event({"name": "m", "value": 1, "ts": "2024-06-01T00:00:01.5Z"}), fields)
    epoch = read_sample(_event({"name": "m", "value": 1, "ts": 1717200001.5}), fields)
    absent = read_sample(_event({"name": "m", "value": 1}), fields)
    assert isinstance(iso, Sample)
    assert isinstance(epoch, Sample)
    assert isinstance(absent, Sample)
    assert iso.timestamp_ms == epoch.timestamp_ms == 1717200001500
    assert absent.timestamp_ms is None


def test_an_event_that_is_no_sample_has_a_reason() -> None:
    fields = SampleFields(timestamp="ts")
    cases: list[tuple[JsonObject, str]] = [
        ({"value": 1}, "'name' is not a metric name (a non-empty string): missing or null"),
        ({"name": 5, "value": 1}, "'name' is not a metric name (a non-empty string): 5"),
        ({"name": "", "value": 1}, "'name' is not a metric name (a non-empty string): ''"),
        ({"name": "m", "value": "1"}, "'value' is not a number: '1'"),
        ({"name": "m", "value": True}, "'value' is not a number: True"),
        ({"name": "m", "value": 1, "tags": ["a"]}, "'tags' is not an object of labels: ['a']"),
        (
            {"name": "m", "value": 1, "ts": "yesterday"},
            "'ts' is not a time (ISO 8601 or epoch seconds): 'yesterday'",
        ),
    ]
    for fields_of_event, reason in cases:
        assert read_sample(_event(fields_of_event), fields) == reason
