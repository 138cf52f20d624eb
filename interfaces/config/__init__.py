"""Config files: YAML read with positions, validated by pydantic at the edge, built into domain values."""

__all__: list[str] = []
