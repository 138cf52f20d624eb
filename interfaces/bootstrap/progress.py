"""A live progress line on a terminal during long runs: events/s in, per sink, and disk buffer backlogs."""

from __future__ import annotations

import sys
from typing import TextIO

import anyio

from pipeflow.infrastructure.actors.stats import RunStats


async def show_progress(stats: RunStats, *, every_s: float = 1.0, stream: TextIO | None = None) -> None:
    """Redraw one status line every ``every_s`` until cancelled (then clear it)."""
    out = stream or sys.stderr
    last_in, last_out = stats.events_in, dict(stats.events_out)
    try:
        while True:
            await anyio.sleep(every_s)
            rate_in = (stats.events_in - last_in) / every_s
            sinks = " ".join(
                f"{name}:{count:,} ({(count - last_out.get(name, 0)) / every_s:,.0f}/s)"
                for name, count in sorted(stats.events_out.items())
            )
            backlog = " ".join(f"{n}:{b / 1048576:,.1f} MiB" for n, b in sorted(stats.buffered_bytes.items()))
            backlog = f" | disk buffers {backlog}" if backlog else ""
            out.write(f"\r\x1b[K{stats.events_in:,} in ({rate_in:,.0f}/s) | {sinks}{backlog}")
            out.flush()
            last_in, last_out = stats.events_in, dict(stats.events_out)
    finally:
        out.write("\r\x1b[K")
        out.flush()


__all__ = ["show_progress"]
