"""Building sink adapters from config models: one place that maps each sink ``type`` to its
constructor (sources: ``adapters``).

Adapters are imported inside their branches, all but the file sink: ``httpx``, ``boto3`` and
``psycopg`` take longer to import than a small run takes, and every module ``run`` imports counts
in its start-up (docs/performance.md).
"""

from __future__ import annotations

from typing import BinaryIO, assert_never

from pipeflow.domain.ports import Clock, EventSink
from pipeflow.domain.sink_recovery import SinkCommit
from pipeflow.infrastructure.actors.gather import Gather
from pipeflow.infrastructure.sinks.file import FileSink as FileSinkAdapter
from pipeflow.interfaces.bootstrap.adapters import split_address
from pipeflow.interfaces.config import models as m


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
                format=config.format,
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


__all__ = ["build_sink", "sink_gather"]
