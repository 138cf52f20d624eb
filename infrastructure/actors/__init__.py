"""The runtime: actors owning bounded streams, wired into a topology under one task group."""

__all__: list[str] = []
