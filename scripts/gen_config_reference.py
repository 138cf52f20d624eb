"""Write ``docs/config-reference.md`` from the config models and the built-in functions.

Run ``.venv/bin/python scripts/gen_config_reference.py`` after changing a config model or a
built-in function's config; ``--check`` only compares and exits 1 when the file is stale.
Only functions registered by the ``pipeflow`` distribution itself are documented, so the page
does not depend on which plugins happen to be installed.
"""

from __future__ import annotations

import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project's packages importable
    sys.path.insert(0, str(ROOT))

from pipeflow.infrastructure.functions.base import FunctionPlugin  # noqa: E402
from pipeflow.infrastructure.plugins import GROUP, load_function_plugins  # noqa: E402
from pipeflow.interfaces.config.models import Config  # noqa: E402
from pipeflow.interfaces.config.reference import GENERATOR, render_reference  # noqa: E402

REFERENCE = ROOT / "docs" / "config-reference.md"
"""Where the generated reference lives (committed)."""


def builtin_functions() -> dict[str, FunctionPlugin[Any]]:
    """The functions the ``pipeflow`` distribution registers, by name (failures to load go to stderr)."""
    ours = {ep.name for ep in entry_points(group=GROUP) if ep.dist is not None and ep.dist.name == "pipeflow"}
    plugins, errors = load_function_plugins()
    for error in errors:
        if error.name in ours:
            print(f"warning: built-in function {error.name!r} left out: {error.reason}", file=sys.stderr)
    return {name: plugin for name, plugin in plugins.items() if name in ours}


def generate() -> str:
    """The reference as it should be now."""
    return render_reference(Config, builtin_functions())


def main(argv: list[str]) -> int:
    """Write the reference, or with ``--check`` say whether the committed one is up to date."""
    text = generate()
    if argv == ["--check"]:
        current = REFERENCE.read_text(encoding="utf-8") if REFERENCE.exists() else ""
        if current != text:
            print(f"{REFERENCE.relative_to(ROOT)} is out of date: run .venv/bin/python {GENERATOR}")
            return 1
        return 0
    if argv:
        print(f"usage: {GENERATOR} [--check]", file=sys.stderr)
        return 2
    REFERENCE.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
