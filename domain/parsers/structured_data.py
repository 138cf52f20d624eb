"""RFC 5424 STRUCTURED-DATA (``[id name="value" ...]...`` or ``-``) into a nested object."""

from __future__ import annotations

from pipeflow.domain.json import Json, JsonObject

_ESCAPABLE = frozenset('"\\]')
_NOT_IN_NAME = frozenset('= ]"')
_MAX_NAME = 32


def parse_structured_data(text: str) -> tuple[JsonObject, int] | str:
    """The structured data at the start of ``text`` and where it ends, or why it is malformed.

    A param that appears more than once in an element keeps all its values, as a list.

    >>> parse_structured_data('[ex@1 a="1" b="x\\\\]y"][other] msg')
    ({'ex@1': {'a': '1', 'b': 'x]y'}, 'other': {}}, 28)
    >>> parse_structured_data("- msg")
    ({}, 1)
    """
    if text.startswith("-"):
        return {}, 1
    if not text.startswith("["):
        return "structured data must be '-' or start with '['"
    data: JsonObject = {}
    i = 0
    while i < len(text) and text[i] == "[":
        parsed = _element(text, i + 1)
        if isinstance(parsed, str):
            return parsed
        sd_id, params, i = parsed
        if sd_id in data:
            return f"structured data element {sd_id!r} appears twice"
        data[sd_id] = params
    return data, i


def _element(text: str, i: int) -> tuple[str, JsonObject, int] | str:
    """One element after its ``[``: its id, params and the index after its ``]``."""
    name = _name(text, i)
    if isinstance(name, str):
        return name
    sd_id, i = name
    params: JsonObject = {}
    while i < len(text) and text[i] == " ":
        param = _name(text, i + 1)
        if isinstance(param, str):
            return param
        key, i = param
        if text[i : i + 2] != '="':
            return f'structured data param {key!r} needs ="value"'
        value = _value(text, i + 2)
        if value is None:
            return f"structured data param {key!r} has an unterminated value"
        params[key] = _add(params.get(key), value[0]) if key in params else value[0]
        i = value[1]
    if i >= len(text) or text[i] != "]":
        return f"structured data element {sd_id!r} is not closed with ']'"
    return sd_id, params, i + 1


def _name(text: str, i: int) -> tuple[str, int] | str:
    """An SD-NAME (printable ASCII without ``= ]"``, 1 to 32 characters) at ``i``."""
    j = i
    while j < len(text) and 33 <= ord(text[j]) <= 126 and text[j] not in _NOT_IN_NAME:
        j += 1
    if j == i or j - i > _MAX_NAME:
        return f"invalid structured data name at column {i + 1}"
    return text[i:j], j


def _value(text: str, i: int) -> tuple[str, int] | None:
    """A PARAM-VALUE after its opening quote: the unescaped text and the index after the quote."""
    out: list[str] = []
    while i < len(text):
        c = text[i]
        if c == '"':
            return "".join(out), i + 1
        if c == "\\" and i + 1 < len(text) and text[i + 1] in _ESCAPABLE:
            out.append(text[i + 1])
            i += 2
            continue
        out.append(c)  # RFC 5424 6.3.3: any other backslash is an ordinary character
        i += 1
    return None


def _add(previous: Json, value: str) -> Json:
    return [*previous, value] if isinstance(previous, list) else [previous, value]


__all__ = ["parse_structured_data"]
