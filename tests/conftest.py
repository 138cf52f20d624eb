"""Fixtures of every test: async tests run on asyncio only, the event loop pipeflow runs on.

anyio's pytest plugin would also run each async test on trio whenever trio is installed (a
dependency of selenium, which the console's browser tests use); pipeflow's adapters (aiosqlite,
uvicorn) need asyncio.
"""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    """The backend of every async test: asyncio."""
    return "asyncio"
