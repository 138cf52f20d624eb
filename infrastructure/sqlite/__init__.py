"""SQLite adapters: state database, repositories."""

__all__: list[str] = []
