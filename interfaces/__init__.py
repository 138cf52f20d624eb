"""The edges: CLI, HTTP API, config parsing, and the one composition root ``bootstrap``."""

__all__: list[str] = []
