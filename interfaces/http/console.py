"""``GET /ui``: the web console, static files shipped in the package (``interfaces/http/ui/``).

The page is plain HTML, one stylesheet and a few ES modules: no build step, no node toolchain.
It holds no data: it asks for the token once, keeps it in ``sessionStorage`` and calls the
management API with ``Authorization: Bearer``. So the files themselves are served without the
token (``BearerAuth`` lets ``/ui`` through), and every answer carries a Content-Security-Policy
that allows only this origin's scripts and styles (no inline script or style). ``ui/vendor/``
holds the one third-party module, js-yaml (MIT, its license beside it), served unchanged at
``/ui/vendor/{name}``.
"""

from __future__ import annotations

from importlib import resources
from typing import Final

from fastapi import APIRouter
from fastapi.responses import Response

from pipeflow.interfaces.http.responses import error

CONSOLE_PATH: Final = "/ui"
"""Where the console is served."""

CSP: Final = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)
"""The console's Content-Security-Policy: this origin's files only, nothing inline."""

_TYPES: Final = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}


def console_file(name: str, folder: str = "") -> bytes | None:
    """The bytes of one file of the console (``index.html``, ``app.js``, ...; ``folder="vendor"``:
    a vendored module), ``None`` when absent."""
    if "/" in name or "\\" in name or name.startswith(".") or not name.endswith(tuple(_TYPES)):
        return None
    if folder not in ("", "vendor"):
        return None
    path = resources.files("pipeflow.interfaces.http") / "ui"
    if folder:
        path = path / folder
    path = path / name
    return path.read_bytes() if path.is_file() else None


def _headers() -> dict[str, str]:
    return {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-cache",
    }


def _served(name: str, folder: str = "") -> Response:
    body = console_file(name, folder)
    if body is None:
        return error(404, "not_found", f"no console file {name!r}")
    media = _TYPES[name[name.rindex(".") :]]
    return Response(body, media_type=media, headers=_headers())


def console_router() -> APIRouter:
    """``GET /ui`` (the page) and ``GET /ui/{name}`` (its scripts and stylesheet)."""
    router = APIRouter(tags=["console"], include_in_schema=False)

    @router.get(CONSOLE_PATH)
    async def console_page() -> Response:
        """The console's page."""
        return _served("index.html")

    @router.get(CONSOLE_PATH + "/{name}")
    async def console_asset(name: str) -> Response:
        """One script or stylesheet of the console."""
        return _served(name)

    @router.get(CONSOLE_PATH + "/vendor/{name}")
    async def console_vendored(name: str) -> Response:
        """One vendored module of the console (js-yaml)."""
        return _served(name, "vendor")

    return router


__all__ = ["CONSOLE_PATH", "CSP", "console_file", "console_router"]
