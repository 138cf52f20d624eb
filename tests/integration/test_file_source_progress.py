"""A finite file source saves acknowledged progress while it reads, not only at its end."""

from __future__ import annotations

from pathlib import Path

import anyio

from pipeflow.infrastructure.ids import SystemClock, UlidFactory
from pipeflow.infrastructure.sources.checkpoints import MemoryCheckpointStore
from pipeflow.infrastructure.sources.file import FileSource


async def test_checkpoints_are_saved_while_a_long_file_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.ndjson"
    path.write_bytes(b"".join(b'{"n": %d}\n' % i for i in range(100)))
    store = MemoryCheckpointStore()
    source = FileSource(
        "app",
        str(path),
        ids=UlidFactory(),
        clock=SystemClock(),
        checkpoints=store,
        batch_size=10,
        checkpoint_interval_s=0.0,
    )
    seen_mid_read: list[tuple[int, int] | None] = []
    with anyio.fail_after(10):
        async for batch in source.batches():
            assert batch.ack is not None
            batch.ack()
            seen_mid_read.append(await store.load("app", str(path)))
    # Before the source ended, the store already held the offsets of acknowledged batches.
    offsets = [c[1] for c in seen_mid_read[1:-1] if c is not None]
    assert offsets, "no checkpoint was saved while reading"
    assert offsets == sorted(offsets)
    assert 0 < offsets[0] < path.stat().st_size
