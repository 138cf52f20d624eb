"""``pipeflow tap``: print, as they pass, a sample of the events of one route or sink of a running ``serve``.

A client of ``GET /tap`` (httpx, streamed): one line per event, NDJSON when the output is not a
terminal and ``route -> sink  {event}`` when it is. Exit 0 once ``--limit`` events were shown or on
Ctrl-C; 1 when the server cannot be reached, refuses the token or ends the stream; 2 for bad usage
(neither or both of ``--route`` and ``--sink``, or a name the server does not know).
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Generator
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    import httpx

__all__ = ["render_line", "tap"]

_EXIT_RUNTIME, _EXIT_USAGE = 1, 2


class _Stop(Exception):
    """Ends the command with a message and an exit code."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def render_line(line: dict[str, Any]) -> str:
    """The terminal form of one tapped line.

    >>> render_line({"route": "all", "sink": "out", "event": {"n": 1}})
    'all -> out  {"n": 1}'
    """
    event = json.dumps(line.get("event"), ensure_ascii=False)
    return f"{line.get('route') or '-'} -> {line.get('sink')}  {event}"


def _message(response: httpx.Response) -> str:
    response.read()
    try:
        body = response.json()
    except ValueError:
        return response.text.strip() or response.reason_phrase
    return str(body.get("message", body)) if isinstance(body, dict) else str(body)


def _stream(url: str, params: dict[str, str], token: str | None) -> Generator[str, None, None]:
    import httpx  # here, not at the top: other commands should not pay for importing it

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    timeout = httpx.Timeout(10.0, read=None)  # events may be rare: wait for them as long as it takes
    try:
        with httpx.stream(
            "GET", f"{url.rstrip('/')}/tap", params=params, headers=headers, timeout=timeout
        ) as r:
            if r.status_code == 401:
                raise _Stop("401 unauthorized: pass --token or set PIPEFLOW_TOKEN", _EXIT_RUNTIME)
            if r.status_code in (404, 422):
                raise _Stop(_message(r), _EXIT_USAGE)
            if r.status_code != 200:
                raise _Stop(f"the server answered {r.status_code}: {_message(r)}", _EXIT_RUNTIME)
            yield from (line for line in r.iter_lines() if line)
    except httpx.TransportError as exc:
        if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
            raise _Stop(f"cannot reach {url}: {exc or type(exc).__name__}", _EXIT_RUNTIME) from None
        raise _Stop(f"connection to {url} lost: {exc or type(exc).__name__}", _EXIT_RUNTIME) from None


@click.command("tap")
@click.option("--route", help="Show the events this route sends to its sinks.")
@click.option("--sink", help="Show the events sent to this sink.")
@click.option("--url", default="http://127.0.0.1:3000", show_default=True, help="Where serve listens.")
@click.option("--token", envvar="PIPEFLOW_TOKEN", help="Bearer token of the server (or PIPEFLOW_TOKEN).")
@click.option("--limit", type=click.IntRange(min=1), help="Stop after this many events.")
@click.option(
    "--rate",
    type=click.FloatRange(min=0, min_open=True),
    help="At most this many events/s (server default 10).",
)
def tap(
    route: str | None, sink: str | None, url: str, token: str | None, limit: int | None, rate: float | None
) -> None:
    """Print a live, sampled view of the events passing a route or sink of a running serve."""
    if (route is None) == (sink is None):
        click.echo("tap: give exactly one of --route and --sink", err=True)
        raise SystemExit(_EXIT_USAGE)
    params = {"route": route} if route is not None else {"sink": str(sink)}
    if limit is not None:
        params["limit"] = str(limit)
    if rate is not None:
        params["rate"] = str(rate)
    pretty, shown = sys.stdout.isatty(), 0
    try:
        with contextlib.closing(_stream(url, params, token or None)) as lines:
            for raw in lines:
                click.echo(render_line(json.loads(raw)) if pretty else raw)
                shown += 1
                if limit is not None and shown >= limit:
                    return
    except _Stop as stop:
        click.echo(f"tap: {stop}", err=True)
        raise SystemExit(stop.code) from None
    except KeyboardInterrupt:
        return
    click.echo(f"tap: the server ended the stream after {shown} event(s)", err=True)
    raise SystemExit(_EXIT_RUNTIME)
