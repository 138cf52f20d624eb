"""The generated config reference: complete, linked, and the committed copy up to date."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, Field

from pipeflow.interfaces.config.models import Config
from pipeflow.interfaces.config.reference import GENERATOR, Schema, render_reference
from scripts import gen_config_reference


class Knob(BaseModel):
    """A nested block."""

    level: int = Field(3, ge=1, description="How far to turn it.")


class Red(BaseModel):
    """``red``: the first kind."""

    type: Literal["red"]
    shade: str
    knob: Knob = Knob()


class Blue(BaseModel):
    """``blue``: the second kind."""

    type: Literal["blue"]
    timeout_ms: int | None = None
    tags: list[str] = []


class Toy(BaseModel):
    """A toy config."""

    things: dict[str, Annotated[Red | Blue, Field(discriminator="type")]]
    spare: Red | None = None


class FakeFunction:
    """A plugin as the reference sees one: a summary and a schema."""

    def __init__(self, summary: str, model: type[BaseModel]) -> None:
        self.summary = summary
        self.model = model

    def schema(self) -> Schema:
        return self.model.model_json_schema()


class QuietConfig(BaseModel):
    """Nothing to set."""


class ShoutConfig(BaseModel):
    """Config of ``shout``: how loud."""

    volume: Literal["loud", "louder"] = "loud"
    knob: Knob


TOY = render_reference(
    Toy,
    {
        "shout": FakeFunction("Make fields upper case.", ShoutConfig),
        "quiet": FakeFunction("Do nothing.", QuietConfig),
    },
)


def rows(text: str, heading: str) -> list[list[str]]:
    """The table rows (cells) of the section under ``heading``."""
    section = text.split(f"{heading}\n", 1)[1].split("\n#", 1)[0]
    return [
        [c.strip() for c in line.strip("|").split(" | ")]
        for line in section.splitlines()
        if line.startswith("| `")
    ]


def headings(text: str) -> list[str]:
    return re.findall(r"^#+ (.+)$", text, flags=re.MULTILINE)


def slug(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_each_variant_of_a_discriminated_union_gets_its_own_section_in_order() -> None:
    assert headings(TOY) == [
        "Config reference",
        "Top level",
        "`things`",
        "Red (`type: red`)",
        "Blue (`type: blue`)",
        "Knob",
        "Functions",
        "`quiet`",
        "`shout`",
        "Knob",
    ]


def test_a_field_row_has_its_type_default_and_description() -> None:
    assert rows(TOY, "Red (`type: red`)") == [
        ["`type`", "`red`", "**required**", "Type."],
        ["`shade`", "string", "**required**", "Shade."],
        ["`knob`", "[Knob](#knob)", '`{"level": 3}`', "Knob."],
    ]
    assert rows(TOY, "Blue (`type: blue`)") == [
        ["`type`", "`blue`", "**required**", "Type."],
        ["`timeout_ms`", "integer or null", "`null`", "Timeout (milliseconds)."],
        ["`tags`", "list of string", "`[]`", "Tags."],
    ]
    assert rows(TOY, "### Knob") == [["`level`", "integer (≥ 1)", "`3`", "How far to turn it."]]


def test_the_top_level_names_the_union_and_links_each_variant() -> None:
    assert rows(TOY, "## Top level") == [
        [
            "`things`",
            "map of string to one of [Red](#red-type-red), [Blue](#blue-type-blue)",
            "**required**",
            "Things.",
        ],
        ["`spare`", "[Red](#red-type-red) or null", "`null`", "Spare."],
    ]


def test_a_function_without_fields_says_so_instead_of_an_empty_table() -> None:
    section = TOY.split("### `quiet`\n", 1)[1].split("\n#", 1)[0]
    assert section == "\nDo nothing.\n\nNothing to set.\n\nNo fields of its own.\n"


def test_a_function_section_has_its_summary_description_and_fields() -> None:
    section = TOY.split("### `shout`\n", 1)[1]
    assert section.startswith("\nMake fields upper case.\n\nHow loud.\n")
    assert rows(TOY, "### `shout`") == [
        ["`volume`", "one of `loud`, `louder`", "`loud`", "Volume."],
        ["`knob`", "[Knob](#knob)", "**required**", "Knob."],
    ]


REFERENCE = render_reference(Config, {})


def test_every_model_of_the_config_is_documented_once_with_every_field() -> None:
    defs: dict[str, Any] = Config.model_json_schema()["$defs"]
    titles = [h.split(" ")[0] for h in headings(REFERENCE)]
    for name, schema in defs.items():
        assert titles.count(name) == 1, f"{name} is documented {titles.count(name)} times"
        documented = [
            row[0] for row in rows(REFERENCE, next(h for h in headings(REFERENCE) if h.startswith(name)))
        ]
        assert documented == [f"`{field}`" for field in schema["properties"]]


def test_every_link_points_at_a_heading() -> None:
    text = gen_config_reference.generate()
    anchors = {slug(h) for h in headings(text)}
    links = set(re.findall(r"\]\(#([^)]+)\)", text))
    assert links, "the reference links its models"
    assert links - anchors == set()


def test_the_committed_reference_is_up_to_date() -> None:
    committed = gen_config_reference.REFERENCE.read_text(encoding="utf-8")
    assert committed == gen_config_reference.generate(), (
        f"docs/config-reference.md is out of date: run .venv/bin/python {GENERATOR} and commit the result"
    )


def test_the_reference_documents_only_the_built_in_functions() -> None:
    functions = gen_config_reference.builtin_functions()
    assert {"mask", "regex_extract"} <= set(functions)
    builtin = "pipeflow.infrastructure.functions."
    assert all(p.model.__module__.startswith(builtin) for p in functions.values())


def test_check_reports_a_stale_file_and_how_to_regenerate_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    stale = tmp_path / "docs" / "config-reference.md"
    stale.parent.mkdir()
    stale.write_text("# old\n", encoding="utf-8")
    monkeypatch.setattr(gen_config_reference, "ROOT", tmp_path)
    monkeypatch.setattr(gen_config_reference, "REFERENCE", stale)
    assert gen_config_reference.main(["--check"]) == 1
    assert f"run .venv/bin/python {GENERATOR}" in capsys.readouterr().out
    assert gen_config_reference.main([]) == 0
    assert gen_config_reference.main(["--check"]) == 0
    assert stale.read_text(encoding="utf-8") == gen_config_reference.generate()


def _said_again(name: str, description: str) -> bool:
    """Whether ``description`` only repeats the field's name ("Field.", "Pattern definitions.")."""
    words = re.sub(r"[^a-z0-9]+", " ", description.lower()).split()
    return words == name.lower().split("_") or len(words) < 3


def _undescribed(schema: Schema) -> list[str]:
    models = [schema, *schema.get("$defs", {}).values()]
    return [
        f"{model.get('title', '?')}.{name}"
        for model in models
        for name, field in model.get("properties", {}).items()
        if "description" not in field or _said_again(name, field["description"])
    ]


def test_every_field_of_the_config_and_of_the_built_in_functions_is_described() -> None:
    assert _undescribed(Config.model_json_schema()) == []
    for name, plugin in gen_config_reference.builtin_functions().items():
        assert _undescribed(plugin.schema()) == [], f"function {name}"


def test_a_description_that_only_repeats_the_name_is_caught() -> None:
    assert _said_again("pattern_definitions", "Pattern definitions.")
    assert _said_again("field", "Field.")
    assert not _said_again("field", "The string field to mask.")
    assert _undescribed(Toy.model_json_schema()) != []
