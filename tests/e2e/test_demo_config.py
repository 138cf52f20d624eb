"""The demo config (``make demo``): its tests pass; its grok pipeline parses every ZooKeeper line."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from pipeflow.interfaces.bootstrap import bootstrap
from tests.e2e.conftest import read_ndjson, run_in_process
from tests.property.test_throttle_dedupe_laws import throttle_model

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo"


def demo_copy(tmp_path: Path) -> Path:
    """The demo's config and logs in ``tmp_path`` (so a run leaves nothing in the checkout)."""
    shutil.copy(DEMO / "pipeflow.yaml", tmp_path / "pipeflow.yaml")
    shutil.copytree(DEMO / "logs", tmp_path / "logs")
    return tmp_path / "pipeflow.yaml"


def test_the_demo_config_tests_pass(tmp_path: Path) -> None:
    app = bootstrap()
    loaded = app.load(str(demo_copy(tmp_path))).unwrap()
    results = app.run_config_tests(loaded)
    assert len(results) == 4
    assert [r for r in results if not r.passed] == []


async def test_the_demo_groks_every_zookeeper_line_and_throttles_the_warnings(tmp_path: Path) -> None:
    outcome = await run_in_process(demo_copy(tmp_path))
    summary = outcome.summary()
    java = (DEMO / "logs" / "JavaApp.log").read_text(encoding="utf-8").splitlines()
    java_events = sum(1 for line in java if line[:4].isdigit())  # a dated line begins an event
    assert summary["events_in"] == 6000 + java_events
    assert summary["dead_lettered"] == summary["unmatched"] == 0

    lines = (DEMO / "logs" / "Zookeeper_2k.log").read_text(encoding="utf-8").splitlines()
    levels = Counter(line.split(" - ")[1].split()[0] for line in lines)
    archive = read_ndjson(tmp_path / "out" / "archive.ndjson")
    archived = [e for e in archive if e.get("service") == "zookeeper"]
    alerts = read_ndjson(tmp_path / "out" / "zookeeper_alerts.ndjson")
    # Every line was parsed (no raw message is left) and every INFO line was archived.
    assert len(archived) == levels["INFO"]
    assert all("message" not in e and e["@timestamp"].endswith("Z") for e in archived + alerts)
    assert all(isinstance(e["line"], int) for e in archived + alerts)
    # Warnings and errors: what throttle let through plus what it dropped is all of them.
    assert len(alerts) + summary["dropped"] == levels["WARN"] + levels["ERROR"]
    # And exactly those the throttle's model keeps, read from the raw lines without grok.
    warnings = [line for line in lines if " - INFO " not in line]
    rows = [(component(line), epoch(line[:23])) for line in warnings]
    kept = throttle_model(3, 60.0, rows)
    assert [(e["component"], e["@timestamp"]) for e in alerts] == [
        (key, iso(t)) for (key, t), ok in zip(rows, kept, strict=True) if ok
    ]


def component(line: str) -> str:
    found = re.search(r":([\w$.]+)@\d+\] - ", line)
    assert found, line
    return found.group(1)


def epoch(text: str) -> float:
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S,%f").replace(tzinfo=UTC).timestamp()


def iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


async def test_the_demo_joins_each_java_stack_trace_into_one_event(tmp_path: Path) -> None:
    await run_in_process(demo_copy(tmp_path))
    lines = (DEMO / "logs" / "JavaApp.log").read_text(encoding="utf-8").splitlines()
    starts = [i for i, line in enumerate(lines) if line[:4].isdigit()]
    events = ["\n".join(lines[a:b]) for a, b in zip(starts, [*starts[1:], len(lines)], strict=True)]
    errors = read_ndjson(tmp_path / "out" / "java_errors.ndjson")
    assert [e["message"] for e in errors] == [e for e in events if " ERROR " in e.split("\n")[0]]
    assert all(e["frames"] == e["message"].count("\n") for e in errors)
    assert all(e["cause"] == "java.net.SocketTimeoutException" for e in errors)
    archived = [e for e in read_ndjson(tmp_path / "out" / "archive.ndjson") if e.get("service") == "javaapp"]
    assert len(archived) + len(errors) == len(events)
