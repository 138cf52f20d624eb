"""Building source adapters from config models: one place that maps each source ``type`` to its
constructor (sinks: ``sink_adapters``).

Adapters are imported inside their branches, all but the file source: ``uvicorn``,
``starlette`` and ``httpx`` take longer to import than a small run takes, most runs read files, and
every module ``run`` imports counts in its start-up (docs/performance.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, BinaryIO, assert_never

from pipeflow.domain.ports import Clock, EventSource, IdFactory
from pipeflow.infrastructure.sources.checkpoints import CheckpointStore
from pipeflow.infrastructure.sources.file import FileSource as FileSourceAdapter
from pipeflow.interfaces.config import models as m
from pipeflow.interfaces.config.file_source import Multiline

if TYPE_CHECKING:
    from pipeflow.infrastructure.otlp.receiver import OtlpReceiver
    from pipeflow.infrastructure.sources.multiline import MultilineSettings

RAW_BATCH_LINES = 8192
"""Most lines per batch when a source hands raw lines to the fast path (about one 2 MiB read)."""


def _multiline(config: Multiline | None) -> MultilineSettings | None:
    """A file or stdin source's multiline grouping (``None``: one event per line)."""
    if config is None:
        return None
    from pipeflow.infrastructure.sources.multiline import MultilineSettings

    return MultilineSettings(config.rule(), config.timeout_ms / 1000)


def build_source(
    name: str,
    config: m.SourceConfig,
    *,
    ids: IdFactory,
    clock: Clock,
    checkpoints: CheckpointStore,
    stdin: BinaryIO | None,
    raw_batch_lines: int | None = None,
    span_bytes: int = 0,
    positions: CheckpointStore | None = None,
) -> EventSource:
    """The source adapter for ``config``.

    With ``raw_batch_lines``, file and stdin sources send undecoded lines, that many per batch;
    with ``span_bytes`` too, file sources that do not follow send spans for worker processes.
    ``positions`` (an exactly-once run's committer) is where a Kafka source keeps its partitions'
    positions and resumes from; without it, it resumes at the broker's committed offsets.
    """
    raw = raw_batch_lines is not None
    sized = {"batch_size": raw_batch_lines} if raw_batch_lines is not None else {}
    match config:
        case m.FileSource():
            return FileSourceAdapter(
                name,
                config.path,
                ids=ids,
                clock=clock,
                checkpoints=checkpoints,
                format=config.format,
                follow=config.follow,
                start_at=config.start_at,
                max_line_bytes=config.max_line_bytes,
                raw=raw,
                span_bytes=span_bytes,
                multiline=_multiline(config.multiline),
                **sized,
            )
        case m.StdinSource():
            from pipeflow.infrastructure.sources.stdin import StdinSource as StdinSourceAdapter

            return StdinSourceAdapter(
                name,
                ids=ids,
                clock=clock,
                stream=stdin,
                format=config.format,
                max_line_bytes=config.max_line_bytes,
                raw=raw,
                multiline=_multiline(config.multiline),
                **sized,
            )
        case m.HttpSource() | m.SyslogSource() | m.StatsdSource():
            return _network_source(name, config, ids=ids, clock=clock)
        case m.KafkaSource():
            from pipeflow.infrastructure.sources.kafka import (
                KafkaSource as KafkaSourceAdapter,  # optional extra
            )

            return KafkaSourceAdapter(
                name,
                config.bootstrap_servers,
                config.topic,
                config.group_id,
                ids=ids,
                clock=clock,
                format=config.format,
                batch_size=config.batch_size,
                positions=positions,
            )
        case m.OtlpSource():
            from pipeflow.infrastructure.sources.otlp import OtlpSource as OtlpSourceAdapter  # optional extra

            host, port = split_address(config.address)
            return OtlpSourceAdapter(name, host, port, ids=ids, clock=clock)
        case m.NatsSource():
            from pipeflow.infrastructure.sources.nats import NatsSource as NatsSourceAdapter  # optional extra

            return NatsSourceAdapter(
                name,
                config.url,
                config.stream,
                config.subject,
                config.durable,
                ids=ids,
                clock=clock,
                format=config.format,
                ack_wait_s=config.ack_wait_s,
                batch_size=config.batch_size,
            )
        case _:
            assert_never(config)


def _network_source(
    name: str, config: m.HttpSource | m.SyslogSource | m.StatsdSource, *, ids: IdFactory, clock: Clock
) -> EventSource:
    host, port = split_address(config.address)
    match config:
        case m.HttpSource():
            from pipeflow.infrastructure.sources.http import (
                HttpSource as HttpSourceAdapter,  # uvicorn: slow import
            )

            return HttpSourceAdapter(name, host, port, format=config.format, ids=ids, clock=clock)
        case m.SyslogSource():
            from pipeflow.infrastructure.sources.syslog import SyslogSource as SyslogSourceAdapter

            return SyslogSourceAdapter(name, host, port, protocol=config.protocol, ids=ids, clock=clock)
        case m.StatsdSource():
            from pipeflow.infrastructure.sources.statsd import StatsdSource as StatsdSourceAdapter

            return StatsdSourceAdapter(name, host, port, ids=ids, clock=clock)
        case _:
            assert_never(config)


def build_otlp_receiver(
    name: str,
    *,
    ids: IdFactory,
    clock: Clock,
    max_events: int,
    max_body_bytes: int,
    ack_timeout_s: float,
    retry_after_s: int,
) -> OtlpReceiver:
    """``serve``'s ``otlp`` source ``name``: OTLP/HTTP answered in front of an ingest queue (its source)."""
    from pipeflow.infrastructure.otlp.receiver import OtlpReceiver  # optional extra
    from pipeflow.infrastructure.sources.ingest import IngestSource

    queue = IngestSource(name, ids=ids, clock=clock, max_events=max_events)
    return OtlpReceiver(
        queue,
        ids=ids,
        clock=clock,
        max_body_bytes=max_body_bytes,
        ack_timeout_s=ack_timeout_s,
        retry_after_s=retry_after_s,
    )


def split_address(address: str) -> tuple[str, int]:
    """``host:port`` (or ``[v6]:port``, or ``:port`` for 127.0.0.1) as a pair.

    >>> split_address("0.0.0.0:514"), split_address(":8125"), split_address("[::1]:80")
    (('0.0.0.0', 514), ('127.0.0.1', 8125), ('::1', 80))
    """
    host, _, port = address.rpartition(":")
    host = host.strip("[]") or "127.0.0.1"
    return host, int(port)


__all__ = ["RAW_BATCH_LINES", "build_otlp_receiver", "build_source", "split_address"]
