"""Apache/nginx access lines, Common Log Format and Combined, into fields.

``clf``: ``client ident user [time] "request" status bytes``; ``combined`` adds ``"referrer"
"agent"``. The fields: ``client``, ``ident``, ``user`` (as written, ``-`` included), ``timestamp``
(ISO 8601 UTC with milliseconds, from ``10/Oct/2000:13:55:36 -0700``), ``method``, ``path``,
``protocol`` (from the request ``GET /a HTTP/1.1``; ``protocol`` is ``null`` for a request of two
words, and all three are ``null`` when the request is not ``METHOD TARGET [PROTOCOL]``, e.g.
``"-"`` or the bytes of a TLS handshake), ``status`` (int), ``bytes`` (int, ``null`` for ``-``),
and for ``combined`` ``referrer`` and ``agent``. Inside the quotes ``\\"`` and ``\\\\`` are
unescaped, as Apache writes them; other escapes (``\\x16``) stay as written. Fields after the last
one (nginx's request time, a forwarded-for) are allowed after a space and ignored, so ``clf``
also reads a combined line.
"""

from __future__ import annotations

import re
from datetime import UTC
from typing import Final

from pipeflow.domain.json import JsonObject
from pipeflow.domain.parsers.timestamp import format_timestamp, parse_time

CLF_TIME: Final = "%d/%b/%Y:%H:%M:%S %z"
"""The strftime format of the time between the brackets."""

_QUOTED = r'"((?:[^"\\]|\\.)*)"'
_CLF = rf"(\S+) (\S+) (\S+) \[([^\]]*)\] {_QUOTED} (\d{{3}}) (\d{{1,19}}|-)"
_CLF_LINE = re.compile(rf"{_CLF}(?=\s|\Z)")
_COMBINED_LINE = re.compile(rf"{_CLF} {_QUOTED} {_QUOTED}(?=\s|\Z)")
_REQUEST = re.compile(r"([A-Za-z][A-Za-z0-9_-]*) (\S+)(?: (\S+))?")
_UNESCAPE = re.compile(r"\\([\"\\])")


def parse_clf(line: str) -> JsonObject | str:
    """The fields of one Common Log Format line, or why it is not one.

    >>> f = parse_clf('127.0.0.1 - frank [10/Oct/2000:13:55:36 -0700] "GET /a.gif HTTP/1.0" 200 2326')
    >>> f["client"], f["user"], f["timestamp"], f["method"], f["status"], f["bytes"]
    ('127.0.0.1', 'frank', '2000-10-10T20:55:36.000Z', 'GET', 200, 2326)
    >>> parse_clf("hello")
    'not a Common Log Format line'
    """
    match = _CLF_LINE.match(line)
    if match is None:
        return "not a Common Log Format line"
    return _fields(match)


def parse_combined(line: str) -> JsonObject | str:
    """The fields of one Combined Log Format line (CLF plus referrer and agent), or why not.

    >>> f = parse_combined('::1 - - [04/Dec/2005:04:47:44 +0000] "GET / HTTP/1.1" 304 - "-" "curl/8.0"')
    >>> f["bytes"], f["referrer"], f["agent"]
    (None, '-', 'curl/8.0')
    """
    match = _COMBINED_LINE.match(line)
    if match is None:
        return "not a Combined Log Format line"
    fields = _fields(match)
    if isinstance(fields, dict):
        fields["referrer"] = _unescape(match.group(8))
        fields["agent"] = _unescape(match.group(9))
    return fields


def _fields(match: re.Match[str]) -> JsonObject | str:
    client, ident, user, when, request, status, size = match.group(1, 2, 3, 4, 5, 6, 7)
    moment = parse_time(when, CLF_TIME, UTC, None)
    if moment is None:
        return f"invalid time [{when[:40]}] (expected {CLF_TIME})"
    target = _REQUEST.fullmatch(_unescape(request))
    method, path, protocol = target.group(1, 2, 3) if target else (None, None, None)
    return {
        "client": client,
        "ident": ident,
        "user": user,
        "timestamp": format_timestamp(moment),
        "method": method,
        "path": path,
        "protocol": protocol,
        "status": int(status),
        "bytes": None if size == "-" else int(size),
    }


def _unescape(text: str) -> str:
    return _UNESCAPE.sub(r"\1", text) if "\\" in text else text


__all__ = ["CLF_TIME", "parse_clf", "parse_combined"]
