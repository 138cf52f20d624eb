"""Sources: pull-based async iterators of ``SourceBatch`` values."""

__all__: list[str] = []
