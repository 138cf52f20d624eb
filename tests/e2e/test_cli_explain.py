"""``pipeflow explain CONFIG --event JSON``: the trace of one event, as JSON on stdout."""

from __future__ import annotations

import json
from pathlib import Path

from pipeflow.interfaces.bootstrap import bootstrap
from tests.e2e.conftest import cli, no_traceback

FIXTURES = Path(__file__).parent.parent / "fixtures" / "e2e"


def test_explain_prints_routes_steps_and_sinks_as_json() -> None:
    done = cli("explain", "good.yaml", "--event", '{"level": "error", "message": "code 42"}', cwd=FIXTURES)

    assert done.returncode == 0, done.stderr.decode()
    trace = json.loads(done.stdout)
    assert trace["event"] == {"level": "error", "message": "code 42"}
    assert trace["unmatched"] is False
    audit, errors = trace["routes"]  # "errors" is final: "rest" is never tried
    assert (audit["name"], audit["matched"], audit["steps"]) == ("audit", True, [])
    assert audit["sinks"] == {"audit": [{"level": "error", "message": "code 42"}]}
    assert (errors["name"], errors["matched"]) == ("errors", True)
    assert [(s["index"], s["type"], s["outcome"]) for s in errors["steps"]] == [
        (0, "drop", "pass"),
        (1, "mask", "pass"),
        (2, "eval", "pass"),
    ]
    assert errors["steps"][1]["events"] == [{"level": "error", "message": "code #"}]
    masked = {"level": "error", "message": "code #", "seen": True}
    assert errors["sinks"] == {"errors": [masked], "errors_copy": [masked]}


def test_explain_shows_a_drop_and_routes_that_did_not_match() -> None:
    done = cli("explain", "good.yaml", "--event", '{"level": "debug"}', "--format", "json", cwd=FIXTURES)

    assert done.returncode == 0, done.stderr.decode()
    trace = json.loads(done.stdout)
    assert [(r["name"], r["matched"]) for r in trace["routes"]] == [
        ("audit", False),
        ("errors", False),
        ("rest", True),
    ]
    [drop] = trace["routes"][2]["steps"]
    assert (drop["type"], drop["outcome"], drop["events"]) == ("drop", "drop", [])
    assert drop["reason"] == 'dropped by a drop function (filter: level == "debug")'
    assert trace["routes"][2]["sinks"] == {"rest": []}


def test_explain_rejects_an_event_that_is_not_a_json_object() -> None:
    for bad, message in (("[1]", b"must be a JSON object"), ("{bad", b"invalid JSON")):
        done = cli("explain", "good.yaml", "--event", bad, cwd=FIXTURES)
        assert done.returncode == 2
        assert message in done.stderr
        no_traceback(done.stderr)


def test_explain_marks_an_event_that_no_route_takes() -> None:
    app = bootstrap()
    loaded = app.load(str(FIXTURES / "good.yaml")).unwrap()

    trace = app.explain(loaded, {"level": "trace"})

    assert trace["unmatched"] is True
    assert trace["routes"] == [
        {"name": "audit", "matched": False},
        {"name": "errors", "matched": False},
        {"name": "rest", "matched": False},
    ]


def test_explain_prints_an_event_holding_a_lone_surrogate() -> None:
    """Regression: JSON text may escape a lone surrogate, which has no UTF-8: explain crashed."""
    for fmt in ("json", "text"):
        done = cli(
            "explain",
            "good.yaml",
            "--event",
            '{"level": "info", "s": "\\ud800"}',
            "--format",
            fmt,
            cwd=FIXTURES,
        )
        assert done.returncode == 0, done.stderr.decode()
        assert b"\\\\ud800" in done.stdout or b"\\ud800" in done.stdout
