"""A sink's on-disk queue: segment files of framed records (``domain.record_framing``), read one by one.

Records are appended to the newest segment (``NNNNNNNNNN.seg``); a run never appends to a segment
an earlier run left (its tail may be torn), it starts a new one. ``sync`` makes what was appended
durable (the caller acknowledges then). Reading goes record by record through a file handle, so
memory holds one record however long the backlog; damage (a torn tail, a flipped byte) is skipped
up to the next record that checks out and counted in ``skipped``. A segment is deleted once it was
read to its end and every record read from it is ``done``; the segment being written is cut back
to nothing instead, once all of it is done.

The read position is saved in a sidecar file (``read.pos``, written atomically: a temporary file,
fsync, rename) by ``commit``, which the disk buffer calls after each group it drained: it is the
start of the first record read but not yet ``done`` (or the read cursor when none is outstanding).
A restart resumes there, so at most the records in flight when a crash hit are read again.

A full disk (``ENOSPC`` from a write) leaves the files as they were: an append that fails cuts
its partial bytes off again and raises, so the caller may wait and try again or refuse the record
(the disk buffer's ``when_full``); a segment that cannot be started keeps growing past
``segment_bytes`` until one can. A read position that cannot be saved keeps the last one saved (a
restart reads more again, never less), except after the segment being written was cut back: then
the saved position is removed, so the records appended next are not skipped by a stale offset. The
files are changed through ``FileOps`` (``disk_files``), which a test may replace.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from typing import BinaryIO, final

from pipeflow.domain.record_framing import (
    HEADER_BYTES,
    Corrupt,
    encode_record,
    header_length,
    payload_matches,
)
from pipeflow.infrastructure.actors.disk_files import (
    POSITION_FILE,
    SEGMENT_SUFFIX,
    FileOps,
    forget_position,
    load_position,
    next_magic,
    save_position,
    segment_path,
    segments_in,
)

__all__ = ["POSITION_FILE", "SEGMENT_SUFFIX", "DiskQueue", "QueuedRecord"]

_log = logging.getLogger("pipeflow.buffer")


@final
@dataclass(frozen=True, slots=True)
class QueuedRecord:
    """One record read from the queue: its payload, and where it starts (for ``done``)."""

    payload: bytes
    segment: int
    offset: int


@final
class DiskQueue:
    """The segment files of one sink's disk buffer under ``directory`` (see the module doc)."""

    def __init__(self, directory: str, *, segment_bytes: int, files: FileOps | None = None) -> None:
        os.makedirs(directory, exist_ok=True)
        self.directory = directory
        self.segment_bytes = segment_bytes
        self.files = files if files is not None else FileOps()
        self.skipped = 0
        found = segments_in(directory)
        self._sizes = {s: os.path.getsize(self._path(s)) for s in found}
        self._pending: dict[int, int] = {}
        self._lock = threading.Lock()
        self._to_sync: list[int] = []
        self._closed = False
        self._damaged = False
        self._stuck = False  # the next segment could not be made (a full disk)
        self._outstanding: dict[tuple[int, int], bool] = {}  # read, not yet committed: is it done
        self._saved: tuple[int, int] | None = None
        self._write_id = (found[-1] + 1) if found else 1
        self._wfd = self._create(self._write_id)
        self._read_id, self._read_off = self._resume(found)
        self._reader: BinaryIO = open(self._path(self._read_id), "rb")  # noqa: SIM115 - kept open

    @property
    def size_bytes(self) -> int:
        """Bytes in the queue's segment files (the bound ``max_bytes`` applies to)."""
        return sum(self._sizes.values())

    @property
    def unread(self) -> bool:
        """Whether records may be waiting to be read."""
        return self._read_id != self._write_id or self._read_off < self._sizes[self._write_id]

    def append(self, payload: bytes) -> None:
        """Append one record (durable after the next ``sync``); a full segment starts the next.

        :raises OSError: the write failed (``ENOSPC``: the disk is full); nothing of the record
            stays in the segment, and the queue is as it was before the call.
        """
        data = encode_record(payload)
        start = self._sizes[self._write_id]
        view = memoryview(data)
        try:
            while view:
                view = view[self.files.write(self._wfd, view) :]
        except OSError:
            os.ftruncate(self._wfd, start)  # a partial record would shift every later one
            raise
        self._sizes[self._write_id] = start + len(data)
        if self._sizes[self._write_id] >= self.segment_bytes:
            self._start_segment()

    def sync(self) -> None:
        """fsync everything appended so far (safe to call from a worker thread)."""
        with self._lock:
            full, self._to_sync = self._to_sync, []
            current = self._wfd
        for fd in full:
            self.files.fsync(fd)
            os.close(fd)
        if not self._closed:
            self.files.fsync(current)

    def read(self) -> QueuedRecord | None:
        """The next whole record, or ``None`` when none is waiting; damage is skipped and counted."""
        while True:
            writing = self._read_id == self._write_id
            limit = self._sizes[self._read_id]
            if self._read_off >= limit:
                if writing:
                    return None
                self._next_segment()
                continue
            self._reader.seek(self._read_off)
            header = self._reader.read(min(HEADER_BYTES, limit - self._read_off))
            length = header_length(header) if len(header) == HEADER_BYTES else Corrupt("torn")
            payload = b""
            if not isinstance(length, Corrupt):
                payload = self._reader.read(min(length, limit - self._read_off - HEADER_BYTES))
            if isinstance(length, Corrupt) or len(payload) < length or not payload_matches(header, payload):
                self._skip_damage(limit)
                continue
            self._damaged = False
            record = QueuedRecord(payload, self._read_id, self._read_off)
            self._read_off += HEADER_BYTES + length
            self._pending[self._read_id] = self._pending.get(self._read_id, 0) + 1
            self._outstanding[(record.segment, record.offset)] = False
            return record

    def done(self, record: QueuedRecord) -> None:
        """``record`` was written (or dead-lettered): free what is all done."""
        self._pending[record.segment] -= 1
        key = (record.segment, record.offset)
        self._outstanding[key] = True
        finished = []
        for key, was_done in self._outstanding.items():  # in read order: drop the done prefix
            if not was_done:
                break
            finished.append(key)
        for key in finished:
            del self._outstanding[key]
        self._collect()

    @property
    def position(self) -> tuple[int, int]:
        """Where a restart would resume: the first record read but not done, else the read cursor."""
        if self._outstanding:
            return next(iter(self._outstanding))
        return self._read_id, self._read_off

    def commit(self) -> bool:
        """Save ``position`` durably (temporary file, fsync, rename) when it moved since the last save.

        False when it could not be saved (a full disk): the last position saved stays, and a
        restart reads again from there (more than needed, nothing less).
        """
        position = self.position
        if position == self._saved or self._closed:
            return True
        try:
            save_position(self.files, self.directory, position)
        except OSError as exc:
            _log.warning("disk buffer %s: read position not saved: %s", self.directory, exc)
            return False
        self._saved = position
        return True

    def close(self) -> None:
        """Save the read position and close the files (the segments stay for the next run)."""
        if not self._closed:
            self.commit()
            self.sync()
            self._closed = True
            os.close(self._wfd)
            self._reader.close()

    def _skip_damage(self, limit: int) -> None:
        if not self._damaged:
            self.skipped += 1
            self._damaged = True
        self._read_off = next_magic(self._reader, self._read_off + 1, limit)

    def _next_segment(self) -> None:
        self._reader.close()
        self._read_id = min(s for s in self._sizes if s > self._read_id)
        self._reader = open(self._path(self._read_id), "rb")  # noqa: SIM115 - kept open
        self._read_off = 0
        self._damaged = False
        self._collect()

    def _collect(self) -> None:
        for segment in [s for s in self._sizes if s < self._read_id and not self._pending.get(s)]:
            os.unlink(self._path(segment))
            del self._sizes[segment]
            self._pending.pop(segment, None)
        writing = self._write_id
        if (
            not self._closed
            and self._read_id == writing
            and self._read_off == self._sizes[writing] > 0
            and not self._pending.get(writing)
        ):
            os.ftruncate(self._wfd, 0)  # all of it written: cut back rather than start a new file
            self._sizes[writing] = 0
            self._read_off = 0
            if not self.commit():  # a saved offset past the cut would skip the records appended next
                forget_position(self.directory)
                self._saved = None

    def _start_segment(self) -> None:
        """Start the next segment; when it cannot be made (a full disk) keep appending to this one."""
        try:
            fd = self._create(self._write_id + 1)
        except OSError as exc:
            if not self._stuck:  # said once: every append tries again until a segment can be made
                _log.warning("disk buffer %s: no new segment yet: %s", self.directory, exc)
            self._stuck = True
            return
        self._stuck = False
        with self._lock:
            self._to_sync.append(self._wfd)  # synced and closed by the next ``sync``
        self._write_id += 1
        self._wfd = fd

    def _resume(self, found: list[int]) -> tuple[int, int]:
        """The saved read position checked against the segments on disk (their start without one).

        Segments before the saved one were all done (a crash came before their deletion): deleted.
        A saved segment that is gone was all done too; an offset past a segment's end means it was
        cut back: read it from its start. An unreadable position file reads everything again.
        """
        saved = load_position(self.directory)
        if saved is None:
            return (found[0] if found else self._write_id), 0
        segment, offset = saved
        for old in [s for s in found if s < segment]:
            os.unlink(self._path(old))
            del self._sizes[old]
        left = [s for s in found if s >= segment]
        if not left:
            return self._write_id, 0
        if left[0] != segment or offset > self._sizes[segment]:
            return left[0], 0
        self._saved = (segment, offset)
        return segment, offset

    def _create(self, segment: int) -> int:
        fd = self.files.open(self._path(segment), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        try:
            dir_fd = os.open(self.directory, os.O_RDONLY)
            try:
                self.files.fsync(dir_fd)  # the new file's name is durable too
            finally:
                os.close(dir_fd)
        except OSError:
            os.close(fd)
            raise
        self._sizes[segment] = 0
        return fd

    def _path(self, segment: int) -> str:
        return segment_path(self.directory, segment)
