"""The heads of the generated loop: how each raw line becomes the dict ``f`` the routes work on.

``decode_ndjson`` reads NDJSON (``orjson.loads``; invalid JSON and non-objects rejected as the
sources' decoder rejects them), ``decode_text`` reads text lines (``format: lines``: each is
``{"message": line}``); both count blank lines and skip them, as ``decode_lines`` does.
"""

from __future__ import annotations

import orjson

from pipeflow.infrastructure.fastpath.writer import Writer
from pipeflow.infrastructure.sources.decode import invalid_json_reason

__all__ = ["decode_ndjson", "decode_text", "invalid_line", "invalid_text"]


def decode_ndjson(w: Writer) -> None:
    """Emit the loop head that decodes each NDJSON line into ``f`` (bad ones rejected, blank ones counted)."""
    jde, typ, dct = w.bind(orjson.JSONDecodeError, "jde"), w.bind(type, "type"), w.bind(dict, "dictt")
    w.emit(0, f"for _n, _line in {w.bind(enumerate, 'enumerate')}(items):")
    w.emit(1, "try:")
    w.emit(2, f"f = {w.bind(orjson.loads, 'loads')}(_line)")
    w.emit(1, f"except {jde} as _exc:")
    w.emit(2, "if _line.strip():  # blank lines are skipped, as decode_lines does")
    w.emit(3, f"rejected.append({w.bind(invalid_line, 'invalid')}(_line))")
    w.emit(2, "else:")
    w.emit(3, "blank += 1")
    w.emit(2, "continue")
    w.emit(1, f"if f.__class__ is not {dct}:")
    w.emit(2, f'rejected.append((_line.removesuffix(b"\\n"), f"not a JSON object: {{{typ}(f).__name__}}"))')
    w.emit(2, "continue")


def decode_text(w: Writer) -> None:
    """Each line becomes ``{"message": line}`` (UTF-8, line end and trailing ``\\r`` removed), as
    ``decode_one`` makes it for ``format: lines``; blank lines are skipped, bad UTF-8 rejected."""
    ude = w.bind(UnicodeDecodeError, "ude")
    w.emit(0, f"for _n, _line in {w.bind(enumerate, 'enumerate')}(items):")
    w.emit(1, "if not _line or _line.isspace():  # blank: as ``not _line.strip()``, with no copy")
    w.emit(2, "blank += 1")
    w.emit(2, "continue")
    w.emit(1, "try:")
    w.emit(2, 'f = {"message": _line.decode("utf-8").rstrip("\\r\\n")}')
    w.emit(1, f"except {ude} as _exc:")
    w.emit(2, f"rejected.append({w.bind(invalid_text, 'invalidtext')}(_line, _exc))")
    w.emit(2, "continue")


def invalid_text(line: bytes, exc: UnicodeDecodeError) -> tuple[bytes, str]:
    """A text line that is not UTF-8, without its newline, and why (as ``decode_one`` says it)."""
    return line.removesuffix(b"\n"), f"invalid UTF-8: {exc.reason} at byte {exc.start}"


def invalid_line(line: bytes) -> tuple[bytes, str]:
    """A line orjson refused, without its newline, and why (said of the line without it, so the
    reason is the same whether the line came alone or from a ``LineBlock``)."""
    raw = line.removesuffix(b"\n")
    try:
        orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return raw, invalid_json_reason(raw, exc)
    return raw, "invalid JSON"  # not reached: a trailing newline cannot make JSON invalid
