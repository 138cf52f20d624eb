"""The public surface, pinned: every module of every layer lists its public names in ``__all__``.

Modules are discovered, not listed, so a module added later is checked too. For each one:
``__all__`` exists, every name in it exists, and every public name the module itself defines
(a top-level ``def``, ``class`` or assignment without a leading underscore) is in it. Type
variables are the one exception: they parametrise signatures and are not part of the API.

And the surface itself is pinned by an explicit list, ``public_names.json`` beside this file
(module -> its ``__all__``): a name removed, renamed or added anywhere fails the test until the
list is regenerated on purpose, with
``.venv/bin/python -m tests.unit.test_exported_members --write``, and the diff is reviewed.
"""

from __future__ import annotations

import ast
import importlib
import json
import pkgutil
import sys
from pathlib import Path
from types import ModuleType
from typing import ParamSpec, TypeVar, TypeVarTuple

import pytest

LAYERS = ("pipeflow.domain", "pipeflow.application", "pipeflow.infrastructure", "pipeflow.interfaces")


def discover() -> list[str]:
    """Every module and package under the four layers (a package that fails to import included)."""
    found: list[str] = []
    for layer in LAYERS:
        package = importlib.import_module(layer)
        found.append(layer)
        found.extend(
            info.name
            for info in pkgutil.walk_packages(package.__path__, prefix=f"{layer}.", onerror=found.append)
        )
    return sorted(set(found))


MODULES = discover()


def defined_public_names(module: ModuleType) -> set[str]:
    """Names the module's own top-level code binds (imports excluded), without a leading underscore."""
    assert module.__file__ is not None
    tree = ast.parse(Path(module.__file__).read_text(encoding="utf-8"))
    names: set[str] = set()
    statements: list[ast.stmt] = list(tree.body)
    while statements:
        node = statements.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.If | ast.Try):
            statements.extend([*node.body, *node.orelse, *getattr(node, "finalbody", [])])
    type_params = (TypeVar, ParamSpec, TypeVarTuple)
    return {
        n for n in names if not n.startswith("_") and not isinstance(getattr(module, n, None), type_params)
    }


def test_discovery_finds_the_layers_and_their_modules() -> None:
    expected = {"domain", "domain.engine", "domain.results", "infrastructure.plugins"}
    assert {f"pipeflow.{name}" for name in expected} <= set(MODULES)


@pytest.mark.parametrize("name", MODULES)
def test_module_declares_all(name: str) -> None:
    module = importlib.import_module(name)
    assert hasattr(module, "__all__"), f"{name} has no __all__"


@pytest.mark.parametrize("name", MODULES)
def test_every_name_in_all_exists_once(name: str) -> None:
    module = importlib.import_module(name)
    exported = list(getattr(module, "__all__", ()))
    assert all(isinstance(n, str) for n in exported)
    assert [n for n in exported if not hasattr(module, n)] == [], f"{name}.__all__ lists missing names"
    assert len(exported) == len(set(exported)), f"{name}.__all__ lists a name twice"


@pytest.mark.parametrize("name", MODULES)
def test_every_public_definition_is_exported(name: str) -> None:
    module = importlib.import_module(name)
    missing = defined_public_names(module) - set(getattr(module, "__all__", ()))
    assert sorted(missing) == [], f"{name} defines public names not in __all__"


PINNED = Path(__file__).with_name("public_names.json")


def surface() -> dict[str, list[str]]:
    """Every discovered module's ``__all__``, sorted (modules that fail to import are left out)."""
    found: dict[str, list[str]] = {}
    for name in MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        found[name] = sorted(getattr(module, "__all__", ()))
    return found


def test_the_public_surface_is_the_pinned_list() -> None:
    pinned: dict[str, list[str]] = json.loads(PINNED.read_text(encoding="utf-8"))
    now = surface()
    removed = {m: sorted(set(names) - set(now.get(m, ()))) for m, names in pinned.items()}
    added = {m: sorted(set(names) - set(pinned.get(m, ()))) for m, names in now.items()}
    how = "if on purpose: .venv/bin/python -m tests.unit.test_exported_members --write"
    assert {m: n for m, n in removed.items() if n or m not in now} == {}, f"removed names; {how}"
    assert {m: n for m, n in added.items() if n or m not in pinned} == {}, f"new names; {how}"


if __name__ == "__main__" and sys.argv[1:] == ["--write"]:
    PINNED.write_text(json.dumps(surface(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {PINNED}")
