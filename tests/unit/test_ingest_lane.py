"""``IngestLane`` answers ingest requests as the FastAPI route does, byte for byte, and passes the rest on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import httpx
import pytest
from fastapi import FastAPI
from starlette.types import Message, Scope

from pipeflow.interfaces.http.app import BearerAuth
from pipeflow.interfaces.http.ingest import IngestLimits, IngestTicket, ingest_router
from pipeflow.interfaces.http.ingest_lane import IngestLane

LIMITS = IngestLimits(max_body_bytes=100, ack_timeout_s=0.05)


@dataclass
class Ticket:
    accepted: int
    rejected: int
    delivered: bool
    failure: str | None = None

    async def wait(self, timeout_s: float) -> bool:
        return self.delivered


@dataclass
class Queue:
    """Answers by the body's first word: ``full``, ``closed``, ``slow`` (never delivered), else 202."""

    bodies: list[bytes] = field(default_factory=list)

    def offer(self, body: bytes) -> IngestTicket | Literal["full", "closed"]:
        self.bodies.append(body)
        word = body.split(b" ", 1)[0]
        if word in (b"full", b"closed"):
            return "full" if word == b"full" else "closed"
        return Ticket(body.count(b"\n"), body.count(b"bad"), word != b"slow")


def apps(token: str | None) -> tuple[FastAPI, IngestLane, Queue, Queue]:
    """The route alone (its own queue) and the lane in front of another route (two queues)."""
    route_queue, lane_queue = Queue(), Queue()
    route_app, behind = FastAPI(), FastAPI()
    route_app.include_router(ingest_router({"web": route_queue}, LIMITS))
    behind.include_router(ingest_router({"web": Queue()}, LIMITS))
    if token is not None:
        route_app.add_middleware(BearerAuth, token=token)
        behind.add_middleware(BearerAuth, token=token)
    return route_app, IngestLane(behind, {"web": lane_queue}, LIMITS, token=token), route_queue, lane_queue


async def answer(
    app: object, path: str, body: bytes, headers: dict[str, str]
) -> tuple[int, list[tuple[str, str]], bytes]:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        r = await client.post(path, content=body, headers=headers)
    kept = [(k, v) for k, v in r.headers.items() if k not in ("date", "server")]
    return r.status_code, kept, r.content


@pytest.mark.parametrize(
    ("path", "body", "headers"),
    [
        ("/ingest/web", b'{"n": 1}\n{"n": 2}\nbad\n', {"authorization": "Bearer t"}),
        ("/ingest/web", b"full of it\n", {"authorization": "Bearer t"}),
        ("/ingest/web", b"closed now\n", {"authorization": "Bearer t"}),
        ("/ingest/web", b"slow one\n", {"authorization": "Bearer t"}),
        ("/ingest/web", b"x" * 101, {"authorization": "Bearer t"}),
        ("/ingest/web", b"{}\n", {"authorization": "Bearer t", "content-length": "3"}),
        ("/ingest/nope", b"{}\n", {"authorization": "Bearer t"}),
        ("/ingest/web", b"{}\n", {"authorization": "Bearer wrong"}),
        ("/ingest/web", b"{}\n", {}),
        ("/ingest/web/more", b"{}\n", {"authorization": "Bearer t"}),
        ("/ingest/web", b"\x1f\x8b", {"authorization": "Bearer t", "content-encoding": "gzip"}),
        ("/ingest/web", b"{}\n", {"authorization": "Bearer t", "content-encoding": "Identity"}),
        ("/ingest/web", b"{}\n", {"authorization": "bearer t"}),  # the scheme in any case (RFC 7235)
        ("/ingest/web", b"{}\n", {"authorization": "Basic t"}),
    ],
)
async def test_the_lane_answers_as_the_route_does(path: str, body: bytes, headers: dict[str, str]) -> None:
    route_app, lane, route_queue, lane_queue = apps("t")
    assert await answer(lane, path, body, headers) == await answer(route_app, path, body, headers)
    assert lane_queue.bodies == route_queue.bodies  # the lane's queue got what the route's got


async def test_without_a_token_the_lane_takes_every_ingest_request() -> None:
    route_app, lane, route_queue, lane_queue = apps(None)
    body = b'{"n": 1}\n'
    assert await answer(lane, "/ingest/web", body, {}) == await answer(route_app, "/ingest/web", body, {})
    assert lane_queue.bodies == route_queue.bodies == [body]


async def test_other_requests_go_on_to_the_app() -> None:
    _, lane, _, lane_queue = apps("t")
    transport = httpx.ASGITransport(app=lane)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        assert (await client.get("/ingest/web", headers={"authorization": "Bearer t"})).status_code == 405
        assert (await client.get("/openapi.json", headers={"authorization": "Bearer t"})).status_code == 200
    assert lane_queue.bodies == []


async def test_a_client_gone_mid_body_is_not_answered_and_nothing_is_kept() -> None:
    _, lane, _, lane_queue = apps(None)
    messages: list[Message] = [
        {"type": "http.request", "body": b'{"n": 1}\n', "more_body": True},
        {"type": "http.disconnect"},
    ]
    sent: list[Message] = []

    async def receive() -> Message:
        return messages.pop(0)

    async def send(message: Message) -> None:
        sent.append(message)

    scope: Scope = {"type": "http", "method": "POST", "path": "/ingest/web", "headers": []}
    await lane(scope, receive, send)
    assert (sent, lane_queue.bodies) == ([], [])
