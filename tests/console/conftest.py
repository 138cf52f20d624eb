"""A real headless Chromium for the console's tests, and a real ``serve`` in a background thread.

``scripts/browser.sh ensure`` installs Debian's ``chromium`` and ``chromium-driver`` when they are
missing (apt-get) and prints their paths. When the browser cannot be had the tests skip with the
reason, except under ``CI=true``, where they fail. Selenium drives the system browser through the
system chromedriver: no browser is downloaded.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import anyio
import httpx
import pytest
from anyio.from_thread import start_blocking_portal
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from pipeflow.interfaces.bootstrap import bootstrap
from pipeflow.interfaces.bootstrap.serve import Running, ServeOptions, serve
from tests.e2e.conftest import write_config

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "browser.sh"
TOKEN = "console-t0ken"
CONFIG = """
state_dir: state
sources:
  web: {type: http}
pipelines:
  tidy:
    description: parse the JSON payload
    functions:
      - {type: parse, field: payload, format: json}
sinks:
  out: {type: file, path: out.ndjson}
  alerts: {type: file, path: alerts.ndjson}
routes:
  - {name: all, pipeline: tidy, sink: out}
  - {name: errors, filter: 'level == "error"', sink: alerts}
"""
"""The console's server: one ingest source, a pipeline, two routes (``errors`` after ``all``), two sinks,
and the state database's dead-letter queue."""

CHROMIUM_ARGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,1000",
)


def _unavailable(reason: str) -> None:
    message = f"headless Chromium is not available: {reason}"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{message} (CI=true: a missing browser fails the run)", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser_paths() -> tuple[str, str]:
    """The Chromium binary and its chromedriver, installed by ``scripts/browser.sh`` when missing."""
    done = subprocess.run(
        ["bash", str(SCRIPT), "ensure"], capture_output=True, text=True, timeout=600, check=False
    )
    found = dict(
        line.removeprefix("export ").split("=", 1) for line in done.stdout.splitlines() if "=" in line
    )
    if done.returncode != 0 or "PIPEFLOW_TEST_CHROMIUM" not in found:
        _unavailable((done.stderr.strip().splitlines() or [f"exit {done.returncode}"])[-1])
    return found["PIPEFLOW_TEST_CHROMIUM"], found["PIPEFLOW_TEST_CHROMEDRIVER"]


@pytest.fixture
def driver(
    browser_paths: tuple[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[webdriver.Chrome]:
    """A fresh headless Chromium (its own user-data-dir) driven through chromedriver."""
    chromium, chromedriver = browser_paths
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in CHROMIUM_ARGS:
        options.add_argument(arg)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    chrome = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)
    chrome.implicitly_wait(0)
    try:
        yield chrome
    finally:
        chrome.quit()


@dataclass
class Console:
    """A running ``serve``: its URL, its folder, and a client of its API that carries the token."""

    base_url: str
    folder: Path
    api: httpx.Client


@asynccontextmanager
async def _serving(folder: Path, config: str) -> AsyncIterator[Running]:
    app = bootstrap()
    loaded = app.load(str(write_config(folder, config))).unwrap()
    options = ServeOptions(port=0, database=str(folder / "manage.db"), token=TOKEN)
    async with anyio.create_task_group() as tg:
        running: Running = await tg.start(partial(serve, app, loaded, options, handle_signals=False))
        yield running
        running.stop()


@pytest.fixture
def console(tmp_path: Path) -> Iterator[Console]:
    """``serve`` on 127.0.0.1 (a free port) in a background thread, stopped gracefully at the end."""
    with (
        start_blocking_portal() as portal,
        portal.wrap_async_context_manager(_serving(tmp_path, CONFIG)) as running,
        httpx.Client(base_url=running.base_url, headers={"Authorization": f"Bearer {TOKEN}"}) as api,
    ):
        yield Console(running.base_url, tmp_path, api)
