"""Compiling a whole routing snapshot (routes + pipelines) into one batch function over raw lines.

The function decodes each line once, tests the routes in order with their filters inlined, and
runs the fused kernels of the route's pipeline on the parsed dict in place: no ``Event``, no
``FnResult``, no per-stage copy; a dict is copied only where a ``final: false`` route fans out.
A pipeline's steps from the first one that cannot be fused on run through the reference engine
(``CompiledPipeline.process_batch``) after the loop, per route, in route order, exactly as
``Router.route_batch`` runs them. ``tests/property/test_fastpath_equals_reference.py`` holds the law.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import final

import orjson

from domain.engine import CompiledPipeline
from domain.json import JsonObject
from domain.router import CompiledRoute, Router
from infrastructure.fastpath.kernels import fuse
from infrastructure.fastpath.writer import Writer

Batch = Callable[
    [Sequence[object], list[list[JsonObject]], list[list[JsonObject]], list[object], list[object]],
    tuple[int, int],
]
"""``(items, outs, tails, failed, rejected) -> (dropped, unmatched)``: the generated function."""


@final
@dataclass(frozen=True, slots=True)
class CompiledSnapshot:
    """A router compiled twice over: from raw lines, and from already-decoded fields."""

    router: Router
    from_lines: Batch
    from_fields: Batch
    tails: tuple[CompiledPipeline | None, ...]  # per route: the steps run by the reference engine
    source: str  # the generated body (lines variant), for debugging


def compile_snapshot(router: Router) -> CompiledSnapshot:
    """Compile ``router``; filters are inlined unless Python refuses the source (then called)."""
    try:
        return _compile(router, inline=True)
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return _compile(router, inline=False)


def _compile(router: Router, *, inline: bool) -> CompiledSnapshot:
    tails: list[CompiledPipeline | None] = []
    built: list[Batch] = []
    text = ""
    for raw in (True, False):
        w = Writer(inline_filters=inline)
        tails = _body(w, router.routes, raw=raw)
        built.append(w.build("_batch", "items, outs, tails, failed, rejected"))  # type: ignore[arg-type]
        text = text or w.source()
    return CompiledSnapshot(router, built[0], built[1], tuple(tails), text)


def _body(w: Writer, routes: Sequence[CompiledRoute], *, raw: bool) -> list[CompiledPipeline | None]:
    w.emit(0, "dropped = 0")
    w.emit(0, "unmatched = 0")
    w.emit(0, "_fail = failed.append")
    fans = any(not r.route.final for r in routes)
    for i in range(len(routes)):
        w.emit(0, f"_fout{i} = outs[{i}].append")
        w.emit(0, f"_ftail{i} = tails[{i}].append")
    if raw:
        _decode(w)
    else:
        w.emit(0, "for _fi in items:")
        w.emit(1, f"f = {w.bind(dict, 'dict')}(_fi)")
    if fans:
        w.emit(1, "_hit = False")
    tails = [_route(w, i, r) for i, r in enumerate(routes)]
    if fans:
        w.emit(1, "if not _hit:")
    w.emit(2 if fans else 1, "unmatched += 1")
    w.emit(0, "return dropped, unmatched")
    return tails


def _decode(w: Writer) -> None:
    jde, typ, dct = w.bind(orjson.JSONDecodeError, "jde"), w.bind(type, "type"), w.bind(dict, "dictt")
    w.emit(0, "for _line in items:")
    w.emit(1, "try:")
    w.emit(2, f"f = {w.bind(orjson.loads, 'loads')}(_line)")
    w.emit(1, f"except {jde} as _exc:")
    w.emit(2, "if _line.strip():  # blank lines are skipped, as decode_lines does")
    w.emit(3, 'rejected.append((_line, f"invalid JSON: {_exc}"))')
    w.emit(2, "continue")
    w.emit(1, f"if f.__class__ is not {dct}:")
    w.emit(2, f'rejected.append((_line, f"not a JSON object: {{{typ}(f).__name__}}"))')
    w.emit(2, "continue")


def _route(w: Writer, i: int, r: CompiledRoute) -> CompiledPipeline | None:
    """Emit route ``i``; returns the part of its pipeline the reference engine runs (or None)."""
    indent = 1
    cond = w.test(indent, r.route.filter, r.matches)
    if cond == "False":
        return None
    if cond != "True":
        w.emit(indent, f"if {cond}:")
        indent += 1
    final = r.route.final
    if not final:
        w.emit(indent, "_fo = f")
        w.emit(indent, f"f = {w.bind(dict, 'dict')}(_fo)")
        w.emit(indent, f"for _ in {w.bind((None,), 'once')}:")
        indent += 1
    leave = "continue" if final else "break"
    steps = r.pipeline.steps if r.pipeline is not None else ()
    fused = 0
    for step in steps:
        mark = len(w.lines)
        w.emit(indent, "try:")
        if not fuse(w, indent + 1, step.fn, ["dropped += 1", leave]):
            del w.lines[mark:]
            break
        w.emit(indent, "except _E as _exc:")
        typ = w.bind(step.type, "c")
        w.emit(indent + 1, f"_fail(({i}, {step.index}, {typ}, f, _exc))")
        w.emit(indent + 1, leave)
        fused += 1
    tail = None
    if r.pipeline is not None and fused < len(steps):
        tail = CompiledPipeline(r.pipeline.id, r.pipeline.version, steps[fused:])
    w.emit(indent, f"_ftail{i}(f)" if tail is not None else f"_fout{i}(f)")
    if final:
        w.emit(indent, "continue")
    else:
        w.emit(indent - 1, "f = _fo")
        w.emit(indent - 1, "_hit = True")
    return tail


__all__ = ["Batch", "CompiledSnapshot", "compile_snapshot"]
