"""The ``pipeflow`` command line: parses arguments, calls ``bootstrap`` once, translates results."""

from __future__ import annotations

import click


@click.group()
@click.version_option(package_name="pipeflow")
def main() -> None:
    """pipeflow: an event pipeline engine for logs and metrics."""


__all__ = ["main"]
