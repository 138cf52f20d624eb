"""``PrometheusExporterSink``: serves the events' samples on ``/metrics`` for Prometheus to scrape."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import final
from wsgiref.simple_server import WSGIServer

import anyio.to_thread
from prometheus_client import start_http_server
from prometheus_client.registry import CollectorRegistry

from pipeflow.domain.events import Event
from pipeflow.domain.metric_samples import Sample, SampleFields, read_sample
from pipeflow.domain.ports import Clock
from pipeflow.infrastructure.sinks.errors import SinkError
from pipeflow.infrastructure.sinks.prometheus_series import SeriesTable

__all__ = ["PrometheusExporterSink"]


@final
class PrometheusExporterSink:
    """Each event updates one series: a counter (``type: counter``, ``monotonic: true``) or a gauge.

    ``/metrics`` is served on ``host:port`` (prometheus_client's exposition, in its own thread)
    from the first write until ``close``. A series not updated for ``expire_s`` seconds of
    ``clock`` disappears. An event that is no sample is refused (``invalid``) with the reason.
    """

    def __init__(
        self,
        name: str,
        host: str,
        port: int,
        *,
        clock: Clock,
        fields: SampleFields | None = None,
        expire_s: float = 300.0,
    ) -> None:
        self.name = name
        self._host = host
        self._port = port
        self._fields = fields or SampleFields()
        self.table = SeriesTable(expire_s=expire_s, now=clock.now)
        self._registry = CollectorRegistry(auto_describe=False)
        self._registry.register(self.table)
        self._server: tuple[WSGIServer, threading.Thread] | None = None

    @property
    def address(self) -> tuple[str, int]:
        """Where ``/metrics`` is served (the bound port when ``port`` was 0)."""
        if self._server is None:
            return self._host, self._port
        host, port = self._server[0].server_address[:2]
        return str(host), int(port)

    async def open(self) -> None:
        """Start serving ``/metrics``.

        :raises SinkError: when the address cannot be listened on (in use, not local).
        """
        if self._server is None:
            try:
                self._server = start_http_server(self._port, addr=self._host, registry=self._registry)
            except OSError as exc:
                raise SinkError(self.name, f"cannot listen on {self._host}:{self._port}: {exc}") from exc

    def invalid(self, event: Event) -> str | None:
        """Why ``event`` is no sample for this exporter (its kind clashes, say), or ``None``."""
        sample = read_sample(event, self._fields)
        return sample if isinstance(sample, str) else self.table.admit(sample)

    async def write(self, events: Sequence[Event]) -> None:
        """Update each event's series.

        :raises SinkError: (not retryable) when an event is refused (see ``invalid``); nothing is
            updated then.
        """
        samples: list[Sample] = []
        for event in events:
            sample = read_sample(event, self._fields)
            reason = sample if isinstance(sample, str) else self.table.admit(sample)
            if reason is not None or isinstance(sample, str):
                raise SinkError(self.name, f"event {event.id}: {reason}", retryable=False)
            samples.append(sample)
        for sample in samples:
            self.table.apply(sample)

    async def close(self) -> None:
        """Stop serving (the series are gone with the process)."""
        server, self._server = self._server, None
        if server is not None:
            await anyio.to_thread.run_sync(_stop, *server)


def _stop(httpd: WSGIServer, thread: threading.Thread) -> None:
    httpd.shutdown()
    httpd.server_close()
    thread.join()
