"""OTLP's ``AnyValue`` and attribute lists as JSON values, and back.

Bytes values become base64 text (JSON has no bytes); an unset value is ``null``.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping

from google.protobuf.internal.containers import RepeatedCompositeFieldContainer
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

from pipeflow.domain.json import Json, JsonObject

__all__ = ["attributes_object", "fill_attributes", "fill_value", "json_value"]


def json_value(value: AnyValue) -> Json:
    """An ``AnyValue`` as a JSON value."""
    match value.WhichOneof("value"):
        case "string_value":
            return value.string_value
        case "int_value":
            return value.int_value
        case "double_value":
            return value.double_value
        case "bool_value":
            return value.bool_value
        case "kvlist_value":
            return attributes_object(value.kvlist_value.values)
        case "array_value":
            return [json_value(v) for v in value.array_value.values]
        case "bytes_value":
            return base64.b64encode(value.bytes_value).decode("ascii")
        case _:
            return None


def attributes_object(pairs: Iterable[KeyValue]) -> JsonObject:
    """A list of ``KeyValue`` as an object (a repeated key keeps its last value)."""
    return {kv.key: json_value(kv.value) for kv in pairs}


def fill_value(target: AnyValue, value: Json) -> None:
    """Set ``target`` to ``value`` (``null`` leaves it unset)."""
    match value:
        case bool():
            target.bool_value = value
        case int():
            if -(1 << 63) <= value < 1 << 63:
                target.int_value = value
            else:
                target.string_value = str(value)  # JSON allows it, int64 does not
        case float():
            target.double_value = value
        case str():
            target.string_value = value
        case list():
            values = target.array_value.values
            for item in value:
                fill_value(values.add(), item)
        case dict():
            fill_attributes(target.kvlist_value.values, value)
        case None:
            pass


def fill_attributes(
    target: RepeatedCompositeFieldContainer[KeyValue], attributes: Mapping[str, Json]
) -> None:
    """Append ``attributes`` to a repeated ``KeyValue`` field."""
    for key, value in attributes.items():
        kv = target.add()
        kv.key = key
        fill_value(kv.value, value)
