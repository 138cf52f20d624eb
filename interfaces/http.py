"""The management and ingest HTTP API (``pipeflow serve``), as an ASGI app."""

from __future__ import annotations

from fastapi import FastAPI


def create_app() -> FastAPI:
    """The ASGI app; routes are added as the API grows."""
    app = FastAPI(title="pipeflow", version="0.1.0")

    @app.get("/health")
    async def health() -> dict[str, str]:
        """Liveness: answers without auth."""
        return {"status": "ok"}

    return app


__all__ = ["create_app"]
