"""Adapters for the ``Clock`` and ``IdFactory`` ports: the wall clock and monotonic ULIDs.

Lines read from files get ids of the same shape that do not depend on when they are read
(``LineKey``, ``LineIds``): a line read again after a crash gets the id it had the first time.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Sequence
from itertools import accumulate
from typing import final

from pipeflow.domain.events import EventId
from pipeflow.domain.line_block import LineBlock
from pipeflow.domain.ports import Rejected

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_PAIRS = [a + b for a in _CROCKFORD for b in _CROCKFORD]  # every 10-bit value as two digits
_LOW40 = (1 << 40) - 1
_blake2b = hashlib.blake2b


def _encode_time(ms: int) -> str:
    return "".join(_CROCKFORD[(ms >> shift) & 31] for shift in range(45, -5, -5))


def _encode40(value: int) -> str:
    return (
        _PAIRS[value >> 30 & 1023]
        + _PAIRS[value >> 20 & 1023]
        + _PAIRS[value >> 10 & 1023]
        + _PAIRS[value & 1023]
    )


@final
class SystemClock:
    """The real wall clock."""

    def now(self) -> float:
        """Seconds since the epoch."""
        return time.time()


@final
class UlidFactory:
    """Monotonic ULIDs: the random part is drawn once per millisecond and then incremented.

    This is the ULID spec's monotonic mode: ids made in one process sort in the order they were
    made, and making one costs an increment instead of a fresh draw of 80 random bits.
    """

    __slots__ = ("_high", "_last_ms", "_prefix", "_rand")

    def __init__(self) -> None:
        self._last_ms = -1
        self._prefix = ""
        self._high = -1
        self._rand = 0

    def new_id(self) -> EventId:
        """A fresh ULID string (26 characters, Crockford base32)."""
        ms = time.time_ns() // 1_000_000
        if ms > self._last_ms:
            self._last_ms = ms
            self._rand = int.from_bytes(os.urandom(10), "big") >> 1  # room to increment
            self._high = -1
        else:
            self._rand += 1
        high = self._rand >> 40
        if high != self._high:  # the upper 40 random bits change only on a carry: encode them then
            self._high = high
            self._prefix = _encode_time(self._last_ms) + _encode40(high)
        return EventId(self._prefix + _encode40(self._rand & _LOW40))


HEAD_BYTES = 256
"""At most this many leading bytes of a file (cut after its first newline) tell its incarnations apart."""

EPOCH_BITS = 48
"""Width of a ULID's time part (milliseconds since the Unix epoch)."""


@final
class LineKey:
    """Makes the id of the line starting at a byte offset of one file, the same in every process.

    The id has the ULID shape (26 Crockford base32 digits): its 48-bit time part is ``epoch_ms``,
    the moment the state in use first read the source (stored with the source's checkpoints, so
    it survives restarts and crashes; a fresh state is a new epoch, so input read again from
    scratch gets new ids). Its 80-bit rest is the start of blake2b(source name, device, inode,
    the file's head, offset). Neither ``ctime`` nor ``mtime`` can stand in for the time part:
    both move on every append; Linux's birth time is not in ``os.stat``. The head (``head_of``)
    tells a new file on a reused inode from the old one. Distinct lines share an id only if 80
    hash bits collide (one chance in 2**80 per pair).

    >>> key = LineKey(1_700_000_000_000, "app", 1, 2, b'{"n":0}\\n')
    >>> key.id_at(0) != key.id_at(8) and len(key.id_at(8)) == 26
    True
    >>> key.id_at(8) == LineKey(1_700_000_000_000, "app", 1, 2, b'{"n":0}\\n').id_at(8)
    True
    """

    __slots__ = ("_seed", "_time")

    def __init__(self, epoch_ms: int, source: str, device: int, inode: int, head: bytes) -> None:
        digest = hashlib.blake2b(digest_size=16, person=b"pipeflow-line")
        for part in (source.encode(), str(device).encode(), str(inode).encode(), head):
            digest.update(len(part).to_bytes(8, "big"))
            digest.update(part)
        self._seed = digest.digest()  # plain bytes: a key pickles (worker processes get it)
        self._time = _encode_time(epoch_ms & ((1 << EPOCH_BITS) - 1))

    def id_at(self, offset: int) -> EventId:
        """The id of the line that starts at byte ``offset``."""
        rest = int.from_bytes(_blake2b(self._seed + offset.to_bytes(8, "big"), digest_size=10).digest())
        return EventId(self._time + _encode40(rest >> 40) + _encode40(rest & _LOW40))


