"""``pipeflow run`` imports only what the command and its config use (start-up time, issue 16).

Not a timing test: the console script runs on an empty input in a child process that writes the
names in ``sys.modules`` as it leaves (``python -X importtime`` would miss the modules imported
with ``importlib.import_module``: plugins, source and sink models, lazy names). A file-to-file
run must not import the HTTP
server, network clients and drivers, the worker pool, the other commands' modules, source and sink
models or adapters the config does not name, functions it does not use, or the expression
functions no expression calls (docs/performance.md, "Start-up").
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.conftest import PIPEFLOW, RUN_TIMEOUT_S, write_config

NEVER = (
    # third-party: servers, clients, drivers, optional extras
    "fastapi",
    "starlette",
    "uvicorn",
    "httpx",
    "httpcore",
    "boto3",
    "botocore",
    "psycopg",
    "re2",
    "aiokafka",
    "nats",
    "prometheus_client",
    "opentelemetry",
    "google.protobuf",
    "multiprocessing",
    # ours: other commands, serve, the worker pool, the reference tooling
    "pipeflow.interfaces.http",
    "pipeflow.interfaces.cli.dlq",
    "pipeflow.interfaces.cli.serve",
    "pipeflow.interfaces.cli.tap",
    "pipeflow.interfaces.bootstrap.serve",
    "pipeflow.interfaces.bootstrap.console",
    "pipeflow.interfaces.bootstrap.dlq",
    "pipeflow.interfaces.bootstrap.reload",
    "pipeflow.interfaces.config.reference",
    "pipeflow.infrastructure.workers.pool",
    "pipeflow.application.config_tests",
    "pipeflow.domain.trace",
    "pipeflow.domain.filter.reference",
    # ours: what this config does not name
    "pipeflow.interfaces.config.sources",
    "pipeflow.interfaces.config.sinks",
    "pipeflow.infrastructure.sources.stdin",
    "pipeflow.infrastructure.sources.http",
    "pipeflow.infrastructure.sinks.sqlite",
    "pipeflow.infrastructure.sinks.stdout",
    "pipeflow.infrastructure.sinks.http",
    "pipeflow.infrastructure.actors.disk_buffer",
    "pipeflow.infrastructure.sources.multiline",
    "pipeflow.domain.multiline",
    "pipeflow.domain.filter.fn_text",
    "pipeflow.domain.filter.fn_time",
    "pipeflow.domain.filter.fn_codec",
    "pipeflow.domain.filter.fn_data",
    "pipeflow.domain.parsers",
    "pipeflow.infrastructure.functions.grok",
    "pipeflow.infrastructure.functions.parse",
    "pipeflow.infrastructure.functions.window",
)
"""Module names (and the packages under them) a file-to-file ``run`` must not import."""

_REPORT = """
import json, os, runpy, sys
report, leave = sys.argv[1], os._exit
sys.argv = sys.argv[2:]  # the console script, then its arguments

def _leave(code):
    with open(report, "w") as fh:
        json.dump(sorted(sys.modules), fh)
    leave(code)

os._exit = _leave  # the console script's entry() leaves with os._exit once its work is done
runpy.run_path(sys.argv[0], run_name="__main__")
"""

FILES = """
    state_dir: state
    sources:
      app: {type: file, path: empty.ndjson}
    sinks:
      out: {type: file, path: out.ndjson, fsync: false}
    routes:
      - {name: all, filter: 'true', sink: out}
"""

W1 = """
    state_dir: state
    sources:
      app: {type: file, path: empty.ndjson, format: ndjson}
    pipelines:
      scrub:
        functions:
          - {type: drop, filter: 'level == "debug"'}
          - {type: mask, field: message, pattern: '[a-z]+@[a-z.]+', replacement: '<redacted>'}
          - {type: regex_extract, field: message, pattern: 'user_id=(?P<user_id>\\d+)'}
          - {type: eval, field: _ingested_at, expression: '"2024-06-01T00:00:00Z"'}
    sinks:
      errors: {type: file, path: errors.ndjson, fsync: false}
      rest: {type: file, path: rest.ndjson, fsync: false}
    routes:
      - {name: errors, filter: 'level == "error" or status >= 500', pipeline: scrub, sink: errors}
      - {name: rest, filter: 'true', pipeline: scrub, sink: rest}
"""


def imported_by_run(tmp_path: Path, config_text: str) -> set[str]:
    """The modules the console script imports for ``pipeflow run`` of the config on an empty input."""
    (tmp_path / "empty.ndjson").write_bytes(b"")
    config = write_config(tmp_path, config_text)
    report = tmp_path / "modules.json"
    done = subprocess.run(
        [sys.executable, "-c", _REPORT, str(report), PIPEFLOW, "run", str(config), "--quiet"],
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return set(json.loads(report.read_text(encoding="utf-8")))


def _unwanted(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if any(m == n or m.startswith(f"{n}.") for n in NEVER))


@pytest.mark.parametrize("config_text", [FILES, W1], ids=["file-to-file", "w1"])
def test_a_file_to_file_run_imports_only_what_it_uses(tmp_path: Path, config_text: str) -> None:
    modules = imported_by_run(tmp_path, config_text)
    # the run did happen, through the fast path, from a config validated by its models
    assert {"pipeflow.infrastructure.fastpath.planner", "pipeflow.interfaces.config.file_sink"} <= modules
    assert _unwanted(modules) == []


def test_the_functions_a_config_does_not_use_are_not_imported(tmp_path: Path) -> None:
    (tmp_path / "files").mkdir()
    (tmp_path / "w1").mkdir()
    files = imported_by_run(tmp_path / "files", FILES)
    w1 = imported_by_run(tmp_path / "w1", W1)
    builtin = "pipeflow.infrastructure.functions."
    assert sorted(m for m in files if m.startswith(builtin)) == []
    used = {f"{builtin}{name}" for name in ("drop", "mask", "regex_extract", "eval")}
    assert used <= w1
    assert sorted(m for m in w1 if m.startswith(builtin)) == sorted(
        {*used, f"{builtin}base", f"{builtin}checks"}
    )
