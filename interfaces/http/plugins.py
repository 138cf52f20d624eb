"""``GET /plugins``: the installed functions with their config JSON schemas (what the console's forms
are generated from), and the plugins that failed to load. The root passes ``App.describe_plugins``."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field


class PluginOut(BaseModel):
    """One installed function type."""

    name: str = Field(description="The `type` a function of the config or API names.")
    distribution: str = Field(description="The Python distribution that provides it.")
    summary: str = Field(description="One line on what it does.")
    schema_: dict[str, Any] = Field(alias="schema", description="The JSON schema of its own config fields.")
    required: list[str] = Field(description="The fields it cannot do without.")


class PluginErrorOut(BaseModel):
    """A plugin that is installed but could not be loaded."""

    name: str
    reason: str


class PluginsOut(BaseModel):
    """``GET /plugins``."""

    functions: list[PluginOut]
    errors: list[PluginErrorOut]


def plugins_router(describe: Callable[[], Mapping[str, Any]]) -> APIRouter:
    """``GET /plugins`` answering ``describe()`` (read once, on the first request)."""
    router = APIRouter(tags=["plugins"])
    cache: list[PluginsOut] = []

    @router.get("/plugins", response_model=PluginsOut, response_model_by_alias=True)
    async def plugins() -> PluginsOut:
        """Every installed function type with its config schema, and the plugins that failed to load."""
        if not cache:
            cache.append(PluginsOut.model_validate(describe()))
        return cache[0]

    return router


__all__ = ["PluginErrorOut", "PluginOut", "PluginsOut", "plugins_router"]
