"""Use cases written against the domain's ports."""
