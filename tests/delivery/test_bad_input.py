"""Bad input never stops a run: hypothesis writes files of byte lines, valid and not, and a run
through the real ``bootstrap()`` must deliver every good event, in order, and dead-letter every
bad line with a reason: invalid JSON, invalid UTF-8, a JSON value that is not an object, a line
over ``max_line_bytes``, and an event a function fails on. Blank lines are neither.
"""

from __future__ import annotations

import json
import string
import tempfile
from pathlib import Path
from typing import Any

import anyio
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeflow.interfaces.bootstrap import bootstrap
from tests.delivery.helpers import dead_letter_rows, ndjson_lines, write_config

MAX_LINE = 256
Line = tuple[str, bytes]  # (kind, bytes without newline)

_values = st.one_of(st.integers(-(10**9), 10**9), st.text(max_size=12), st.booleans(), st.none())
_objects = st.dictionaries(st.text(string.ascii_lowercase, min_size=1, max_size=5), _values, max_size=4)


def _encode(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


def _not_an_object(raw: bytes) -> bool:
    try:
        return not isinstance(json.loads(raw.decode("utf-8")), dict)
    except ValueError:
        return True


_good = _objects.map(_encode).filter(lambda b: len(b) <= MAX_LINE).map(lambda b: ("good", b))
_bad_json = st.one_of(
    _objects.map(_encode).flatmap(lambda b: st.integers(1, len(b) - 1).map(lambda n: b[:n])),
    st.binary(min_size=1, max_size=40).filter(lambda b: b"\n" not in b and b.strip() != b""),
).filter(_not_an_object)
_not_object = st.one_of(
    st.lists(_values, max_size=3), st.integers(), st.text(max_size=10), st.just(None)
).map(_encode)
_bad_utf8 = st.binary(max_size=8).map(lambda b: b'{"a": "' + b.replace(b"\n", b"") + b'\xff\xfe"}')
_too_long = st.integers(MAX_LINE, MAX_LINE * 3).map(lambda n: _encode({"pad": "x" * n}))
_fn_fails = st.text(string.ascii_letters + " {[", max_size=10).map(lambda t: _encode({"payload": t}))
_line: st.SearchStrategy[Line] = st.one_of(
    _good,
    _good,
    _bad_json.map(lambda b: ("bad", b)),
    _not_object.map(lambda b: ("bad", b)),
    _bad_utf8.map(lambda b: ("bad", b)),
    _too_long.map(lambda b: ("long", b)),
    _fn_fails.map(lambda b: ("function", b)),
    st.sampled_from([b"", b"  ", b"\t"]).map(lambda b: ("blank", b)),
)

CONFIG = f"""
state_dir: state
sources:
  app: {{type: file, path: in.ndjson, max_line_bytes: {MAX_LINE}}}
pipelines:
  p:
    functions:
      - {{type: parse, field: payload, format: json, filter: 'exists(payload)'}}
sinks:
  out: {{type: file, path: out.ndjson}}
routes:
  - {{name: all, pipeline: p, sink: out}}
"""


async def _run(folder: Path, lines: list[Line]) -> dict[str, Any]:
    (folder / "in.ndjson").write_bytes(b"".join(raw + b"\n" for _, raw in lines))
    config = write_config(folder, CONFIG)
    app = bootstrap()
    loaded = app.load(str(config)).unwrap()
    with anyio.fail_after(20):
        outcome = await app.run(loaded, handle_signals=False)
    assert outcome.failures == []
    return outcome.summary()


def _expected_dead(kind: str, raw: bytes) -> dict[str, Any]:
    if kind == "function":
        return {"stage": 0, "route": "all", "pipeline": "p", "event": json.loads(raw)}
    kept = raw[:MAX_LINE] if kind == "long" else raw
    return {
        "stage": "decode",
        "route": None,
        "pipeline": None,
        "raw": kept.decode("utf-8", "backslashreplace"),
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_line, min_size=1, max_size=40))
async def test_good_events_arrive_and_every_bad_line_is_dead_lettered(lines: list[Line]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        summary = await _run(folder, lines)
        rows, torn = ndjson_lines(folder / "out.ndjson")
        dead = dead_letter_rows(folder / "state")

    good = [json.loads(raw) for kind, raw in lines if kind == "good"]
    bad = [(kind, raw) for kind, raw in lines if kind not in ("good", "blank")]
    assert rows == good
    assert torn == 0
    assert len(dead) == len(bad)
    # Within a batch the router's failures are stored before the decoder's rejects: compare each
    # kind in its own order.
    by_stage = sorted(dead, key=lambda r: r["stage"] != "decode")
    by_kind = sorted(bad, key=lambda line: line[0] == "function")
    for record, (kind, raw) in zip(by_stage, by_kind, strict=True):
        assert record["reason"], record
        assert record["source"] == "app"
        assert {k: record.get(k) for k in _expected_dead(kind, raw)} == _expected_dead(kind, raw)
        if kind == "long":
            assert "max_line_bytes" in record["reason"]
        if kind == "function":
            assert record["reason"].startswith("parse:")
    assert summary["events_out"] == {"out": len(good)}
    assert summary["dead_lettered"] == len(bad)
