"""Developer scripts (run with the project's venv); importable so tests can call them."""

from __future__ import annotations

__all__: list[str] = []
