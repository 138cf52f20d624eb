"""The pure core of pipeflow: events, results, pipelines, expressions, routing and windows.

Nothing here does I/O, reads a clock or draws a random number; infrastructure does that.
"""

from __future__ import annotations

__all__: list[str] = []
