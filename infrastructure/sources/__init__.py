"""Sources: pull-based async iterators of ``SourceBatch`` values."""
