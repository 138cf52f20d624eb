"""The edges: CLI, HTTP API, config parsing, and the one composition root ``bootstrap``."""
