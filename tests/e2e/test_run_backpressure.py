"""A slow sink (an HTTP server that sleeps) with a small ``buffer`` and a ``when_full`` policy that
does not block must not stall a fast file sink fed by the same route."""

from __future__ import annotations

from pathlib import Path

import anyio
import pytest

from tests.e2e.conftest import (
    RUN_TIMEOUT_S,
    count_lines,
    dead_letter_rows,
    read_ndjson,
    receiver,
    run_in_process,
    write_config,
    write_ndjson,
)

TOTAL = 10_000
MAX_EVENTS = 1_000
SLOW_S = 1.0


@pytest.mark.parametrize("when_full", ["drop_newest", "dead_letter"])
async def test_slow_sink_with_a_bounded_buffer_does_not_stall_a_fast_sink(
    tmp_path: Path, when_full: str
) -> None:
    write_ndjson(tmp_path / "in.ndjson", [{"i": i} for i in range(TOTAL)])
    fast = tmp_path / "fast.ndjson"
    with receiver(delay_s=SLOW_S) as server:
        config = write_config(
            tmp_path,
            f"""
            sources:
              in: {{type: file, path: in.ndjson}}
            sinks:
              fast: {{type: file, path: fast.ndjson}}
              slow:
                type: http
                url: "{server.url}"
                batch_size: 5000
                buffer: {{max_events: {MAX_EVENTS}, when_full: {when_full}}}
            routes:
              - {{name: both, sinks: [fast, slow]}}
            """,
        )
        answered_when_fast_was_done: list[int] = []

        async def watch_fast() -> None:
            while True:
                if count_lines(fast) >= TOTAL:
                    with server.lock:
                        answered_when_fast_was_done.append(len(server.requests))
                    return
                await anyio.sleep(0.05)

        with anyio.fail_after(RUN_TIMEOUT_S):
            async with anyio.create_task_group() as tg:
                tg.start_soon(watch_fast)
                outcome = await run_in_process(config)

    assert read_ndjson(fast) == [{"i": i} for i in range(TOTAL)]
    assert answered_when_fast_was_done == [0]  # all of it, before the slow sink's first answer
    summary = outcome.summary()
    slow_got = summary["events_out"]["slow"]
    assert summary["events_out"]["fast"] == TOTAL
    assert 0 < slow_got < TOTAL
    assert len(server.events) == slow_got
    if when_full == "drop_newest":
        assert summary["dropped"] == TOTAL - slow_got
        assert summary["dead_lettered"] == 0
    else:
        assert summary["dead_lettered"] == TOTAL - slow_got
        dead = dead_letter_rows(tmp_path / ".pipeflow")
        assert len(dead) == TOTAL - slow_got
        assert {d["reason"] for d in dead} == {"sink 'slow' buffer full"}
        assert {d["stage"] for d in dead} == {"sink:slow"}
