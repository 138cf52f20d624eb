"""Encoding events for sinks: the event's fields only, one JSON object per line.

An event can hold what JSON encoders refuse: an integer past 64 bits or a string with a lone
surrogate (``parse``'s stdlib decoder lets both through, a plugin may store anything). A sink's
write then fails on it; ``unencodable`` says which event and why, so that one event is
dead-lettered and the rest of its delivery written. Dead letters themselves must always be stored:
``storable`` makes a copy of a record every sink can write (its reason says what was wrong).
"""

from __future__ import annotations

from collections.abc import Iterable

import orjson

from pipeflow.domain.events import Event
from pipeflow.domain.json import INT_MAX, INT_MIN, Json

_OPT = orjson.OPT_APPEND_NEWLINE


def encode_ndjson(events: Iterable[Event]) -> bytes:
    """NDJSON bytes for a batch: one object per line, each line ending in a newline.

    :raises orjson.JSONEncodeError: when an event cannot be encoded (``unencodable`` says which).
    """
    dumps = orjson.dumps
    return b"".join(dumps(e.fields, option=_OPT) for e in events)


def unencodable(event: Event) -> str | None:
    """Why ``event``'s fields cannot be written as JSON, or ``None`` when they can.

    >>> from pipeflow.domain.events import EventMeta
    >>> unencodable(Event("a", EventMeta("s", 0.0), {"n": 1})) is None
    True
    >>> unencodable(Event("b", EventMeta("s", 0.0), {"n": 2**64}))
    'not encodable as JSON: Integer exceeds 64-bit range'
    """
    try:
        orjson.dumps(event.fields)
    except orjson.JSONEncodeError as exc:
        return f"not encodable as JSON: {exc}"
    return None


def encoder_refused(exc: BaseException) -> bool:
    """Whether ``exc`` is (or was raised from) a JSON encoder refusing a value.

    >>> encoder_refused(orjson.JSONEncodeError("x")), encoder_refused(OSError("disk"))
    (True, False)
    """
    return isinstance(exc, orjson.JSONEncodeError) or isinstance(exc.__cause__, orjson.JSONEncodeError)


def record_json(value: Json) -> bytes:
    """``value`` as JSON, encoded once; a value no encoder takes is encoded as ``storable`` makes it.

    >>> record_json({"n": 1}), record_json({"n": 2**64})
    (b'{"n":1}', b'{"n":"18446744073709551616"}')
    """
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return orjson.dumps(_storable(value))


def storable(value: Json) -> Json:
    """``value``, or, when a JSON encoder refuses it, a copy every sink can write: integers past
    64 bits as their decimal text, lone surrogates as ``\\udXXX`` text, other objects as ``repr``.

    >>> storable({"n": 2**64, "s": "a\\ud800", "ok": [1, 2.5, None]})
    {'n': '18446744073709551616', 's': 'a\\\\ud800', 'ok': [1, 2.5, None]}
    """
    try:
        orjson.dumps(value)
    except orjson.JSONEncodeError:
        return _storable(value)
    return value


def _storable(value: object) -> Json:
    if value is None or isinstance(value, bool | float):
        return value
    if isinstance(value, int):
        return value if INT_MIN <= value <= INT_MAX else str(value)
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, list | tuple):
        return [_storable(v) for v in value]
    if isinstance(value, dict):
        return {str(_storable(k)): _storable(v) for k, v in value.items()}
    return repr(value)


__all__ = ["encode_ndjson", "encoder_refused", "record_json", "storable", "unencodable"]
