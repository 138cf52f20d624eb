"""The typestate builder, proved by mypy itself: ``build()`` on an empty builder is a type error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SNIPPETS = Path("tests", "typestate_snippets")
EMPTY = SNIPPETS / "empty_build.py"
OK = SNIPPETS / "ok_build.py"


def test_mypy_rejects_build_without_a_function_and_accepts_it_after_add(tmp_path: Path) -> None:
    # One mypy run over both snippets, with the project's config and a private cache.
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "--strict",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(tmp_path / "mypy_cache"),
            "--no-error-summary",
            "--no-pretty",
            str(EMPTY),
            str(OK),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr  # 1: type errors found; 2 would be a crash
    errors = [line for line in proc.stdout.splitlines() if ": error:" in line]
    assert [line for line in errors if not line.startswith(f"{EMPTY}:")] == [], "ok_build.py must type-check"
    assert len(errors) == 1, errors
    assert errors[0].startswith(f"{EMPTY}:7: error:")
    assert '"build"' in errors[0]
    assert "PipelineBuilder[NoFunctions]" in errors[0]
