"""What every sink takes (its ``buffer`` and ``retry`` blocks), and the ``file`` sink's config.

Its own module because most configs write files: ``run`` on such a config builds these models and
not those of the other sinks (``sinks.py``, imported when a config names one; start-up time).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from pipeflow.interfaces.config.base import Strict


class BufferConfig(Strict):
    """A sink's bounded buffer and what happens when it is full."""

    type: Literal["memory", "disk"] = Field(
        "memory",
        description="`memory`, or `disk`: an on-disk queue under `state_dir/buffers/<sink>/` that "
        "survives a crash; events are acknowledged once fsynced there, and a sink that is down is "
        "retried for as long as it takes (see docs/delivery.md).",
    )
    max_events: int = Field(
        10_000, ge=1, description="Events a `memory` buffer holds before `when_full` applies."
    )
    max_bytes: int = Field(
        268_435_456, ge=1 << 16, description="Bytes a `disk` buffer holds before `when_full` applies."
    )
    when_full: Literal["block", "drop_newest", "dead_letter"] = Field(
        "block",
        description="What a full buffer does: `block` (backpressure), `drop_newest` or `dead_letter`.",
    )


class RetryConfig(Strict):
    """Retries of a failed sink write: exponential backoff with jitter, then dead letter."""

    attempts: int = Field(
        5, ge=1, description="Write attempts before the events are dead-lettered (1: no retry)."
    )
    backoff_ms: int = Field(
        100, ge=0, description="Delay before the first retry; it doubles on each attempt, with jitter."
    )
    max_backoff_ms: int = Field(10_000, ge=0, description="Upper bound of the delay between retries.")


class SinkBase(Strict):
    """Fields every sink takes."""

    buffer: BufferConfig = Field(BufferConfig(), description="The sink's own bounded buffer.")
    retry: RetryConfig = Field(RetryConfig(), description="Retries of a failed write.")


class FileSink(SinkBase):
    """``file``: append NDJSON to a file."""

    type: Literal["file"] = Field(description="Selects this sink.")
    path: str = Field(description="The file to append to (never truncated).")
    format: Literal["ndjson"] = Field("ndjson", description="One JSON object per line.")
    fsync: bool = Field(True, description="fsync each batch before its events are acknowledged.")


__all__ = ["BufferConfig", "FileSink", "RetryConfig", "SinkBase"]
