"""The load generator of ``bench/otlp_w1.py``: OTLP/HTTP log exports POSTed to ``/otlp/<source>/v1/logs``.

Runs as a process of its own, like ``bench/ingest_client.py`` (whose connections, start line and
report it reuses: ``drive``). It reads the first ``-n`` lines of the W1 input and makes each line
one OTLP ``LogRecord`` (``log_record``: ``ts`` the time, ``level`` the severity, ``message`` the
body, the other fields attributes), ``--records`` of them per ``ExportLogsServiceRequest``
(protobuf, built with ``opentelemetry-proto``), then sends them as ``ingest_client`` sends NDJSON:
each connection its next request after the previous one's 200 (a 429 or 503 is resent after its
``Retry-After``). A 200's ``ExportLogsServiceResponse`` says how many records were rejected.

Usage: ``python bench/otlp_client.py --url URL --token T --source otlp --input FILE -n N``
"""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

import httpx
import orjson
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import (
    ExportLogsServiceRequest,
    ExportLogsServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue, KeyValueList
from opentelemetry.proto.logs.v1.logs_pb2 import LogRecord, ResourceLogs, ScopeLogs
from opentelemetry.proto.resource.v1.resource_pb2 import Resource

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ingest_client import drive

SEVERITY = {"debug": 5, "info": 9, "warn": 13, "error": 17}
"""OTLP severity numbers of the W1 levels (DEBUG, INFO, WARN, ERROR)."""
BODY, TIME, LEVEL = "message", "ts", "level"


def any_value(x: object) -> AnyValue:
    """A JSON value as an OTLP ``AnyValue`` (objects as key-value lists)."""
    if isinstance(x, bool):
        return AnyValue(bool_value=x)
    if isinstance(x, int):
        return AnyValue(int_value=x)
    if isinstance(x, float):
        return AnyValue(double_value=x)
    if isinstance(x, str):
        return AnyValue(string_value=x)
    if isinstance(x, dict):
        return AnyValue(kvlist_value=KeyValueList(values=key_values(x)))
    raise TypeError(f"no AnyValue for {type(x).__name__} in the W1 input")


def key_values(fields: dict[str, object]) -> list[KeyValue]:
    """An object as OTLP attributes (null values left out, as OTLP has no null attribute)."""
    return [KeyValue(key=k, value=any_value(v)) for k, v in fields.items() if v is not None]


def log_record(event: dict[str, object]) -> LogRecord:
    """One W1 event as a log record: its time, severity, body, and the other fields as attributes."""
    when = datetime.fromisoformat(str(event[TIME]).replace("Z", "+00:00"))
    level = str(event[LEVEL])
    rest = {k: v for k, v in event.items() if k not in (TIME, LEVEL, BODY)}
    return LogRecord(
        time_unix_nano=round(when.timestamp() * 1000) * 1_000_000,
        severity_text=level,
        severity_number=SEVERITY.get(level, 0),  # type: ignore[arg-type]
        body=any_value(event[BODY]),
        attributes=key_values(rest),
    )


def export_requests(path: Path, n: int, records: int) -> list[ExportLogsServiceRequest]:
    """The first ``n`` lines of ``path``, ``records`` log records per request (the last may be short)."""
    with path.open("rb") as fh:
        logs = [log_record(orjson.loads(line)) for _, line in zip(range(n), fh, strict=False)]
    resource = Resource(attributes=key_values({"service.name": "w1"}))
    return [
        ExportLogsServiceRequest(
            resource_logs=[
                ResourceLogs(resource=resource, scope_logs=[ScopeLogs(log_records=logs[i : i + records])])
            ]
        )
        for i in range(0, len(logs), records)
    ]


def main(argv: list[str] | None = None) -> int:
    """Build the export requests, then send them as ``ingest_client`` sends bodies; print the report."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--url", required=True, help="base URL of the server, e.g. http://127.0.0.1:3000")
    ap.add_argument("--token", required=True, help="the bearer token")
    ap.add_argument("--source", default="otlp", help="the otlp source to export into")
    ap.add_argument("--input", type=Path, required=True, help="W1 NDJSON input")
    ap.add_argument("-n", type=int, required=True, help="lines of the input to send")
    ap.add_argument("--records", type=int, default=512, help="log records per request (default 512)")
    ap.add_argument("--connections", type=int, default=4, help="keep-alive connections (default 4)")
    args = ap.parse_args(argv)
    requests = export_requests(args.input, args.n, args.records)
    sizes = [sum(len(s.log_records) for r in q.resource_logs for s in r.scope_logs) for q in requests]

    def counted(answer: httpx.Response, k: int) -> tuple[int, int]:
        refused = ExportLogsServiceResponse.FromString(answer.content).partial_success.rejected_log_records
        return sizes[k] - refused, 0

    payloads = [q.SerializeToString() for q in requests]
    path = f"/otlp/{args.source}/v1/logs"
    return drive(
        args.url, args.token, path, "application/x-protobuf", payloads, args.connections, 200, counted
    )


if __name__ == "__main__":
    sys.exit(main())
