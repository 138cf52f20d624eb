"""Built-in pipeline functions, each registered in the ``pipeflow.functions`` entry-point group."""

from __future__ import annotations

__all__: list[str] = []
