"""ArcSight Common Event Format lines into fields, and fields back into a line.

``CEF:Version|Device Vendor|Device Product|Device Version|Signature ID|Name|Severity|Extension``
gives ``cef_version``, ``device_vendor``, ``device_product``, ``device_version``,
``signature_id``, ``name``, ``severity`` (all strings, as written) and one field per extension key.
In the header ``\\|`` and ``\\\\`` are unescaped; in extension values ``\\=``, ``\\\\``, ``\\|``,
``\\n`` and ``\\r``. Any other backslash stays as written. An extension value runs up to the space
before the next ``key=`` (a key is letters, digits, ``_``, ``.``, ``-``, ``[``, ``]``), so values
may hold spaces. A header field wins over an extension key of the same name. Text before
``CEF:`` (a syslog header) is skipped; a missing final ``|`` (no extension) is allowed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Final

from pipeflow.domain.json import JsonObject

HEADER_FIELDS: Final = (
    *("cef_version", "device_vendor", "device_product", "device_version"),
    *("signature_id", "name", "severity"),
)
"""The names of the seven header fields, in order."""

_START = re.compile(r"(?:^|(?<=\s))CEF:")
_KEY = re.compile(r"(?:^|(?<=\s))([\w.\-\[\]]+)=")
_VALUE_ESCAPE = re.compile(r"\\([=\\|nr])")
_VALUE_UNESCAPE: Final = {"=": "=", "\\": "\\", "|": "|", "n": "\n", "r": "\r"}


def is_cef_key(key: str) -> bool:
    """Whether ``key`` can be an extension key.

    >>> is_cef_key("src"), is_cef_key("cs1Label"), is_cef_key("a b"), is_cef_key("")
    (True, True, False, False)
    """
    return re.fullmatch(r"[\w.\-\[\]]+", key) is not None


def parse_cef(line: str) -> JsonObject | str:
    """The fields of one CEF line, or why it is not CEF.

    >>> f = parse_cef(r"CEF:0|Acme|FW\\|X|1.0|100|Blocked|5|src=10.0.0.1 msg=a\\=b c act=deny")
    >>> f["device_product"], f["severity"], f["src"], f["msg"], f["act"]
    ('FW|X', '5', '10.0.0.1', 'a=b c', 'deny')
    >>> parse_cef("CEF:0|Acme|FW")
    'expected 7 header fields, found 3'
    """
    start = _START.search(line)
    if start is None:
        return "no CEF: header"
    header, rest = _split_header(line[start.end() :].rstrip("\r\n"))
    if len(header) < len(HEADER_FIELDS):
        return f"expected {len(HEADER_FIELDS)} header fields, found {len(header)}"
    extension = _extension(rest)
    if isinstance(extension, str):
        return extension
    fields: JsonObject = dict(zip(HEADER_FIELDS, header, strict=True))
    for key, value in extension.items():
        fields.setdefault(key, value)
    return fields


def _split_header(text: str) -> tuple[list[str], str]:
    """The header fields (up to seven, unescaped) and the text after the seventh ``|``."""
    fields: list[str] = []
    part: list[str] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c == "\\" and i + 1 < n:
            nxt = text[i + 1]
            part.append(nxt if nxt in "|\\" else c + nxt)
            i += 2
            continue
        if c == "|":
            fields.append("".join(part))
            part = []
            if len(fields) == len(HEADER_FIELDS):
                return fields, text[i + 1 :]
        else:
            part.append(c)
        i += 1
    fields.append("".join(part))
    return fields, ""


def _extension(text: str) -> JsonObject | str:
    keys = list(_KEY.finditer(text))
    head = text[: keys[0].start()] if keys else text
    if head.strip():
        return f"extension text before the first key=: {head.strip()[:40]!r}"
    out: JsonObject = {}
    for k, key in enumerate(keys):
        end = keys[k + 1].start() - 1 if k + 1 < len(keys) else len(text)
        out[key.group(1)] = _VALUE_ESCAPE.sub(_unescape, text[key.end() : end])
    return out


def _unescape(match: re.Match[str]) -> str:
    return _VALUE_UNESCAPE[match.group(1)]


def escape_header(text: str) -> str:
    r"""A header field with ``\`` and ``|`` escaped.

    >>> escape_header("a|b\\c")
    'a\\|b\\\\c'
    """
    return text.replace("\\", "\\\\").replace("|", "\\|")


def escape_value(text: str) -> str:
    r"""An extension value with ``\``, ``=``, and line breaks escaped.

    >>> escape_value("a=b\nc")
    'a\\=b\\nc'
    """
    return text.replace("\\", "\\\\").replace("=", "\\=").replace("\n", "\\n").replace("\r", "\\r")


def render_cef(header: Sequence[str], extension: Mapping[str, str]) -> str:
    """One CEF line (``parse_cef`` reads it back): seven header fields, keys passing ``is_cef_key``.

    >>> render_cef(["0", "Acme", "FW", "1", "100", "a|b", "5"], {"msg": "x=y", "act": "deny"})
    'CEF:0|Acme|FW|1|100|a\\\\|b|5|msg=x\\\\=y act=deny'
    """
    head = "|".join(escape_header(field) for field in header)
    return f"CEF:{head}|" + " ".join(f"{key}={escape_value(value)}" for key, value in extension.items())


__all__ = ["HEADER_FIELDS", "escape_header", "escape_value", "is_cef_key", "parse_cef", "render_cef"]
