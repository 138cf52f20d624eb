"""The plugin SDK, ``import pipeflow`` (spec §15), pinned by name: adding or removing one fails here.

The names load lazily (PEP 562), so the test also checks that what mypy sees (the
``TYPE_CHECKING`` imports) is what a plugin gets at run time, and that importing a layer module
does not pay for the SDK.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import pipeflow

SDK = [
    "Drop",
    "Event",
    "EventId",
    "EventMeta",
    "Failure",
    "FnResult",
    "FunctionConfig",
    "FunctionFailed",
    "FunctionPlugin",
    "Json",
    "JsonObject",
    "Pass",
    "Path",
    "PipelineFn",
    "Problem",
    "Problems",
    "Result",
    "Split",
    "Stateful",
    "Success",
    "parse_path",
]


def type_checking_imports() -> dict[str, str]:
    """``name -> module`` for each import under ``if TYPE_CHECKING:`` in ``pipeflow/__init__.py``."""
    assert pipeflow.__file__ is not None
    tree = ast.parse(Path(pipeflow.__file__).read_text(encoding="utf-8"))
    [block] = [n for n in tree.body if isinstance(n, ast.If) and ast.unparse(n.test) == "TYPE_CHECKING"]
    return {
        alias.name: node.module
        for node in block.body
        if isinstance(node, ast.ImportFrom) and node.module is not None
        for alias in node.names
    }


def test_the_sdk_exports_exactly_the_pinned_names() -> None:
    assert pipeflow.__all__ == SDK


@pytest.mark.parametrize("name", SDK)
def test_every_name_resolves_to_the_object_mypy_sees(name: str) -> None:
    home = type_checking_imports()[name]
    assert getattr(pipeflow, name) is getattr(importlib.import_module(home), name)


def test_mypy_sees_exactly_the_sdk() -> None:
    assert sorted(type_checking_imports()) == sorted(SDK)


def test_dir_lists_the_sdk_and_an_unknown_name_is_an_attribute_error() -> None:
    assert set(SDK) <= set(dir(pipeflow))
    with pytest.raises(AttributeError, match="module 'pipeflow' has no attribute 'ConfigProblem'"):
        _ = pipeflow.ConfigProblem  # type: ignore[attr-defined]


def test_the_sdk_is_what_a_plugin_needs() -> None:
    from pipeflow import Event, EventId, EventMeta, Failure, FunctionConfig, FunctionPlugin, Pass, Problem

    class Config(FunctionConfig):
        field: str

    def build(config: Config) -> pipeflow.Result[pipeflow.PipelineFn, pipeflow.Problems]:
        if not config.field:
            return Failure((Problem("field", "must not be empty"),))
        return pipeflow.Success(lambda event: Pass(event.with_field(config.field, True)))

    plugin = FunctionPlugin("mark", Config, build)
    event = Event(EventId("01S"), EventMeta("t", 0.0), {})
    assert plugin({"field": "seen"}).unwrap()(event) == Pass(event.with_field("seen", True))
    assert plugin({"field": ""}) == Failure((Problem("field", "must not be empty"),))


def loaded_after(statement: str) -> set[str]:
    """The top-level packages a fresh interpreter has loaded after running ``statement``."""
    code = f"import sys\n{statement}\nprint(' '.join(sorted({{m.split('.')[0] for m in sys.modules}})))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return set(done.stdout.split())


def test_importing_pipeflow_or_a_domain_module_does_not_load_the_sdk() -> None:
    assert loaded_after("import pipeflow") & {"pydantic", "returns", "hypothesis"} == set()
    assert loaded_after("import pipeflow.domain.events") & {"pydantic", "returns", "hypothesis"} == set()
    assert {"pydantic", "returns"} <= loaded_after("from pipeflow import FunctionPlugin")
