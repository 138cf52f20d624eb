"""Adapters: actors, sources, sinks, SQLite repositories, built-in functions, plugin loading."""

__all__: list[str] = []
