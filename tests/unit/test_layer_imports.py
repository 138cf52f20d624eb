"""Every Python file in the repository imports the layers by their installed name, ``pipeflow.<layer>``.

The four layer folders sit at the repository root, so from a checkout ``import domain`` would work
too and load a second copy of each module (two ``Event`` classes, a monkeypatch that misses). The
import contracts check the package itself; this checks tests, benchmarks, scripts and examples.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYERS = {"domain", "application", "infrastructure", "interfaces"}
FOLDERS = ("tests", "bench", "scripts", "examples", "pipeflow")


def bare_layer_imports(source: str) -> list[str]:
    """The imported module names in ``source`` whose first part is a bare layer name."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
            found.append(node.module)
    return [name for name in found if name.split(".")[0] in LAYERS]


def python_files() -> list[Path]:
    """The repository's own Python files outside the layer folders (vendored code excluded)."""
    files = [p for folder in FOLDERS for p in (ROOT / folder).rglob("*.py") if "vendor" not in p.parts]
    return sorted(p for p in files if ".venv" not in p.parts and "build" not in p.parts)


def test_the_check_sees_a_bare_import() -> None:
    assert bare_layer_imports("import interfaces.runtime\nfrom domain.events import Event\n") == [
        "interfaces.runtime",
        "domain.events",
    ]
    assert bare_layer_imports("from pipeflow.domain.events import Event\nfrom . import x\n") == []


def test_every_file_imports_layers_through_pipeflow() -> None:
    files = python_files()
    assert any(p.name == "test_layer_imports.py" for p in files)
    offenders = {
        str(p.relative_to(ROOT)): bare
        for p in files
        if (bare := bare_layer_imports(p.read_text(encoding="utf-8")))
    }
    assert offenders == {}
