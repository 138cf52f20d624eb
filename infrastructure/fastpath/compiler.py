"""Compiling a whole routing snapshot (routes + pipelines) into one batch function over raw lines.

The function decodes each line once, tests the routes in order with their filters inlined, and
runs the fused kernels of the route's pipeline on the parsed dict in place: no ``Event``, no
``FnResult``, no per-stage copy; a dict is copied only where a ``final: false`` route fans out.
A pipeline's steps from the first one that cannot be fused on run through the reference engine
(``CompiledPipeline.process_batch``) after the loop, per route, in route order, exactly as
``Router.route_batch`` runs them. ``tests/property/test_fastpath_equals_reference.py`` holds the law.

A route whose sinks all take NDJSON (``encode``) and that the reference engine has no part in is
encoded inside the loop (``orjson.dumps`` while the dict is fresh; it then dies at once, so the
collector never sees it); an event that cannot be encoded is delivered as fields instead, for its
sink to fail on as usual.

``metered`` (``serve``, whose metrics count every function's outcome per route) compiles drops
that count where they happen: per route and step, in ``drops`` (slot ``k`` is
``CompiledSnapshot.drop_slots[k]``), and without the shared drop hoisted before the routes (it
would not know the route of what it drops). Passes are derived from these counts.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from io import BytesIO
from typing import NamedTuple, final

import orjson

from pipeflow.domain.engine import CompiledPipeline
from pipeflow.domain.filter.codegen import Codegen
from pipeflow.domain.filter.errors import FilterSyntaxError
from pipeflow.domain.filter.fold import fold
from pipeflow.domain.filter.guard import Guarded
from pipeflow.domain.filter.parser import parse_filter
from pipeflow.domain.json import JsonObject
from pipeflow.domain.ports import PipelineFn
from pipeflow.domain.router import CompiledRoute, Router
from pipeflow.infrastructure.fastpath.decoders import decode_ndjson, decode_text
from pipeflow.infrastructure.fastpath.kernels import fuse, is_drop
from pipeflow.infrastructure.fastpath.writer import Writer

Batch = Callable[
    [
        Iterable[object],
        list[list[JsonObject]],
        list[list[int]],
        list[BytesIO],
        list[list[tuple[int, JsonObject]]],
        list[object],
        list[object],
        list[int],
    ],
    tuple[int, int, int, tuple[int, ...]],
]
"""``(items, outs, pos, encs, tails, failed, rejected, drops) -> (dropped, unmatched, blank, lines)``: the
generated function; ``pos`` gets, beside each of ``outs``, the index of the item it came from
(its id is made from that, when it is needed); ``encs`` gets, per route encoded in the loop, its
NDJSON lines (written into a buffer: each is freed at once, none pile up in memory), and ``lines``
says how many per route; ``tails`` and ``failed`` hold item indexes too; ``drops`` counts the drops
per route and step when compiled ``metered`` (else it is not touched)."""


@final
@dataclass(frozen=True, slots=True)
class CompiledSnapshot:
    """A router compiled twice over: from raw lines, and from already-decoded fields."""

    router: Router
    from_lines: Batch
    from_fields: Batch
    tails: tuple[CompiledPipeline | None, ...]  # per route: the steps run by the reference engine
    source: str  # the generated body (lines variant), for debugging
    encodes: tuple[bool, ...] = ()  # per route: delivered as NDJSON lines (``encs``)
    drop_slots: tuple[tuple[int, int], ...] = ()  # metered: ``drops[k]`` counts route/step ``[k]``
    metered: bool = False  # compiled to count what ``serve``'s metrics need
    from_text: Batch | None = None  # raw text lines (``format: lines``): each is ``{"message": line}``


def compile_snapshot(
    router: Router, encode: Collection[str] = (), *, metered: bool = False
) -> CompiledSnapshot:
    """Compile ``router``; filters are inlined unless Python refuses the source (then called).

    Routes whose sinks are all in ``encode`` (and that run nothing through the reference engine)
    deliver NDJSON lines instead of fields. ``metered`` counts drops per route and step.
    """
    try:
        return _compile(router, frozenset(encode), inline=True, metered=metered)
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        return _compile(router, frozenset(encode), inline=False, metered=metered)


def _compile(router: Router, encode: frozenset[str], *, inline: bool, metered: bool) -> CompiledSnapshot:
    tails: list[CompiledPipeline | None] = []
    built: list[Batch] = []
    text = ""
    wanted = [bool(r.route.sinks) and set(r.route.sinks) <= encode for r in router.routes]
    slots: list[list[tuple[int, int]]] = []
    for decode in (decode_ndjson, None, decode_text):
        w = Writer(inline_filters=inline, exact_str=decode is not None)
        slots.append([])
        tails = _body(w, router.routes, wanted, decode=decode, slots=slots[-1] if metered else None)
        built.append(w.build("_batch", "items, outs, pos, encs, tails, failed, rejected, drops"))  # type: ignore[arg-type]
        text = text or w.source()
    if slots[0] != slots[1] or slots[0] != slots[2]:  # every variant fuses the same steps
        raise AssertionError(f"the variants count drops differently: {slots}")
    encodes = tuple(e and t is None for e, t in zip(wanted, tails, strict=True))
    return CompiledSnapshot(
        router, built[0], built[1], tuple(tails), text, encodes, tuple(slots[0]), metered, built[2]
    )


def _body(
    w: Writer,
    routes: Sequence[CompiledRoute],
    encode: Sequence[bool],
    *,
    decode: Callable[[Writer], None] | None,
    slots: list[tuple[int, int]] | None,
) -> list[CompiledPipeline | None]:
    w.emit(0, "dropped = 0")
    w.emit(0, "unmatched = 0")
    w.emit(0, "blank = 0")
    w.emit(0, "_fail = failed.append")
    fans = any(not r.route.final for r in routes)
    outputs = [_outputs(w, i) for i in range(len(routes))]
    if decode is not None:
        decode(w)
    else:
        w.emit(0, f"for _n, _fi in {w.bind(enumerate, 'enumerate')}(items):")
        w.emit(1, f"f = {w.bind(dict, 'dict')}(_fi)")
    hoisted = _common_drop(routes) if slots is None else None
    if hoisted is not None:  # every event reaches one route, and each route starts by this drop
        w.emit(1, "try:")
        fuse(w, 2, hoisted, ["dropped += 1", "continue"], read_ahead=True)
        w.emit(1, "except _E as _exc:")
        w.emit(2, f"_fail((0, 0, {w.bind(routes[0].pipeline.steps[0].type, 'c')}, f, _exc, _n))")  # type: ignore[union-attr]
        w.emit(2, "continue")
    if fans:
        w.emit(1, "_hit = False")
    skip = 0 if hoisted is None else 1
    # Fields read before the routes (by the shared drop) are shared by every route when each is
    # final: a route that matches never falls through, one that does not changed nothing.
    before = dict(w.known) if not fans else {}
    tails = [
        _route(w, i, r, outputs[i], encode=encode[i], skip=skip, known=before, slots=slots)
        for i, r in enumerate(routes)
    ]
    if fans:
        w.emit(1, "if not _hit:")
    w.emit(2 if fans else 1, "unmatched += 1")
    counts = "".join(f"{o.written}, " for o in outputs)
    w.emit(0, f"return dropped, unmatched, blank, ({counts})")
    return tails


class _Outputs(NamedTuple):
    """The locals through which the generated code hands on one route's events."""

    out: str  # appends fields to ``outs[i]``
    pos: str  # appends their item's index to ``pos[i]``
    enc: str  # writes an NDJSON line into ``encs[i]``
    written: str  # how many NDJSON lines were written
    tail: str  # appends ``(index, fields)`` for the reference engine to ``tails[i]``


