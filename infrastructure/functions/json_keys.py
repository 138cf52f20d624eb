"""Canonical text of a JSON value, for keys of stateful functions (``throttle``, ``dedupe``)."""

from __future__ import annotations

import json

import orjson

from pipeflow.domain.json import Json


def canonical(value: Json) -> str:
    """The value as JSON text with sorted keys: equal texts for equal values (``1`` and ``1.0`` differ).

    orjson writes it; a value orjson refuses (an integer beyond 64 bits, a lone surrogate) is
    written by ``json`` in ASCII. Either text reads back as the value, so two values have the same
    text only when they are the same JSON value, and a value always takes the same path.

    >>> canonical({"b": [1, 1.0], "a": None}), canonical([2**70])
    ('{"a":null,"b":[1,1.0]}', '[1180591620717411303424]')
    """
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    except orjson.JSONEncodeError:
        return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


__all__ = ["canonical"]
