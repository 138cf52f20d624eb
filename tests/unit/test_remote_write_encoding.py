"""Remote-write bodies decode (snappy, then protobuf ``WriteRequest``) to exactly the samples sent."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pipeflow.domain.metric_samples import Sample
from pipeflow.infrastructure.sinks.remote_write_encoding import decode_write_request, encode_write_request

_NOW = 1_700_000_000_000

_samples = st.lists(
    st.builds(
        Sample,
        name=st.sampled_from(["a", "b_total", "c:d"]),
        labels=st.sampled_from([(), (("env", "prod"),), (("A", "x"), ("z", "y"))]),
        value=st.floats(allow_nan=False, width=64),
        timestamp_ms=st.none() | st.integers(0, 2**50),
        counter=st.booleans(),
    ),
    max_size=30,
)


def _decoded(body: bytes) -> dict[tuple[tuple[str, str], ...], list[tuple[int, float]]]:
    request = decode_write_request(body)
    return {
        tuple((label.name, label.value) for label in series.labels): [
            (point.timestamp, point.value) for point in series.samples
        ]
        for series in request.timeseries
    }


@given(_samples)
def test_a_body_decodes_to_the_last_sample_per_series_and_time_in_time_order(samples: list[Sample]) -> None:
    expected: dict[tuple[tuple[str, str], ...], dict[int, float]] = {}
    for s in samples:
        labels = tuple(sorted((("__name__", s.name), *s.labels)))
        expected.setdefault(labels, {})[_NOW if s.timestamp_ms is None else s.timestamp_ms] = s.value
    assert _decoded(encode_write_request(samples, _NOW)) == {
        labels: sorted(points.items()) for labels, points in expected.items()
    }


def test_labels_are_sorted_with_the_name_among_them() -> None:
    body = encode_write_request([Sample("m", (("A", "1"), ("b", "2")), 1.0, 5, False)], _NOW)
    assert list(_decoded(body)) == [(("A", "1"), ("__name__", "m"), ("b", "2"))]