def _outputs(w: Writer, i: int) -> _Outputs:
    """Emit the locals of route ``i``'s outputs, named by the writer."""
    o = _Outputs(w.local("out"), w.local("pos"), w.local("enc"), w.local("written"), w.local("tail"))
    w.emit(0, f"{o.out} = outs[{i}].append")
    w.emit(0, f"{o.pos} = pos[{i}].append")
    w.emit(0, f"{o.enc} = encs[{i}].write")
    w.emit(0, f"{o.written} = 0")
    w.emit(0, f"{o.tail} = tails[{i}].append")
    return o


def _common_drop(routes: Sequence[CompiledRoute]) -> PipelineFn | None:
    """A filtered ``drop`` every route's pipeline starts with, when it can run before the routes.

    It can when every route is final, every event matches one of them (a route's filter is
    constant ``true``) and each pipeline's first step is the same filtered ``drop``: whichever
    route an event takes, that drop decides first (filters only read; a filter never raises).
    """
    firsts: list[PipelineFn] = []
    for r in routes:
        steps = r.pipeline.steps if r.pipeline is not None else ()
        if not r.route.final or not steps:
            return None
        firsts.append(steps[0].fn)
    drops = [f for f in firsts if isinstance(f, Guarded) and is_drop(f.fn)]
    if len(drops) != len(firsts) or len({f.text for f in drops}) != 1:  # each first step: that drop
        return None
    if not any(_always_true(r.route.filter) for r in routes):
        return None
    return firsts[0]


