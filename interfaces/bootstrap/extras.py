"""Sources and sinks that need an optional extra: a config naming one is checked when it loads.

``pip install pipeflow`` leaves out the drivers of Kafka, NATS, PostgreSQL, S3, Prometheus's
remote write and OpenTelemetry (design move 23: feature-gated modules). A config that names such
a source or sink on a machine without its extra gets a problem at the ``type`` that says what to
install (exit 2 from ``validate`` and ``run``), not a traceback when the adapter is built.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from typing import Final

from returns.result import Failure, Result, Success

from pipeflow.domain.errors import Problems
from pipeflow.interfaces.config.loader import LoadedConfig
from pipeflow.interfaces.config.problems import located

__all__ = ["NEEDS", "NEEDS_FORMAT", "check_extras", "missing_extras"]

NEEDS: Final[dict[tuple[str, str], tuple[str, tuple[str, ...]]]] = {
    ("sources", "kafka"): ("kafka", ("aiokafka",)),
    ("sinks", "kafka"): ("kafka", ("aiokafka",)),
    ("sources", "nats"): ("nats", ("nats",)),
    ("sinks", "nats"): ("nats", ("nats",)),
    ("sinks", "postgres"): ("postgres", ("psycopg",)),
    ("sinks", "s3"): ("s3", ("boto3",)),
    ("sinks", "prometheus_remote_write"): (
        "prometheus",
        ("cramjam", "opentelemetry.exporter.prometheus_remote_write"),
    ),
    ("sources", "otlp"): ("otlp", ("opentelemetry.proto", "google.protobuf")),
    ("sinks", "otlp"): ("otlp", ("opentelemetry.proto", "google.protobuf")),
}
"""Per (section, type): the extra to install and the modules it provides."""

NEEDS_FORMAT: Final[dict[tuple[str, str, str], tuple[str, tuple[str, ...]]]] = {
    ("sinks", "s3", "parquet"): ("parquet", ("pyarrow",)),
}
"""Per (section, type, format): what a format of that type needs on top."""


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package is missing, or broken
        return False


def missing_extras(loaded: LoadedConfig, installed: Callable[[str], bool] = _installed) -> Problems:
    """A problem at each source's or sink's ``type`` whose extra is not installed."""
    config, found = loaded.config, []
    for section, parts in (("sources", config.sources), ("sinks", config.sinks)):
        for name, part in parts.items():
            format_ = getattr(part, "format", None)
            needs = [
                (NEEDS.get((section, part.type)), "type", f"the {part.type} {section[:-1]}"),
                (NEEDS_FORMAT.get((section, part.type, str(format_))), "format", f"format: {format_}"),
            ]
            for need, field, what in needs:
                if need is None:
                    continue
                extra, modules = need
                absent = [m for m in modules if not installed(m)]
                if absent:
                    message = (
                        f"{what} needs an optional extra: "
                        f"pip install 'pipeflow[{extra}]' (missing: {', '.join(absent)})"
                    )
                    found.append(located(loaded.document, (section, name, field), message))
    return tuple(found)


def check_extras(loaded: LoadedConfig) -> Result[LoadedConfig, Problems]:
    """``loaded``, or the problems of the extras it needs and lacks."""
    problems = missing_extras(loaded)
    return Failure(problems) if problems else Success(loaded)
