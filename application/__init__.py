"""Use cases written against the domain's ports."""

__all__: list[str] = []
