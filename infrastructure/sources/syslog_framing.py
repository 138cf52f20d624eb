"""Splitting a syslog TCP stream into messages (RFC 6587), detected frame by frame.

A frame that starts with ``DIGITS SP`` is octet-counted (``LEN SP MSG``, RFC 6587 3.4.1); any
other is ended by a newline (non-transparent framing, 3.4.2), as rsyslog detects it. A frame
longer than ``max_frame_bytes`` becomes a ``Rejected`` (its first bytes) and the rest of it is
skipped, so one bad sender cannot make the buffer grow without bound.
"""

from __future__ import annotations

import re
from typing import final

from pipeflow.domain.ports import Rejected

__all__ = ["SyslogFramer"]

_OCTET_HEADER = re.compile(rb"([0-9]{1,10}) ")
_MAX_HEADER = 11


@final
class SyslogFramer:
    """Feed it the bytes of one connection as they arrive; it returns the complete frames.

    >>> f = SyslogFramer(100)
    >>> f.feed(b"<13>a\\n7 <13>b\\nc\\n<1")
    [b'<13>a', b'<13>b\\nc']
    >>> f.end()
    [b'<1']
    """

    __slots__ = ("_buf", "_discard", "_max", "_skip_line")

    def __init__(self, max_frame_bytes: int) -> None:
        self._max = max_frame_bytes
        self._buf = bytearray()
        self._discard = 0  # bytes still to drop from an oversized octet-counted frame
        self._skip_line = False  # dropping an oversized line up to its newline

    def feed(self, data: bytes) -> list[bytes | Rejected]:
        """The frames completed by ``data`` (blank lines are skipped)."""
        self._buf += data
        out: list[bytes | Rejected] = []
        while self._step(out):
            pass
        return out

    def end(self) -> list[bytes | Rejected]:
        """At the end of the connection: the last line without a newline, or a cut-off frame."""
        buf, self._buf = bytes(self._buf), bytearray()
        if not buf or self._skip_line or self._discard:
            return []
        header = _OCTET_HEADER.match(buf)
        if header is not None:
            return [Rejected(buf[: self._max], "connection closed inside an octet-counted frame")]
        line = buf.rstrip(b"\r")
        return [line] if line.strip() else []

    def _step(self, out: list[bytes | Rejected]) -> bool:
        """Take one frame (or skip some bytes) off the buffer; False when more input is needed."""
        buf = self._buf
        if self._discard:
            taken = min(self._discard, len(buf))
            del buf[:taken]
            self._discard -= taken
            return bool(buf)
        if self._skip_line:
            newline = buf.find(b"\n")
            if newline < 0:
                buf.clear()
                return False
            del buf[: newline + 1]
            self._skip_line = False
            return True
        if not buf:
            return False
        if buf[:1].isdigit():
            header = _OCTET_HEADER.match(buf)
            if header is not None:
                return self._octet_frame(header, out)
            if len(buf) < _MAX_HEADER and buf.isdigit():
                return False  # maybe a length whose space has not arrived yet
        return self._line_frame(out)

    def _octet_frame(self, header: re.Match[bytes], out: list[bytes | Rejected]) -> bool:
        size, start = int(header.group(1)), header.end()
        buf = self._buf
        if size > self._max:
            out.append(
                Rejected(bytes(buf[start : start + self._max]), f"frame over {self._max} bytes ({size})")
            )
            del buf[:start]
            self._discard = size
            return True
        if len(buf) < start + size:
            return False
        frame = bytes(buf[start : start + size])
        del buf[: start + size]
        if frame.strip():
            out.append(frame)
        return True

    def _line_frame(self, out: list[bytes | Rejected]) -> bool:
        buf = self._buf
        newline = buf.find(b"\n")
        if newline < 0:
            if len(buf) > self._max:
                out.append(Rejected(bytes(buf[: self._max]), f"line over {self._max} bytes"))
                buf.clear()
                self._skip_line = True
            return False
        line = bytes(buf[:newline]).rstrip(b"\r")
        del buf[: newline + 1]
        if len(line) > self._max:
            out.append(Rejected(line[: self._max], f"line over {self._max} bytes"))
        elif line.strip():
            out.append(line)
        return True
