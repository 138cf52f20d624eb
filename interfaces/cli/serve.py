"""``pipeflow serve``: the command that starts the management API, HTTP ingest and the topology.

Only translates: options in, ``interfaces.serve`` does the wiring, exit codes out (0 after a
graceful stop, 1 when it cannot start or run, 2 for a bad config or bad usage, such as a
non-loopback ``--host`` without a token).
"""

from __future__ import annotations

import ipaddress

import click

from pipeflow.interfaces.bootstrap import App, bootstrap
from pipeflow.interfaces.cli.common import EXIT_CONFIG, EXIT_RUNTIME, load_or_exit


def is_loopback(host: str) -> bool:
    """Whether ``host`` only accepts connections from this machine.

    >>> is_loopback("127.0.0.1"), is_loopback("::1"), is_loopback("localhost"), is_loopback("0.0.0.0")
    (True, True, True, False)
    """
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=3000, show_default=True, help="0: any free port."
)
@click.option(
    "--database",
    type=click.Path(dir_okay=False),
    default="pipeflow.db",
    show_default=True,
    help="SQLite file of the stored pipelines, route tables and idempotency keys, or a "
    "postgresql:// URL (shared by every worker; ?schema=NAME keeps the tables in that schema).",
)
@click.option("--config", type=click.Path(dir_okay=False), help="Seeds the database; its topology runs.")
@click.option("--token", envvar="PIPEFLOW_TOKEN", help="Bearer token every request but /health needs.")
@click.option(
    "--ingest-buffer",
    type=click.IntRange(min=1),
    default=10_000,
    show_default=True,
    help="Events an ingest source holds in flight before answering 429.",
)
@click.option(
    "--max-body-bytes",
    type=click.IntRange(min=1),
    default=10 << 20,
    show_default=True,
    help="Largest ingest body; larger ones get 413.",
)
@click.pass_context
def serve(
    ctx: click.Context,
    host: str,
    port: int,
    database: str,
    config: str | None,
    token: str | None,
    ingest_buffer: int,
    max_body_bytes: int,
) -> None:
    """Serve the management API and HTTP ingest, running the stored pipelines and routes."""
    token = token or None
    if token is None and not is_loopback(host):
        click.echo(
            f"serve: refusing to listen on {host} without a token: pass --token or set PIPEFLOW_TOKEN",
            err=True,
        )
        raise SystemExit(EXIT_CONFIG)
    app = ctx.obj if isinstance(ctx.obj, App) else bootstrap()
    loaded = load_or_exit(app, config) if config is not None else None
    # Imported here: the API stack (FastAPI, uvicorn) costs ~0.4 s that other commands must not pay.
    from pipeflow.interfaces.bootstrap.serve import ServeError, ServeOptions, serve_sync
    from pipeflow.interfaces.http.ingest import IngestLimits

    options = ServeOptions(
        host=host,
        port=port,
        database=database,
        token=token,
        ingest_max_events=ingest_buffer,
        limits=IngestLimits(max_body_bytes=max_body_bytes),
    )
    try:
        serve_sync(app, loaded, options)
    except ServeError as exc:
        click.echo(f"serve: {exc}", err=True)
        raise SystemExit(EXIT_RUNTIME) from None
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        raise SystemExit(EXIT_RUNTIME) from None


__all__ = ["is_loopback", "serve"]