def head_of(data: bytes) -> bytes:
    """The part of a file's first bytes that identifies it: up to ``HEAD_BYTES``, cut after a newline.

    >>> head_of(b"first\\nsecond\\n")
    b'first\\n'
    """
    newline = data.find(b"\n", 0, HEAD_BYTES)
    return data[: newline + 1] if newline >= 0 else data[:HEAD_BYTES]


def read_line_key(epoch_ms: int, source: str, fd: int) -> LineKey:
    """The ``LineKey`` of the open file ``fd`` (blocking: an ``fstat`` and a 256-byte ``pread``).

    Call it once a complete line is in the file, so that its head no longer changes.
    """
    st = os.fstat(fd)
    return LineKey(epoch_ms, source, st.st_dev, st.st_ino, head_of(os.pread(fd, HEAD_BYTES, 0)))


@final
class LineIds:
    """The ids of a batch's lines: ``ids(k)`` is the id of ``lines[k]`` (``SourceBatch.line_ids``).

    ``starts`` is each line's offset, or one offset when the lines lie back to back from there
    (each followed by a newline but perhaps the last); the offsets are then added up on the first
    call only, so a batch whose ids are never asked for costs nothing.

    >>> key = LineKey(0, "s", 0, 1, b"")
    >>> ids = LineIds(key, 10, [b"ab", b"", b"c"])
    >>> [ids(k) for k in range(3)] == [key.id_at(10), key.id_at(13), key.id_at(14)]
    True
    """

    __slots__ = ("_lines", "_starts", "key")

    def __init__(self, key: LineKey, starts: int | list[int], lines: Sequence[bytes] | LineBlock) -> None:
        self.key = key
        self._starts = starts
        self._lines = lines

    def __call__(self, k: int) -> EventId:
        """The id of line ``k`` of the batch."""
        starts = self._starts
        if isinstance(starts, int):
            lines = self._lines.lines() if isinstance(self._lines, LineBlock) else self._lines
            lengths = [len(line) + 1 for line in lines[:-1]]
            starts = self._starts = list(accumulate(lengths, initial=starts))
        return self.key.id_at(starts[k])


def identify_rejects(
    rejected: Sequence[Rejected], lines: Sequence[bytes] | LineBlock, line_ids: Callable[[int], EventId]
) -> list[Rejected]:
    """``rejected`` (lines of ``lines`` refused in order, without their newline) with their lines' ids.

    A line is matched by its bytes, in order: equal lines are refused alike, so the k-th refused
    line is the k-th line equal to it that comes after the one before. A reject already holding an
    id, or one not found among the lines, is kept as it is.

    >>> ids = identify_rejects([Rejected(b"x", "bad")], [b"{}", b"x"], lambda k: EventId(str(k)))
    >>> ids[0].id
    '1'
    """
    if not rejected:
        return []
    listed = lines.lines() if isinstance(lines, LineBlock) else lines
    out: list[Rejected] = []
    k = 0
    for reject in rejected:
        if reject.id is not None:
            out.append(reject)
            continue
        at = k
        while at < len(listed) and listed[at].removesuffix(b"\n") != reject.raw:
            at += 1
        if at == len(listed):
            out.append(reject)
            continue
        out.append(Rejected(reject.raw, reject.reason, line_ids(at)))
        k = at + 1
    return out


__all__ = [
    "EPOCH_BITS",
    "HEAD_BYTES",
    "LineIds",
    "LineKey",
    "SystemClock",
    "UlidFactory",
    "head_of",
    "identify_rejects",
    "read_line_key",
]
