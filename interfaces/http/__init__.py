"""The management and ingest HTTP API: FastAPI routers, request and response models.

Routers take use cases (``Services``) and small Protocols (ingest, tap, ops views) as arguments;
the composition root (``pipeflow.interfaces.bootstrap``) builds what satisfies them. Nothing here
imports ``pipeflow.infrastructure`` (an import contract holds it).
"""

from __future__ import annotations

__all__: list[str] = []
