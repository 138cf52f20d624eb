"""The ``pipeflow`` command line: parses arguments, calls ``bootstrap`` once, translates results.

Exit codes: 0 success, 1 runtime failure, 2 bad config or bad usage. A user's mistake is
reported as a message naming what is wrong and where, never as a traceback.
"""

from __future__ import annotations

import contextlib
import functools
import glob
import importlib
import json
import logging
import os
import sys
from typing import TYPE_CHECKING, NoReturn

import anyio
import click

from pipeflow.interfaces.bootstrap import App, bootstrap
from pipeflow.interfaces.cli.common import EXIT_CONFIG, EXIT_OK, EXIT_RUNTIME, load_or_exit
from pipeflow.interfaces.cli.summary import render_summary, summary_path, write_summary_file

if TYPE_CHECKING:
    from pipeflow.interfaces.config.loader import LoadedConfig


class _Commands(click.Group):
    """The command group, with the ``dlq``, ``serve`` and ``tap`` commands imported when named.

    ``pipeflow run`` need not import the HTTP server's or the dead-letter queue's modules (start-up
    time); ``pipeflow --help`` lists them all, and so imports them.
    """

    LAZY: dict[str, str] = {
        "dlq": "pipeflow.interfaces.cli.dlq",
        "serve": "pipeflow.interfaces.cli.serve",
        "tap": "pipeflow.interfaces.cli.tap",
    }
    """Per command name, the module defining it (as a ``click`` command of that name)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        """Every command name, imported or not."""
        return sorted({*super().list_commands(ctx), *self.LAZY})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        """The command of that name, its module imported on first use."""
        if cmd_name in self.LAZY and cmd_name not in self.commands:
            command = getattr(importlib.import_module(self.LAZY[cmd_name]), cmd_name)
            self.add_command(command, cmd_name)
        return super().get_command(ctx, cmd_name)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="pipeflow")
@click.option("--log-level", default="warning", show_default=True, help="debug, info, warning or error.")
@click.option("--log-format", type=click.Choice(["plain", "json"]), default="plain", show_default=True)
@click.pass_context
def main(ctx: click.Context, log_level: str, log_format: str) -> None:
    """pipeflow: an event pipeline engine for logs and metrics."""
    from pipeflow.interfaces.cli.logs import configure_logging

    configure_logging(log_level, log_format)
    ctx.obj = bootstrap()


@main.command()
@click.argument("config", type=click.Path(dir_okay=False))
@click.pass_obj
def validate(app: App, config: str) -> None:
    """Check CONFIG (schema, expressions, regexes, references) and report every problem."""
    loaded = load_or_exit(app, config)
    c = loaded.config
    click.echo(
        f"{config}: ok ({len(c.sources)} sources, {len(c.pipelines)} pipelines, "
        f"{len(c.routes)} routes, {len(c.sinks)} sinks)"
    )


@main.command()
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True, help="Worker processes.")
@click.option(
    "--summary-file",
    type=click.Path(dir_okay=False),
    callback=lambda _ctx, _param, value: summary_path(value),
    help="Also write the summary as JSON here.",
)
@click.option("--quiet", is_flag=True, help="No summary on stderr.")
@click.option(
    "--progress/--no-progress", default=None, help="Live events/s on stderr (default: on a terminal)."
)
@click.pass_obj
def run(
    app: App, config: str, workers: int, summary_file: str | None, quiet: bool, progress: bool | None
) -> None:
    """Run the topology in CONFIG until its input ends (or SIGINT/SIGTERM), then print a summary."""
    loaded = load_or_exit(app, config)
    try:
        show = sys.stderr.isatty() and not quiet if progress is None else progress
        outcome = anyio.run(functools.partial(app.run, loaded, workers, progress=show))
    except KeyboardInterrupt:  # a second Ctrl-C while draining
        click.echo("interrupted", err=True)
        raise SystemExit(EXIT_RUNTIME) from None
    summary = outcome.summary()
    if not quiet:
        click.echo(render_summary(summary), err=True)
        for name, pattern in unmatched_file_sources(loaded):
            click.echo(f"note: source {name!r} matched no file ({pattern})", err=True)
    failures = list(outcome.failures)
    if summary_file:
        try:
            write_summary_file(summary_file, summary)
        except OSError as exc:  # the folder was checked before the run; it may have gone since
            failures.append(f"the summary could not be written to {summary_file}: {exc.strerror or exc}")
    if failures:
        for failure in failures:
            click.echo(f"error: {failure}", err=True)
        raise SystemExit(EXIT_RUNTIME)


def unmatched_file_sources(loaded: LoadedConfig) -> list[tuple[str, str]]:
    """File sources whose path (a glob) matches no file: a likely typo worth a note."""
    from pipeflow.interfaces.config.file_source import FileSource

    return [
        (name, sc.path)
        for name, sc in loaded.config.sources.items()
        if isinstance(sc, FileSource)
        and not any(os.path.isfile(p) for p in glob.iglob(sc.path, recursive=True))
    ]


@main.command("test")
@click.argument("config", type=click.Path(dir_okay=False))
@click.pass_obj
def test_config(app: App, config: str) -> None:
    """Run the ``tests:`` cases in CONFIG: one line per case, a diff for each failure."""
    loaded = load_or_exit(app, config)
    results = app.run_config_tests(loaded)
    if not results:
        click.echo(
            f"{config}: no tests: add a 'tests:' section (see docs/guide/testing-configs.md)", err=True
        )
        raise SystemExit(EXIT_CONFIG)
    for result in results:
        mark = click.style("PASS", fg="green") if result.passed else click.style("FAIL", fg="red")
        click.echo(f"{mark} {result.name}")
        for sink, diff in result.diffs:
            click.echo(f"  sink {sink!r} differs:")
            click.echo("\n".join(f"    {line}" for line in diff.splitlines()))
        for failure in result.dead_lettered:
            click.echo(f"  dead-lettered: {failure}")
    failed = sum(not r.passed for r in results)
    click.echo(f"{len(results) - failed} passed, {failed} failed")
    if failed:
        raise SystemExit(EXIT_RUNTIME)


@main.command()
@click.argument("config", type=click.Path(dir_okay=False))
@click.option("--event", "event_json", required=True, help="The event, as a JSON object.")
@click.option(
    "--format", "fmt", type=click.Choice(["json", "text", "auto"]), default="auto", show_default=True
)
@click.pass_obj
def explain(app: App, config: str, event_json: str, fmt: str) -> None:
    """Show what happens to one event: routes tried, function steps, what reaches each sink."""
    loaded = load_or_exit(app, config)
    try:
        fields = json.loads(event_json)
    except json.JSONDecodeError as exc:
        click.echo(f"--event: invalid JSON: {exc}", err=True)
        raise SystemExit(EXIT_CONFIG) from None
    if not isinstance(fields, dict):
        click.echo("--event: must be a JSON object", err=True)
        raise SystemExit(EXIT_CONFIG)
    trace = app.explain(loaded, fields)
    if fmt == "json" or (fmt == "auto" and not sys.stdout.isatty()):
        text = json.dumps(trace, indent=2, ensure_ascii=False)
    else:
        from pipeflow.interfaces.cli.explain_text import render_trace

        text = render_trace(trace)
    # A lone surrogate (JSON text may escape one) has no UTF-8: printed as its escape, not a crash.
    click.echo(text.encode("utf-8", "backslashreplace").decode("utf-8"))


@main.command()
@click.option("--json", "as_json", is_flag=True, help="Print names, summaries and config schemas as JSON.")
@click.pass_obj
def plugins(app: App, as_json: bool) -> None:
    """List the installed functions (built in and plugins) with their config schemas."""
    listing = app.describe_plugins()
    if as_json:
        click.echo(json.dumps(listing, indent=2))
        return
    for item in listing["functions"]:
        fields = ", ".join(
            f"{name}{'' if name in item['required'] else '?'}"
            for name in item["schema"].get("properties", {})
        )
        click.echo(f"{item['name']:<14} {item['distribution']:<16} {item['summary']}")
        click.echo(f"{'':<14} fields: {fields or '(none)'}")
    for error in listing["errors"]:
        click.echo(f"BROKEN {error['name']}: {error['reason']}", err=True)


def entry() -> None:
    """Console-script entry point with logging of unexpected errors as one line.

    The process leaves with ``os._exit`` once its output is flushed: the interpreter's teardown
    would free every object one by one (~0.1 s after a W1 run) for an OS that reclaims them all
    at once. Every command has finished its work (files closed, state saved) when it returns.
    """
    try:
        main(standalone_mode=True)
    except SystemExit as done:
        leave(done.code)
    except Exception as exc:
        logging.getLogger("pipeflow").debug("unexpected error", exc_info=True)
        click.echo(f"pipeflow: internal error: {type(exc).__name__}: {exc}", err=True)
        leave(EXIT_RUNTIME)
    leave(EXIT_OK)


def leave(code: str | int | None) -> NoReturn:
    """Flush logs and standard streams and end the process now with ``code`` (as ``sys.exit``)."""
    if isinstance(code, str):
        print(code, file=sys.stderr)
    status = code if isinstance(code, int) else (0 if code is None else 1)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):  # a closed pipe or stream: nothing to add
            stream.flush()
    os._exit(status)


__all__ = [
    "EXIT_CONFIG",
    "EXIT_OK",
    "EXIT_RUNTIME",
    "entry",
    "explain",
    "leave",
    "main",
    "plugins",
    "run",
    "test_config",
    "unmatched_file_sources",
    "validate",
]
