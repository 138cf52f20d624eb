"""The console's files and endpoints over HTTP, without a browser: auth, CSP, what is served."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio

from tests.e2e.serve_support import Served, served


async def test_the_page_is_served_without_the_token_with_a_strict_csp(tmp_path: Path) -> None:
    async with served(tmp_path) as s:
        page = await s.anonymous.get("/ui")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        csp = page.headers["content-security-policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        assert '<script type="module" src="/ui/app.js">' in page.text
        assert "<script>" not in page.text
        assert " style=" not in page.text
        script = await s.anonymous.get("/ui/app.js")
        assert script.headers["content-type"].startswith("text/javascript")
        assert (await s.anonymous.get("/ui/nothing.js")).status_code == 404
        vendored = await s.anonymous.get("/ui/vendor/js-yaml.mjs")
        assert vendored.status_code == 200
        assert vendored.headers["content-type"].startswith("text/javascript")
        assert vendored.text.startswith("/*! js-yaml ")
        assert "export {" in vendored.text
        assert (await s.anonymous.get("/ui/vendor/js-yaml.LICENSE")).status_code == 404
        assert (await s.anonymous.get("/ui/vendor/app.js")).status_code == 404
        assert (await s.anonymous.get("/ui/..%2Fapp.py")).status_code == 404
        assert (await s.anonymous.get("/ui-not/app.js")).status_code == 401
        assert (await s.anonymous.get("/plugins")).status_code == 401
        assert (await s.anonymous.get("/dead-letters")).status_code == 401


async def test_plugins_explain_and_a_dead_letter_queue_that_is_a_sink(tmp_path: Path) -> None:
    async with served(tmp_path) as s:
        plugins = (await s.client.get("/plugins")).json()
        mask = next(f for f in plugins["functions"] if f["name"] == "mask")
        assert mask["required"] == ["field", "pattern"]
        assert mask["schema"]["properties"]["pattern"]["type"] == "string"
        got = await s.client.post("/explain", json={"events": [{"x": 1}]})
        trace = got.json()["traces"][0]
        assert trace["routes"][0]["name"] == "all"
        assert [step["events"] for step in trace["routes"][0]["steps"]] == [
            [{"x": 1, "a": 1}],
            [{"x": 1, "a": 1, "b": 1}],
        ]
        assert trace["routes"][0]["sinks"] == {"out": [{"x": 1, "a": 1, "b": 1}]}
        assert not (tmp_path / "out.ndjson").exists()  # nothing written
        listed = await s.client.get("/dead-letters")  # STAMP sends dead letters to a file sink
        assert listed.status_code == 404
        assert "dead_letter sink" in listed.json()["message"]


SINK_DOWN = """
state_dir: state
sources:
  web: {type: http}
sinks:
  out: {type: file, path: out/events.ndjson, retry: {attempts: 1, backoff_ms: 0}}
routes:
  - {name: all, sink: out}
"""
"""A config whose file sink fails while ``out/events.ndjson`` is a folder; dead letters in the state db."""


async def test_a_sink_failure_is_replayed_straight_to_its_sink(tmp_path: Path) -> None:
    (tmp_path / "out" / "events.ndjson").mkdir(parents=True)  # the sink cannot open its file
    async with served(tmp_path, SINK_DOWN) as s:
        sent = await s.client.post("/ingest/web", content=b'{"n": 1}\n{"n": 2}\n')
        assert sent.status_code == 202  # dead-lettered is delivered
        listed = (await s.client.get("/dead-letters")).json()
        assert [r["record"]["stage"] for r in listed["items"]] == ["sink:out", "sink:out"]
        (tmp_path / "out" / "events.ndjson").rmdir()  # the sink can write again
        seqs = [r["seq"] for r in listed["items"]]
        replay = (await s.client.post("/dead-letters/replay", json={"seqs": seqs})).json()
        assert replay == {"replayed": seqs, "kept": []}
        assert (await s.client.get("/dead-letters")).json()["total"] == 0
    written = (tmp_path / "out" / "events.ndjson").read_text(encoding="utf-8").splitlines()
    assert [json.loads(line) for line in written] == [{"n": 1}, {"n": 2}]


FILE_SOURCE = """
state_dir: state
sources:
  app: {type: file, path: in.ndjson, follow: true}
pipelines:
  p:
    functions:
      - {type: parse, field: payload, format: json}
sinks:
  out: {type: file, path: out.ndjson}
routes:
  - {name: all, pipeline: p, sink: out}
"""
"""A followed file source whose pipeline fails on a payload that is not JSON."""


async def _records(s: Served, n: int) -> list[dict[str, Any]]:
    """The stored dead letters, once there are ``n``."""
    with anyio.fail_after(10):
        while True:
            listed = (await s.client.get("/dead-letters")).json()
            if listed["total"] >= n:
                return list(listed["items"])
            await anyio.sleep(0.05)


async def test_dead_letters_of_a_source_that_is_not_an_ingest_source_are_replayed(tmp_path: Path) -> None:
    (tmp_path / "in.ndjson").write_text(
        '{"payload": "not json", "n": 1}\nnot json at all\n', encoding="utf-8"
    )
    async with served(tmp_path, FILE_SOURCE) as s:
        failed, undecodable = await _records(s, 2)
        assert failed["record"]["stage"] == 0
        assert undecodable["record"]["stage"] == "decode"
        # The pipeline no longer parses: the failed event goes through, the bad line still fails.
        current = await s.client.get("/pipelines/p")
        etag = current.headers["etag"]
        fixed = {"functions": [{"type": "eval", "field": "fixed", "expression": "true"}]}
        assert (await s.client.put("/pipelines/p", json=fixed, headers={"If-Match": etag})).status_code == 200
        seqs = [failed["seq"], undecodable["seq"]]
        replay = (await s.client.post("/dead-letters/replay", json={"seqs": seqs})).json()
        assert replay["replayed"] == [failed["seq"]]
        [(kept, reason)] = [(k["seq"], k["reason"]) for k in replay["kept"]]
        assert kept == undecodable["seq"]
        assert reason.startswith("it still does not decode: invalid JSON")
        assert [r["seq"] for r in (await s.client.get("/dead-letters")).json()["items"]] == [kept]
    written = [
        json.loads(line) for line in (tmp_path / "out.ndjson").read_text(encoding="utf-8").splitlines()
    ]
    assert written == [{"payload": "not json", "n": 1, "fixed": True}]


async def test_a_raw_line_of_an_ingest_source_that_still_does_not_decode_is_kept(tmp_path: Path) -> None:
    """Regression: it was offered again, reported replayed, and stored as a new record."""
    (tmp_path / "out").mkdir()
    async with served(tmp_path, SINK_DOWN) as s:
        sent = await s.client.post("/ingest/web", content=b"not json\n")
        assert (sent.status_code, sent.json()) == (202, {"accepted": 0, "dead_lettered": 1})
        [record] = await _records(s, 1)
        replay = (await s.client.post("/dead-letters/replay", json={"seqs": [record["seq"]]})).json()
        assert replay["replayed"] == []
        [(kept, reason)] = [(k["seq"], k["reason"]) for k in replay["kept"]]
        assert (kept, reason.startswith("it still does not decode: invalid JSON")) == (record["seq"], True)
        listed = (await s.client.get("/dead-letters")).json()
        assert [(r["seq"], r["record"]["id"]) for r in listed["items"]] == [
            (record["seq"], record["record"]["id"])
        ]
