"""Kafka through the public config path: an edge run produces, a worker run consumes."""

from __future__ import annotations

import uuid
from pathlib import Path

from tests.scaleout.edge_worker import edge_then_worker


async def test_edge_produces_and_worker_consumes_through_configs(
    tmp_path: Path, kafka_bootstrap: str
) -> None:
    topic = f"logs-{uuid.uuid4().hex[:8]}"
    await edge_then_worker(
        tmp_path,
        f'{{type: kafka, bootstrap_servers: "{kafka_bootstrap}", topic: {topic}, key: "str(n)"}}',
        f'{{type: kafka, bootstrap_servers: "{kafka_bootstrap}", topic: {topic}, group_id: w}}',
    )
