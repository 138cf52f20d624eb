"""NATS through the public config path: an edge run publishes, a worker run consumes."""

from __future__ import annotations

import uuid
from pathlib import Path

from tests.scaleout.edge_worker import edge_then_worker


async def test_edge_publishes_and_worker_consumes_through_configs(tmp_path: Path, nats_url: str) -> None:
    tag = uuid.uuid4().hex[:8]
    subject, stream = f"logs.{tag}", f"LOGS_{tag}"
    await edge_then_worker(
        tmp_path,
        f'{{type: nats, url: "{nats_url}", subject: {subject}, stream: {stream}}}',
        f'{{type: nats, url: "{nats_url}", stream: {stream}, subject: {subject}, durable: w, ack_wait_s: 2}}',
    )
