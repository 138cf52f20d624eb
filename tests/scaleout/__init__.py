"""Scale-out tests: NATS JetStream and PostgreSQL adapters against real servers on 127.0.0.1."""

from __future__ import annotations
