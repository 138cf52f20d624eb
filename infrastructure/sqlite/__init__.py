"""SQLite adapters: state database, repositories."""
