"""Graceful shutdown: SIGTERM while a large file is being read stops reading, drains what was
read, exits 0, and loses nothing; a restart delivers the rest from the checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

from tests.e2e.conftest import (
    dead_letter_rows,
    read_ndjson,
    run_in_process,
    started,
    terminate,
    wait_until,
    write_config,
)

TOTAL = 100_000


async def test_sigterm_while_reading_drains_loses_nothing_and_a_restart_finishes(tmp_path: Path) -> None:
    with (tmp_path / "big.ndjson").open("w", encoding="utf-8") as fh:
        fh.writelines(f'{{"i": {i}, "pad": "................................"}}\n' for i in range(TOTAL))
    config = write_config(
        tmp_path,
        """
        sources:
          big: {type: file, path: big.ndjson}
        pipelines:
          strip:
            functions:
              - {type: remove, fields: [pad]}
        sinks:
          out: {type: file, path: out.ndjson}
        routes:
          - {name: all, pipeline: strip, sink: out}
        """,
    )
    out, summary_file = tmp_path / "out.ndjson", tmp_path / "summary.json"

    with started("run", str(config), "--summary-file", str(summary_file)) as proc:
        wait_until(lambda: out.exists() and out.stat().st_size > 0, "the first events written", proc=proc)
        code, _, err = terminate(proc)

    assert code == 0, err.decode()
    summary = json.loads(summary_file.read_text("utf-8"))
    written = read_ndjson(out)
    assert 0 < summary["events_in"] < TOTAL  # it stopped in the middle
    assert summary["events_in"] == summary["events_out"]["out"] + summary["dead_lettered"]
    assert dead_letter_rows(tmp_path / ".pipeflow") == []
    assert written == [{"i": i} for i in range(summary["events_in"])]  # in order, none lost

    rest = await run_in_process(config)

    assert rest.summary()["events_in"] == TOTAL - summary["events_in"]
    assert [r["i"] for r in read_ndjson(out)] == list(range(TOTAL))
