"""The framing of a disk buffer's records: length-prefixed, checksummed, torn tails detected.

A record on disk is a 16-byte header then the payload::

    MAGIC (4) | payload length (u32 LE) | crc32(payload) (u32 LE) | crc32 of the 12 bytes before (u32 LE)

The header's own checksum guards the length, so a corrupt length is caught before anything is
read for it (no huge read, no hang); the payload's checksum guards the payload. ``decode_record``
never returns a payload that was not encoded: bytes cut short are ``Incomplete`` (a torn tail
after a crash), bytes that do not check out are ``Corrupt``; ``next_candidate`` finds where a
reader may try again after corrupt bytes (the next ``MAGIC``).
"""

from __future__ import annotations

import struct
import zlib
from dataclasses import dataclass
from typing import Final, TypeAlias, final

MAGIC: Final = b"PFB1"
"""The first four bytes of every record."""

HEADER_BYTES: Final = 16
"""The size of a record's header."""

MAX_PAYLOAD: Final = 1 << 30
"""The largest payload a record may hold (a larger length in a header is corrupt)."""

_HEAD = struct.Struct("<4sII")
_CRC = struct.Struct("<I")


@final
@dataclass(frozen=True, slots=True)
class Decoded:
    """A whole record: its payload, and the offset just after it."""

    payload: bytes
    end: int


@final
@dataclass(frozen=True, slots=True)
class Incomplete:
    """The bytes end inside a record: ``needed`` bytes from the offset would make it whole."""

    needed: int


@final
@dataclass(frozen=True, slots=True)
class Corrupt:
    """The bytes at the offset are not a record (why, in words)."""

    reason: str


Decoding: TypeAlias = Decoded | Incomplete | Corrupt
"""What ``decode_record`` finds at an offset."""


def encode_record(payload: bytes) -> bytes:
    """The framed record of ``payload``.

    >>> decode_record(encode_record(b"abc"), 0)
    Decoded(payload=b'abc', end=19)
    """
    if len(payload) > MAX_PAYLOAD:
        raise ValueError(f"a record holds at most {MAX_PAYLOAD} bytes, not {len(payload)}")
    head = _HEAD.pack(MAGIC, len(payload), zlib.crc32(payload))
    return head + _CRC.pack(zlib.crc32(head)) + payload


def header_length(header: bytes) -> int | Corrupt:
    """The payload length a 16-byte header announces, or why the header is corrupt."""
    magic, length, _ = _HEAD.unpack_from(header, 0)
    if magic != MAGIC:
        return Corrupt("no record marker")
    if _CRC.unpack_from(header, 12)[0] != zlib.crc32(header[:12]):
        return Corrupt("header checksum mismatch")
    if length > MAX_PAYLOAD:
        return Corrupt("length out of range")
    return int(length)


def decode_record(buf: bytes, offset: int) -> Decoding:
    """The record at ``offset`` of ``buf``: whole, cut short, or corrupt.

    >>> decode_record(encode_record(b"abc")[:10], 0)
    Incomplete(needed=6)
    >>> decode_record(b"x" * 16, 0)
    Corrupt(reason='no record marker')
    """
    available = len(buf) - offset
    if available < HEADER_BYTES:
        marker = buf[offset : offset + len(MAGIC)]
        if marker != MAGIC[: len(marker)]:
            return Corrupt("no record marker")
        return Incomplete(HEADER_BYTES - available)
    length = header_length(buf[offset : offset + HEADER_BYTES])
    if isinstance(length, Corrupt):
        return length
    start, end = offset + HEADER_BYTES, offset + HEADER_BYTES + length
    if end > len(buf):
        return Incomplete(end - len(buf))
    payload = buf[start:end]
    if zlib.crc32(payload) != _HEAD.unpack_from(buf, offset)[2]:
        return Corrupt("payload checksum mismatch")
    return Decoded(payload, end)


def payload_matches(header: bytes, payload: bytes) -> bool:
    """Whether ``payload`` is the one the (valid) ``header`` was made for."""
    return bool(zlib.crc32(payload) == _HEAD.unpack_from(header, 0)[2])


def next_candidate(buf: bytes, offset: int) -> int | None:
    """The offset of the next record marker after ``offset`` (where to try again), if any.

    >>> next_candidate(b"xxPFB1", 0)
    2
    """
    found = buf.find(MAGIC, offset + 1)
    return None if found < 0 else found


__all__ = [
    "HEADER_BYTES",
    "MAGIC",
    "MAX_PAYLOAD",
    "Corrupt",
    "Decoded",
    "Decoding",
    "Incomplete",
    "decode_record",
    "encode_record",
    "header_length",
    "next_candidate",
    "payload_matches",
]