def _always_true(text: str) -> bool:
    """Whether the filter ``text`` folds to the constant ``true``."""
    parsed = parse_filter(text)
    if isinstance(parsed, FilterSyntaxError):
        return False
    code = fold(parsed, Codegen())
    return code.is_const and code.const is True


def _route(
    w: Writer,
    i: int,
    r: CompiledRoute,
    outputs: _Outputs,
    *,
    encode: bool,
    skip: int,
    known: dict[str, str],
    slots: list[tuple[int, int]] | None = None,
) -> CompiledPipeline | None:
    """Emit route ``i`` (its first ``skip`` steps ran before the routes; ``known`` fields are held
    by locals as it starts); returns the part of its pipeline the reference engine runs (or None).
    With ``slots``, each step's drops are also counted in ``drops`` (its slot appended to ``slots``)."""
    w.forget(known)  # a flag made in an earlier route's branch is not set on this route's path
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
    fused = skip
    for step in steps[skip:]:
        mark = len(w.lines)
        w.emit(indent, "try:")
        drop = ["dropped += 1", leave]
        if slots is not None:
            drop.insert(1, f"drops[{len(slots)}] += 1")
        if not fuse(w, indent + 1, step.fn, drop):
            del w.lines[mark:]
            break
        if slots is not None:
            slots.append((i, step.index))
        w.emit(indent, "except _E as _exc:")
        typ = w.bind(step.type, "c")
        w.emit(indent + 1, f"_fail(({i}, {step.index}, {typ}, f, _exc, _n))")
        w.emit(indent + 1, leave)
        fused += 1
    tail = None
    if r.pipeline is not None and fused < len(steps):
        tail = CompiledPipeline(r.pipeline.id, r.pipeline.version, steps[fused:])
    _deliver(w, indent, outputs, tail=tail is not None, encode=encode)
    w.forget()
    if final:
        w.emit(indent, "continue")
    else:
        w.emit(indent - 1, "f = _fo")
        w.emit(indent - 1, "_hit = True")
    return tail


def _deliver(w: Writer, indent: int, o: _Outputs, *, tail: bool, encode: bool) -> None:
    """Hand ``f`` on: to the reference tail, as an NDJSON line, or as fields."""
    if tail:
        w.emit(indent, f"{o.tail}((_n, f))")
    elif encode:
        dumps, opt = w.bind(orjson.dumps, "dumps"), w.bind(orjson.OPT_APPEND_NEWLINE, "opt")
        w.emit(indent, "try:")
        w.emit(indent + 1, f"{o.enc}({dumps}(f, option={opt}))")
        w.emit(indent + 1, f"{o.written} += 1")
        w.emit(indent, f"except {w.bind(orjson.JSONEncodeError, 'jee')}:")
        w.emit(indent + 1, f"{o.out}(f)")
        w.emit(indent + 1, f"{o.pos}(_n)")
    else:
        w.emit(indent, f"{o.out}(f)")
        w.emit(indent, f"{o.pos}(_n)")


__all__ = ["Batch", "CompiledSnapshot", "compile_snapshot"]
