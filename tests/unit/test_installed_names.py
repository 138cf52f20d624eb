"""Installed, pipeflow adds one import name (spec section 15): ``pipeflow``, whose top level is the SDK."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys

import pipeflow


def test_the_distribution_installs_the_one_top_level_name_pipeflow() -> None:
    names = importlib.metadata.packages_distributions()
    ours = sorted(name for name, dists in names.items() if "pipeflow" in dists)
    assert ours == ["pipeflow"]


def test_the_layer_folders_are_not_importable_by_their_bare_names_outside_the_checkout(
    tmp_path: object,
) -> None:
    # Run from a folder that is not the repository: only what is installed can be imported.
    code = (
        "import importlib.util, sys\n"
        "sys.path = [p for p in sys.path if p not in ('', '.')]\n"
        "print([n for n in ('domain', 'application', 'infrastructure', 'interfaces')"
        " if importlib.util.find_spec(n) is not None])\n"
        "import pipeflow; print(sorted(pipeflow.__all__)[:3])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=str(tmp_path)
    )
    assert done.stdout.splitlines() == ["[]", str(sorted(pipeflow.__all__)[:3])]
