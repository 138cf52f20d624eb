"""Helpers of the ``serve`` end-to-end tests: a real ``serve`` on 127.0.0.1 (port 0) with a real SQLite
file, an authenticated httpx client, and a gate server that holds an HTTP sink's writes."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import httpx
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from pipeflow.infrastructure.sources.asgi_server import AsgiServer
from pipeflow.interfaces.bootstrap import bootstrap
from pipeflow.interfaces.bootstrap.serve import Running, ServeOptions, serve
from tests.e2e.conftest import write_config

TOKEN = "t0ken"

STAMP = """
state_dir: state
sources:
  web: {type: http}
pipelines:
  stamp:
    description: sets a and b to the same version number
    functions:
      - {type: eval, field: a, expression: "1"}
      - {type: eval, field: b, expression: "1"}
sinks:
  out: {type: file, path: out.ndjson}
routes:
  - {name: all, pipeline: stamp, sink: out}
dead_letter: {type: file, path: dead.ndjson}
"""
"""A config with one ingest source, a pipeline of two functions and a file sink."""


def stamp(version: int) -> dict[str, Any]:
    """The body of a ``stamp`` pipeline whose two functions both write ``version``."""
    return {
        "description": f"version {version}",
        "functions": [
            {"type": "eval", "field": "a", "expression": str(version)},
            {"type": "eval", "field": "b", "expression": str(version)},
        ],
    }


def ndjson(rows: list[dict[str, Any]]) -> bytes:
    """Rows as an NDJSON body."""
    return b"".join(json.dumps(r).encode() + b"\n" for r in rows)


@dataclass
class Served:
    """A running ``serve`` and a client that carries the token."""

    running: Running
    client: httpx.AsyncClient
    anonymous: httpx.AsyncClient


@asynccontextmanager
async def served(
    tmp_path: Path, config: str = STAMP, *, database: str = "manage.db", **options: Any
) -> AsyncIterator[Served]:
    """Start ``serve`` (config written into ``tmp_path``), yield clients, stop it gracefully."""
    app = bootstrap()
    loaded = app.load(str(write_config(tmp_path, config))).unwrap()
    opts = ServeOptions(port=0, database=str(tmp_path / database), token=TOKEN, **options)
    with anyio.fail_after(30):
        async with anyio.create_task_group() as tg:
            running: Running = await tg.start(partial(serve, app, loaded, opts, handle_signals=False))
            async with (
                httpx.AsyncClient(
                    base_url=running.base_url, headers={"Authorization": f"Bearer {TOKEN}"}
                ) as client,
                httpx.AsyncClient(base_url=running.base_url) as anonymous,
            ):
                yield Served(running, client, anonymous)
            running.stop()


@dataclass
class Gate:
    """An HTTP receiver that holds every request until ``release`` is set; ``arrived`` on the first."""

    arrived: anyio.Event = field(default_factory=anyio.Event)
    release: anyio.Event = field(default_factory=anyio.Event)
    bodies: list[bytes] = field(default_factory=list)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI app."""
        body = await Request(scope, receive).body()
        self.arrived.set()
        await self.release.wait()
        self.bodies.append(body)
        await Response(status_code=200)(scope, receive, send)


@asynccontextmanager
async def gate_server() -> AsyncIterator[tuple[Gate, str]]:
    """A running ``Gate`` on 127.0.0.1 and its URL."""
    gate = Gate()
    server = AsgiServer(gate, "127.0.0.1", 0, graceful_s=1)
    host, port = server.bind()
    async with anyio.create_task_group() as tg:
        tg.start_soon(server.serve)
        yield gate, f"http://{host}:{port}/"
        gate.release.set()
        server.stop()


__all__ = ["STAMP", "TOKEN", "Gate", "Served", "gate_server", "ndjson", "served", "stamp"]
