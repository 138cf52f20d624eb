"""The OTLP ingest benchmark (``bench/otlp_w1.py``, ``make bench-otlp``) runs end to end on a tiny
input, and its config and records mean what the NDJSON side means."""

from __future__ import annotations

import argparse
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import orjson
import yaml

from pipeflow.infrastructure.otlp.read import read_logs

ROOT = Path(__file__).resolve().parents[2]


def _load(name: str) -> ModuleType:
    sys.path.insert(0, str(ROOT / "bench"))
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault(name, module)  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_a_tiny_run_prints_both_rows_and_the_ratio_and_the_outputs_agree(tmp_path: Path) -> None:
    argv = [sys.executable, str(ROOT / "bench" / "otlp_w1.py"), "-n", "1500", "--rounds", "1"]
    argv += ["--records", "128", "--data", str(tmp_path / "data"), "--results", str(tmp_path / "res")]
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr
    table = (tmp_path / "res" / "otlp_last.md").read_text()
    assert table in done.stdout
    rows = {line.split("|")[1].strip(): line for line in table.splitlines() if line.startswith("| ")}
    otlp = [c.strip() for c in rows["OTLP/HTTP protobuf"].split("|")[1:-1]]
    ndjson = [c.strip() for c in rows["/ingest NDJSON"].split("|")[1:-1]]
    assert otlp[4:] == ["the same events as /ingest's: IDENTICAL(strict)", "ok"]
    assert ndjson[4:] == ["reference", "ok"]
    for cells in (otlp, ndjson):
        assert float(cells[1].replace(",", "")) > 0  # events/s
        assert float(cells[3]) > 0  # server CPU µs per record
    ratio = [c.strip() for c in rows["OTLP ÷ NDJSON"].split("|")[1:-1]]
    measured = float(otlp[3]) / float(ndjson[3])
    assert abs(float(ratio[3].removesuffix("x")) - measured) <= 0.01 + 0.01 * measured


def test_outputs_that_differ_or_a_refused_request_fail_the_run() -> None:
    bench = _load("otlp_w1")

    def args(problems: list[str]) -> argparse.Namespace:
        series = {k: bench.Series(k, [1.0], [2.0], [0.1], [0]) for k in ("otlp", "ndjson")}
        series["otlp"].problems.extend(problems)
        return argparse.Namespace(n=1000, records=512, connections=4, rounds=1, series=series)

    table, ok = bench.render(args([]), ["IDENTICAL(strict)"])
    assert ok
    assert "| OTLP ÷ NDJSON | 1.00x | - | 1.00x | - | - |" in table
    table, ok = bench.render(args([]), ["DIFFERENT"])
    assert not ok
    assert "the same events as /ingest's: DIFFERENT" in table
    table, ok = bench.render(args(["1/2 answered"]), ["IDENTICAL(strict)"])
    assert not ok
    assert "1/2 answered" in table


def test_the_config_is_w1_on_the_otlp_field_names(tmp_path: Path) -> None:
    bench = _load("otlp_w1")
    cfg = bench.write_otlp_config(
        ROOT / "bench" / "w1.yaml", tmp_path / "c.yaml", tmp_path / "o", tmp_path / "s"
    )
    config = yaml.safe_load(cfg.read_text())
    assert config["sources"] == {"otlp": {"type": "otlp"}, "web": {"type": "http", "format": "ndjson"}}
    functions = config["pipelines"]["scrub"]["functions"]
    assert functions[0]["filter"] == 'severity_text == "debug"'
    assert [f.get("field") for f in functions] == [None, "body", "body", "body", "_ingested_at"]
    assert config["routes"][0]["filter"] == 'severity_text == "error" or attributes.status >= 500'
    assert config["sinks"]["errors"]["path"] == str(tmp_path / "o" / "errors.ndjson")


def test_a_w1_line_becomes_a_log_record_the_otlp_source_reads_back(tmp_path: Path) -> None:
    client = _load("otlp_client")
    line = {
        "ts": "2024-05-01T00:00:01.309Z",
        "level": "error",
        "service": "auth",
        "status": 503,
        "latency_ms": 17.5,
        "user": {"email": "a@b.io", "id": 7},
        "message": "GET / -> 503 user_id=1 action=view",
    }
    inp = tmp_path / "in.ndjson"
    inp.write_bytes(b"".join(orjson.dumps(x) + b"\n" for x in [line, {**line, "level": "debug"}] * 3))
    requests = client.export_requests(inp, 5, 2)
    assert [len(q.resource_logs[0].scope_logs[0].log_records) for q in requests] == [2, 2, 1]
    fields = read_logs(requests[0]).records[0]
    assert fields["timestamp"] == "2024-05-01T00:00:01.309000000Z"  # nanoseconds, as the source writes
    assert (fields["severity_text"], fields["severity_number"], fields["body"]) == (
        "error",
        17,
        line["message"],
    )
    assert fields["attributes"] == {
        "service": "auth",
        "status": 503,
        "latency_ms": 17.5,
        "user": line["user"],
    }
    assert fields["resource"] == {"service.name": "w1"}
