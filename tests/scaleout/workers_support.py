"""Helpers of the whole-process scale-out scenarios: a fresh JetStream topic, publishing from the test
with nats-py (one event per message, ``Nats-Msg-Id`` set as an edge's ``nats`` sink sets it), worker
configs, and real ``pipeflow`` processes (the console script next to ``sys.executable``)."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import anyio
import nats
from nats.js.api import PubAck

from pipeflow.infrastructure.sources.nats import MSG_ID, ensure_stream

PIPEFLOW = str(Path(sys.executable).parent / "pipeflow")
"""The ``pipeflow`` console script of this virtualenv."""

WAIT_S = 20.0
"""No wait in these scenarios may take longer than this."""


@dataclass(frozen=True)
class Topic:
    """A stream, its subject and a durable, unique to one test."""

    url: str
    stream: str
    subject: str
    durable: str

    def source_yaml(self, *, ack_wait_s: float, batch_size: int) -> str:
        """The worker config's ``nats`` source on this topic (flow style, one line)."""
        return (
            f'{{type: nats, url: "{self.url}", stream: {self.stream}, subject: {self.subject}, '
            f"durable: {self.durable}, ack_wait_s: {ack_wait_s}, batch_size: {batch_size}}}"
        )


def new_topic(url: str) -> Topic:
    """A topic no other test uses."""
    tag = uuid.uuid4().hex[:10]
    return Topic(url, f"S_{tag}", f"ev.{tag}", f"workers_{tag}")


async def _publish(topic: Topic, numbers: range) -> None:
    nc = await nats.connect(topic.url)
    try:
        with anyio.fail_after(WAIT_S):
            js = nc.jetstream(publish_async_max_pending=2000)
            await ensure_stream(js, topic.stream, topic.subject)
            futures: list[asyncio.Future[PubAck]] = []
            for n in numbers:
                body = json.dumps({"n": n, "msg": f"event {n}"}).encode()
                headers = {MSG_ID: f"{topic.stream}-{n}"}
                futures.append(await js.publish_async(topic.subject, body, headers=headers))
            for future in futures:
                await future
    finally:
        await nc.close()


def publish(topic: Topic, numbers: range) -> None:
    """Publish ``{"n": n, ...}`` for each ``n``, one message each, and wait for the stream's acks."""
    anyio.run(_publish, topic, numbers)


def worker_config(folder: Path, name: str, source: str, sink: str) -> Path:
    """Write the config of worker ``name`` (its own state dir; ``worker`` set to its name) and return it."""
    path = folder / f"{name}.yaml"
    path.write_text(
        f"""state_dir: state-{name}
sources:
  bus: {source}
pipelines:
  tag: {{functions: [{{type: eval, field: worker, expression: '"{name}"'}}]}}
sinks:
  out: {sink}
routes: [{{name: all, pipeline: tag, sink: out}}]
""",
        encoding="utf-8",
    )
    return path


@contextmanager
def processes() -> Iterator[Callable[..., subprocess.Popen[bytes]]]:
    """Start ``pipeflow ARGS`` processes; every one still running at the end is killed."""
    started: list[subprocess.Popen[bytes]] = []

    def start(*args: str, cwd: Path) -> subprocess.Popen[bytes]:
        proc = subprocess.Popen(
            [PIPEFLOW, *args],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        started.append(proc)
        return proc

    try:
        yield start
    finally:
        for proc in started:
            if proc.poll() is None:
                proc.kill()
            proc.communicate(timeout=WAIT_S)


def wait_for(
    check: Callable[[], bool], what: str, *procs: subprocess.Popen[bytes], timeout: float = WAIT_S
) -> float:
    """Poll ``check`` until true; return the seconds it took. Fails on ``timeout`` or if a process ended."""
    begun = time.monotonic()
    while not check():
        for proc in procs:
            if proc.poll() is not None:
                _, err = proc.communicate(timeout=WAIT_S)
                raise AssertionError(f"a worker exited ({proc.returncode}) before {what}: {err.decode()}")
        if time.monotonic() - begun > timeout:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.02)
    return time.monotonic() - begun


def read_numbers(path: Path) -> list[int]:
    """The ``n`` of every complete line of an NDJSON file (none when it does not exist)."""
    if not path.exists():
        return []
    numbers: list[int] = []
    for line in path.read_bytes().split(b"\n"):
        try:
            numbers.append(int(json.loads(line)["n"]))
        except (ValueError, KeyError, TypeError):
            continue  # an empty tail, or a line cut short by SIGKILL
    return numbers


def count_lines(path: Path) -> int:
    """Newlines in a file (0 when it does not exist)."""
    return path.read_bytes().count(b"\n") if path.exists() else 0


def stop(proc: subprocess.Popen[bytes]) -> tuple[int, str]:
    """SIGTERM, wait, and return ``(exit code, stderr)``."""
    proc.terminate()
    _, err = proc.communicate(timeout=WAIT_S)
    return proc.returncode, err.decode("utf-8", "replace")


__all__ = [
    "PIPEFLOW",
    "WAIT_S",
    "Topic",
    "count_lines",
    "new_topic",
    "processes",
    "publish",
    "read_numbers",
    "stop",
    "wait_for",
    "worker_config",
]
