"""The ``CheckpointStore`` port of the file source, and its in-memory adapter for runs without state.

A checkpoint is the ``(inode, offset)`` a file source has reached in one file *and had
acknowledged*: every line before ``offset`` was written by its sinks or dead-lettered.
"""

from __future__ import annotations

from typing import Protocol, final

__all__ = ["Checkpoint", "CheckpointStore", "MemoryCheckpointStore"]

Checkpoint = tuple[int, int]
"""A file position: ``(inode, offset)``."""


class CheckpointStore(Protocol):
    """Where file sources keep the acknowledged position of each file, per source and path."""

    async def load(self, source: str, path: str) -> Checkpoint | None:
        """The ``(inode, offset)`` saved for this source and path, or ``None``."""
        ...

    async def save(self, source: str, path: str, inode: int, offset: int) -> None:
        """Remember ``(inode, offset)`` for this source and path (replacing what was there)."""
        ...


@final
class MemoryCheckpointStore:
    """Checkpoints in a dict: they last as long as the process (for runs without a state database)."""

    __slots__ = ("_data",)

    def __init__(self) -> None:
        self._data: dict[tuple[str, str], Checkpoint] = {}

    async def load(self, source: str, path: str) -> Checkpoint | None:
        """The saved checkpoint, or ``None``."""
        return self._data.get((source, path))

    async def save(self, source: str, path: str, inode: int, offset: int) -> None:
        """Remember the checkpoint."""
        self._data[(source, path)] = (inode, offset)
