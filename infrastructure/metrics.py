"""Prometheus metrics: pipeflow's own counters, gauges and histograms in a registry of their own.

Every label value is a name from the config (a source, sink, route, pipeline, function type or
dead-letter stage) or one of a fixed set of outcomes, never a value read from an event: a label
set is then bounded by the size of the config, so a flood of distinct events cannot grow the
series without limit (the cardinality rule of the Prometheus docs, "Use labels").
"""

from __future__ import annotations

from typing import Literal, TypeAlias, final

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

FunctionOutcome: TypeAlias = Literal["pass", "drop", "split", "failed"]
"""What a function did with an event: the only values of the ``outcome`` label."""

SINK_WRITE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Buckets of ``pipeflow_sink_write_seconds``: from a local file append to a slow HTTP endpoint."""


@final
class Metrics:
    """pipeflow's metrics in a dedicated ``CollectorRegistry`` (never the process-global one).

    Methods are named for what happened and take config names only: ``source``, ``sink``,
    ``route``, ``pipeline``, ``function`` (the function's ``type``) and ``stage`` are names a
    user wrote in the config (or fixed stage names such as ``decode``), never per-event values
    such as ids, hosts or messages. Counters only grow; the buffer gauge is set, not added to.

    >>> m = Metrics()
    >>> m.events_in("app", 3)
    >>> m.value("pipeflow_events_in_total", source="app")
    3.0
    """

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self._in = Counter("pipeflow_events_in_total", "Events read, per source.", ["source"], registry=r)
        self._out = Counter("pipeflow_events_out_total", "Events written, per sink.", ["sink"], registry=r)
        self._dropped = Counter(
            "pipeflow_events_dropped_total",
            "Events dropped by a function, per route and pipeline.",
            ["route", "pipeline"],
            registry=r,
        )
        self._route = Counter(
            "pipeflow_route_events_total",
            "Events a route took, counted where its pipeline left them: delivered, dropped or failed.",
            ["route"],
            registry=r,
        )
        self._unmatched = Counter(
            "pipeflow_events_unmatched_total", "Events no route took (dropped).", registry=r
        )
        self._dead = Counter(
            "pipeflow_events_dead_lettered_total",
            "Events sent to the dead-letter queue, per stage (decode, function, sink, buffer).",
            ["stage"],
            registry=r,
        )
        self._fn = Counter(
            "pipeflow_function_events_total",
            "Events a function handled, per pipeline, function type and outcome.",
            ["pipeline", "function", "outcome"],
            registry=r,
        )
        self._buffer = Gauge(
            "pipeflow_sink_buffer_events", "Events waiting in a sink's buffer.", ["sink"], registry=r
        )
        self._disk = Gauge(
            "pipeflow_sink_buffer_bytes",
            "Bytes waiting in a sink's disk buffer (its backlog; sinks with a memory buffer have none).",
            ["sink"],
            registry=r,
        )
        self._write = Histogram(
            "pipeflow_sink_write_seconds",
            "Seconds a sink took to write one batch.",
            ["sink"],
            buckets=SINK_WRITE_BUCKETS,
            registry=r,
        )
        self._retries = Counter(
            "pipeflow_sink_retries_total", "Failed sink writes that were retried.", ["sink"], registry=r
        )
        self._dead_failed = Counter(
            "pipeflow_dead_letter_write_failures_total",
            "Failed writes to the dead-letter store (each attempt; when all fail, its batch is not acked).",
            registry=r,
        )

    def events_in(self, source: str, n: int = 1) -> None:
        """``n`` events were read from ``source``."""
        self._in.labels(source).inc(n)

    def events_dropped(self, route: str, pipeline: str, n: int = 1) -> None:
        """A function of ``pipeline`` on ``route`` dropped ``n`` events."""
        self._dropped.labels(route, pipeline).inc(n)

    def route_events(self, route: str, n: int = 1) -> None:
        """``route`` took ``n`` events (delivered, dropped or failed; a split counts each part)."""
        self._route.labels(route).inc(n)

    def events_unmatched(self, n: int = 1) -> None:
        """``n`` events matched no route."""
        self._unmatched.inc(n)

    def events_dead_lettered(self, stage: str, n: int = 1) -> None:
        """``n`` events went to the dead-letter queue at ``stage`` (``decode``, ``function``, ``sink``...)."""
        self._dead.labels(stage).inc(n)

    def function_handled(self, pipeline: str, function: str, outcome: FunctionOutcome, n: int = 1) -> None:
        """The function of type ``function`` in ``pipeline`` had ``outcome`` on ``n`` events."""
        self._fn.labels(pipeline, function, outcome).inc(n)

    def sink_buffered(self, sink: str, events: int) -> None:
        """``sink``'s buffer now holds ``events`` events."""
        self._buffer.labels(sink).set(events)

    def sink_disk_buffered(self, sink: str, size: int) -> None:
        """``sink``'s disk buffer now holds ``size`` bytes."""
        self._disk.labels(sink).set(size)

    def sink_written(self, sink: str, n: int, seconds: float) -> None:
        """``sink`` wrote a batch of ``n`` events in ``seconds``."""
        self._out.labels(sink).inc(n)
        self._write.labels(sink).observe(seconds)

    def sink_retried(self, sink: str) -> None:
        """A write to ``sink`` failed and will be retried."""
        self._retries.labels(sink).inc()

    def dead_letter_write_failed(self) -> None:
        """A write to the dead-letter store failed."""
        self._dead_failed.inc()

    def value(self, name: str, **labels: str) -> float | None:
        """The current value of one sample (``None`` when it has never been set): for tests and summaries."""
        return self.registry.get_sample_value(name, labels)

    def render(self) -> bytes:
        """Every metric in the Prometheus text exposition format (serve it with ``CONTENT_TYPE``)."""
        return generate_latest(self.registry)


CONTENT_TYPE = CONTENT_TYPE_LATEST
"""The ``Content-Type`` of ``Metrics.render()``'s output."""

__all__ = ["CONTENT_TYPE", "SINK_WRITE_BUCKETS", "FunctionOutcome", "Metrics"]
