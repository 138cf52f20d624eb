"""Building adapters from config models: one place that maps each ``type`` to its constructor.

Adapters are imported inside their branches, all but the file source and sink: ``uvicorn``,
``starlette`` and ``httpx`` take longer to import than a small run takes, most runs read files, and
every module ``run`` imports counts in its start-up (docs/performance.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, BinaryIO, assert_never

from pipeflow.domain.ports import Clock, EventSink, EventSource, IdFactory
from pipeflow.domain.sink_recovery import SinkCommit
from pipeflow.infrastructure.actors.gather import Gather
from pipeflow.infrastructure.sinks.file import FileSink as FileSinkAdapter
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


def build_sink(
    name: str,
    config: m.SinkConfig,
    *,
    clock: Clock,
    stdout: BinaryIO | None,
    exact: bool = False,
    committed: SinkCommit | None = None,
) -> EventSink:
    """The sink adapter for ``config`` (a file sink ``exact``ly once, from its ``committed`` length)."""
    match config:
        case m.FileSink():
            return FileSinkAdapter(
                name, config.path, fsync=config.fsync, clock=clock, exact=exact, committed=committed
            )
        case m.StdoutSink():
            from pipeflow.infrastructure.sinks.stdout import StdoutSink as StdoutSinkAdapter

            return StdoutSinkAdapter(name, stream=stdout)
        case m.HttpSink():
            from pipeflow.infrastructure.sinks.http import HttpSink as HttpSinkAdapter  # httpx: slow import

            return HttpSinkAdapter(
                name,
                config.url,
                headers=config.headers,
                batch_size=config.batch_size,
                timeout_s=config.timeout_s,
            )
        case m.SqliteSink():
            from pipeflow.infrastructure.sinks.sqlite import SqliteSink as SqliteSinkAdapter

            return SqliteSinkAdapter(name, config.path, table=config.table, clock=clock)
        case m.KafkaSink():
            from pipeflow.infrastructure.sinks.kafka import KafkaSink as KafkaSinkAdapter  # optional extra

            return KafkaSinkAdapter(
                name, config.bootstrap_servers, config.topic, key=config.key, timeout_s=config.timeout_s
            )
        case m.NatsSink():
            from pipeflow.infrastructure.sinks.nats import NatsSink as NatsSinkAdapter  # optional extra

            return NatsSinkAdapter(
                name, config.url, config.subject, stream=config.stream, timeout_s=config.timeout_s
            )
        case m.PostgresSink():
            from pipeflow.infrastructure.sinks.postgres import (
                PostgresSink as PostgresSinkAdapter,  # optional extra: psycopg
            )

            return PostgresSinkAdapter(name, config.url, table=config.table, clock=clock)
        case m.S3Sink():
            from pipeflow.infrastructure.sinks.s3 import S3Sink as S3SinkAdapter  # boto3 on open

            return S3SinkAdapter(
                name,
                config.bucket,
                clock=clock,
                key_prefix=config.key_prefix,
                endpoint_url=config.endpoint_url,
                region=config.region,
                compression=config.compression,
            )
        case m.ElasticsearchSink():
            return _elasticsearch_sink(name, config, clock=clock)
        case m.OtlpSink():
            from pipeflow.infrastructure.sinks.otlp import OtlpSink as OtlpSinkAdapter  # optional extra

            return OtlpSinkAdapter(
                name,
                config.url,
                signal=config.signal,
                headers=config.headers,
                batch_size=config.batch_size,
                timeout_s=config.timeout_s,
            )
        case m.PrometheusRemoteWriteSink() | m.PrometheusExporterSink():
            return _prometheus_sink(name, config, clock=clock)
        case _:
            assert_never(config)


def _elasticsearch_sink(name: str, config: m.ElasticsearchSink, *, clock: Clock) -> EventSink:
    # imported here: httpx is a slow import
    from pipeflow.infrastructure.sinks.elasticsearch import ElasticsearchSink as ElasticsearchSinkAdapter
    from pipeflow.infrastructure.sinks.elasticsearch import auth_header

    match config.auth:
        case m.BasicAuth(user=user, password=password):
            authorization = auth_header(user=user, password=password)
        case m.ApiKeyAuth(api_key=api_key):
            authorization = auth_header(api_key=api_key)
        case None:
            authorization = None
    return ElasticsearchSinkAdapter(
        name,
        config.url,
        clock=clock,
        index=config.index,
        authorization=authorization,
        compression=config.compression,
        batch_size=config.batch_size,
        timeout_s=config.timeout_s,
        pipeline=config.pipeline,
        item_retries=config.item_retries,
    )


def _prometheus_sink(
    name: str, config: m.PrometheusRemoteWriteSink | m.PrometheusExporterSink, *, clock: Clock
) -> EventSink:
    from pipeflow.domain.metric_samples import SampleFields

    fields = SampleFields(config.name_field, config.value_field, config.labels_field)
    match config:
        case m.PrometheusRemoteWriteSink():
            from pipeflow.infrastructure.sinks.prometheus_remote_write import (  # optional extra
                PrometheusRemoteWriteSink,
            )

            return PrometheusRemoteWriteSink(
                name,
                config.url,
                clock=clock,
                fields=SampleFields(fields.name, fields.value, fields.labels, config.timestamp_field),
                headers=config.headers,
                batch_size=config.batch_size,
                timeout_s=config.timeout_s,
            )
        case m.PrometheusExporterSink():
            from pipeflow.infrastructure.sinks.prometheus_exporter import PrometheusExporterSink

            host, port = split_address(config.address)
            return PrometheusExporterSink(
                name, host, port, clock=clock, fields=fields, expire_s=config.expire_s
            )
        case _:
            assert_never(config)


def sink_gather(config: m.SinkConfig) -> Gather | None:
    """How the sink actor gathers writes for ``config``'s sink: S3 objects by size and age, else not."""
    if config.type == "s3" and isinstance(config, m.S3Sink):  # (the model is imported for s3 only)
        return Gather(max_bytes=config.max_bytes, max_age_s=config.max_age_s)
    return None


__all__ = [
    "RAW_BATCH_LINES",
    "build_otlp_receiver",
    "build_sink",
    "build_source",
    "sink_gather",
    "split_address",
]
