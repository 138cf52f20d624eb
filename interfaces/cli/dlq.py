"""``pipeflow dlq``: show the dead-letter queue, and replay it through the (fixed) topology.

Registered on the main group by ``cli.py``; like it, it calls the app built by ``bootstrap()``
and the wiring in ``interfaces.dlq``, and only translates (exit 0 ok, 1 runtime, 2 bad config).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import anyio
import click

from pipeflow.interfaces.bootstrap import App
from pipeflow.interfaces.bootstrap.dlq import ReplayOutcome, list_dead_letters, replay_dead_letters
from pipeflow.interfaces.cli.common import EXIT_RUNTIME, load_or_exit
from pipeflow.interfaces.cli.summary import render_summary

_CONFIG_HELP = "The config whose state database holds the queue."


@click.group("dlq")
def dlq() -> None:
    """Show the dead-letter queue, or send its events through the topology again."""


@dlq.command("list")
@click.option("--config", default="pipeflow.yaml", show_default=True, help=_CONFIG_HELP)
@click.option(
    "--limit", type=click.IntRange(min=1), default=100, show_default=True, help="Most records shown."
)
@click.option("--route", help="Only the records of this route.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line (the record and its seq).")
@click.pass_obj
def _list_command(app: App, config: str, limit: int, route: str | None, as_json: bool) -> None:
    """Show the oldest records of the queue: when, where, why, and the event or raw input."""
    loaded = load_or_exit(app, config)
    records = anyio.run(lambda: list_dead_letters(loaded.config, limit=limit, route=route))
    for seq, record in records:
        click.echo(json.dumps({"seq": seq, **record}) if as_json else _line(seq, record))
    if not as_json:
        click.echo(f"{len(records)} record(s) shown", err=True)


def _line(seq: int, record: dict[str, Any]) -> str:
    at = datetime.fromtimestamp(float(record.get("at") or 0), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    where = "/".join(str(record.get(k)) for k in ("source", "route", "pipeline", "stage") if record.get(k))
    body = json.dumps(record["event"]) if "event" in record else f"raw: {record.get('raw')}"
    body = body if len(body) <= 120 else body[:117] + "..."
    return f"{seq:>6}  {at}  {where}  {record.get('reason')}\n        {body}"


@dlq.command("replay")
@click.option("--config", required=True, help="The (possibly fixed) config to replay through.")
@click.option("--route", help="Only the records of this route.")
@click.pass_obj
def _replay_command(app: App, config: str, route: str | None) -> None:
    """Send the queue's events through the topology again; each record leaves the queue once
    delivered or dead-lettered anew (with the new reason)."""
    loaded = load_or_exit(app, config)

    async def replay() -> ReplayOutcome:
        return await replay_dead_letters(loaded, clock=app.clock, ids=app.ids, stdout=app.stdout, route=route)

    outcome = anyio.run(replay)
    click.echo(render_summary(outcome.stats.summary()), err=True)
    click.echo(f"replayed {outcome.replayed} record(s); {outcome.remaining} in the queue", err=True)
    for failure in outcome.failures:
        click.echo(f"error: {failure}", err=True)
    if outcome.failures:
        raise SystemExit(EXIT_RUNTIME)


__all__ = ["dlq"]
