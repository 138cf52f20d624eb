"""Sources and sinks by ``type`` (``interfaces/config/variants.py``): every variant is listed, each
model is imported when a config names it, and errors are those of a discriminated union."""

from __future__ import annotations

import inspect
import subprocess
import sys
from typing import Any, get_args

import pydantic
import pytest

from pipeflow.interfaces.config import file_sink, file_source, sinks, sources
from pipeflow.interfaces.config.models import Config
from pipeflow.interfaces.config.variants import SINK_TYPES, SOURCE_TYPES, Variants


def _variants(*modules: object) -> dict[str, type[pydantic.BaseModel]]:
    """The models of ``modules`` that a ``type`` selects, by that type."""
    found: dict[str, type[pydantic.BaseModel]] = {}
    for module in modules:
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if not issubclass(cls, pydantic.BaseModel):
                continue
            field = cls.model_fields.get("type")
            if field is not None and field.is_required():
                (tag,) = get_args(field.annotation)
                found[tag] = cls
    return found


@pytest.mark.parametrize(
    ("types", "modules"),
    [(SOURCE_TYPES, (file_source, sources)), (SINK_TYPES, (file_sink, sinks))],
)
def test_every_model_with_a_type_is_listed_and_each_name_leads_to_its_model(
    types: dict[str, str], modules: tuple[object, ...]
) -> None:
    models = _variants(*modules)
    assert sorted(types) == sorted(models)
    variants = Variants(types)
    assert {tag: variants.model(tag) for tag in types} == models


def _config(**parts: Any) -> dict[str, Any]:
    return {
        "sources": {"app": {"type": "file", "path": "in.ndjson"}},
        "sinks": {"out": {"type": "file", "path": "out.ndjson"}},
        "routes": [{"name": "r", "sink": "out"}],
        **parts,
    }


def _errors(data: dict[str, Any]) -> list[tuple[tuple[int | str, ...], str, str]]:
    with pytest.raises(pydantic.ValidationError) as caught:
        Config.model_validate(data)
    return [(e["loc"], e["type"], e["msg"]) for e in caught.value.errors()]


def test_the_errors_are_those_of_a_union_on_type_without_the_tag_in_the_location() -> None:
    expected = ", ".join(f"'{tag}'" for tag in SINK_TYPES)
    data = _config(
        sinks={
            "a": "text",
            "b": {},
            "c": {"type": "tape"},
            "d": {"type": ["file"]},
            "e": {"type": "file", "path": "x", "fsync": "sometimes"},
            "f": {"type": "http"},
        }
    )
    assert _errors(data) == [
        (
            ("sinks", "a"),
            "model_attributes_type",
            "Input should be a valid dictionary or object to extract fields from",
        ),
        (("sinks", "b"), "union_tag_not_found", "Unable to extract tag using discriminator 'type'"),
        (
            ("sinks", "c"),
            "union_tag_invalid",
            f"Input tag 'tape' found using 'type' does not match any of the expected tags: {expected}",
        ),
        (
            ("sinks", "d"),
            "union_tag_invalid",
            f"Input tag '['file']' found using 'type' does not match any of the expected tags: {expected}",
        ),
        (
            ("sinks", "e", "fsync"),
            "bool_parsing",
            "Input should be a valid boolean, unable to interpret input",
        ),
        (("sinks", "f", "url"), "missing", "Field required"),
    ]
    assert _errors(_config(dead_letter={"type": "nope"}))[0][:2] == (("dead_letter",), "union_tag_invalid")


def test_a_model_instance_is_accepted_as_a_union_accepts_it() -> None:
    sink = file_sink.FileSink(type="file", path="out.ndjson")
    assert Config.model_validate(_config(sinks={"out": sink})).sinks["out"] is sink


def test_the_json_schema_lists_every_variant() -> None:
    schema = Config.model_json_schema()
    assert sorted(
        schema["properties"]["sources"]["additionalProperties"]["discriminator"]["mapping"]
    ) == sorted(SOURCE_TYPES)
    assert sorted(
        schema["properties"]["sinks"]["additionalProperties"]["discriminator"]["mapping"]
    ) == sorted(SINK_TYPES)


def test_a_config_of_files_imports_no_other_variant() -> None:
    code = (
        "import sys\n"
        "from pipeflow.interfaces.config.models import Config\n"
        "Config.model_validate({'sources': {'a': {'type': 'file', 'path': 'x'}},"
        " 'sinks': {'b': {'type': 'file', 'path': 'y'}}, 'routes': [{'name': 'r', 'sink': 'b'}]})\n"
        "print(sorted(m for m in ('pipeflow.interfaces.config.sinks', 'pipeflow.interfaces.config.sources')"
        " if m in sys.modules))\n"
        "from pipeflow.interfaces.config import models\n"
        "print(models.HttpSink.__module__)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == ["[]", "pipeflow.interfaces.config.sinks"]
