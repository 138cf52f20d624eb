"""What every command shares: exit codes, and loading a config or exiting with its problems."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click
from returns.result import Failure

from pipeflow.interfaces.bootstrap import App

if TYPE_CHECKING:
    from pipeflow.interfaces.config.loader import LoadedConfig

EXIT_OK, EXIT_RUNTIME, EXIT_CONFIG = 0, 1, 2
"""0 success, 1 runtime failure, 2 bad config or bad usage (spec section 1)."""


def load_or_exit(app: App, config: str) -> LoadedConfig:
    """The loaded config, or every problem printed as ``file:line:col: where: what`` and exit 2."""
    loaded = app.load(config)
    if isinstance(loaded, Failure):
        from pipeflow.interfaces.config.problems import render_problem

        problems = loaded.failure()
        for problem in problems:
            click.echo(render_problem(problem, config), err=True)
        click.echo(f"{config}: {len(problems)} problem(s)", err=True)
        raise SystemExit(EXIT_CONFIG)
    return loaded.unwrap()


__all__ = ["EXIT_CONFIG", "EXIT_OK", "EXIT_RUNTIME", "load_or_exit"]
