"""Shared hypothesis strategies: JSON values, fields, events, paths, results and generated functions.

The generated functions (``GenFn``) are small, deterministic ``PipelineFn``s built from a kind and a
seed, so a failing example prints as data (``GenFn(kind='split', seed=2)``) and can be replayed.
Every change a ``GenFn`` makes is appended to the ``trail`` field, so outputs record the order in
which functions ran. ``GEN_FACTORIES`` registers them under the type ``gen`` for ``compile_pipeline``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Literal, TypeAlias, assert_never, final, get_args

from hypothesis import strategies as st
from returns.result import Failure, Result, Success

from pipeflow.domain.compile import compile_pipeline
from pipeflow.domain.engine import CompiledPipeline
from pipeflow.domain.errors import Problem, Problems
from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.json import Json, JsonObject
from pipeflow.domain.parsers.cef import HEADER_FIELDS
from pipeflow.domain.paths import Path, Segment
from pipeflow.domain.pipeline import FunctionSpec, Pipeline, PipelineId
from pipeflow.domain.ports import FunctionFactory, PipelineFn
from pipeflow.domain.results import Drop, FnResult, FunctionFailed, Pass, Split

# -- JSON-native values -------------------------------------------------------------------------

json_scalars: st.SearchStrategy[Json] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**53), max_value=2**53),
    st.floats(allow_nan=False, allow_infinity=False),  # NaN != NaN; neither is JSON
    st.text(max_size=8),
)
"""A JSON scalar: null, boolean, number or string (no NaN or infinity)."""

keys: st.SearchStrategy[str] = st.one_of(
    st.sampled_from(["a", "b", "level", "msg", "user", "x-y", "", "a b", 'q"t']),
    st.text(max_size=6),
)
"""An object key: mostly short identifiers, sometimes keys that need quoting in a path."""

json_values: st.SearchStrategy[Json] = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(keys, inner, max_size=3),
    ),
    max_leaves=8,
)
"""Any JSON-native value, nested a few levels."""

field_dicts: st.SearchStrategy[JsonObject] = st.dictionaries(keys, json_values, max_size=4)
"""The fields of an event: a JSON object."""

event_ids: st.SearchStrategy[EventId] = st.integers(0, 10**6).map(lambda n: EventId(f"01E{n:08d}"))
"""Event ids (ULID-shaped enough for the domain, which treats them as opaque strings)."""

metas: st.SearchStrategy[EventMeta] = st.builds(
    EventMeta, st.sampled_from(["app", "syslog", "http"]), st.floats(0, 2e9)
)
"""Event metadata: a source name and a receive time."""

events: st.SearchStrategy[Event] = st.builds(Event, event_ids, metas, field_dicts)
"""An event with arbitrary JSON-native fields."""

batches: st.SearchStrategy[list[Event]] = st.lists(events, max_size=4)
"""A small batch of events."""

# -- paths --------------------------------------------------------------------------------------

segments: st.SearchStrategy[Segment] = st.one_of(keys, st.integers(-3, 3), st.integers())
"""One path segment: an object key or a list index (negative allowed)."""

paths: st.SearchStrategy[Path] = st.lists(segments, min_size=1, max_size=5).map(tuple)
"""Any path, including ones with odd keys (quotes, spaces, escapes) and negative indices."""


@st.composite
def settable_paths(draw: st.DrawFn, fields: JsonObject) -> Path:
    """A path into ``fields`` that ``set_in`` can set: it walks existing objects and in-range list
    indices, then may add fresh keys below an object (created on the way)."""
    node: Json = fields
    path: list[Segment] = []
    while len(path) < 4:
        if isinstance(node, dict) and node and draw(st.booleans()):
            key = draw(st.sampled_from(sorted(node)))
            path.append(key)
            node = node[key]
        elif isinstance(node, list) and node and draw(st.booleans()):
            index = draw(st.integers(-len(node), len(node) - 1))
            path.append(index)
            node = node[index]
        else:
            break
    if isinstance(node, dict):
        fresh = draw(st.lists(keys.filter(lambda k: k not in node), max_size=2))
        path.extend(fresh)
    if not path:
        path.append(draw(keys))
    return tuple(path)


@st.composite
def existing_paths(draw: st.DrawFn, fields: JsonObject) -> Path:
    """A path to a value that exists in non-empty ``fields``."""
    node: Json = fields
    path: list[Segment] = []
    while not path or (len(path) < 4 and draw(st.booleans())):
        if isinstance(node, dict) and node:
            key = draw(st.sampled_from(sorted(node)))
            path.append(key)
            node = node[key]
        elif isinstance(node, list) and node:
            index = draw(st.integers(-len(node), len(node) - 1))
            path.append(index)
            node = node[index]
        else:
            break
    return tuple(path)


# -- results and generated functions ------------------------------------------------------------

fn_results: st.SearchStrategy[FnResult] = st.one_of(
    st.builds(Pass, events),
    st.builds(Split, st.lists(events, max_size=3).map(tuple)),
    st.builds(Drop, st.text(max_size=8)),
)
"""Any ``FnResult``: a ``Pass``, a ``Split`` of 0-3 events or a ``Drop`` with a reason."""

Kind: TypeAlias = Literal["identity", "tag", "split", "drop", "drop_if", "fail_if"]
"""What a generated function does."""

TOTAL_KINDS: tuple[Kind, ...] = ("identity", "tag", "split", "drop", "drop_if")
"""The kinds that never raise (usable with ``bind``, which does not catch)."""

ALL_KINDS: tuple[Kind, ...] = (*TOTAL_KINDS, "fail_if")
"""Every kind, including ``fail_if``, which raises (for the engine, which catches)."""


def picks(event: Event, seed: int) -> bool:
    """The deterministic predicate ``drop_if`` and ``fail_if`` share: some events, not all."""
    return len(repr(event.fields)) % 3 == seed % 3


@final
@dataclass(frozen=True, slots=True)
class GenFn:
    """A generated pipeline function.

    ``identity`` passes the event unchanged; ``tag`` passes it with ``seed`` appended to ``trail``;
    ``split`` makes ``seed % 4`` pieces, each with its ``piece`` number and its own id; ``drop``
    drops every event; ``drop_if`` drops the events ``picks`` chooses and ``fail_if`` raises
    ``FunctionFailed`` on exactly those.
    """

    kind: Kind
    seed: int = 0

    def __call__(self, event: Event, /) -> FnResult:
        """Apply the function to one event."""
        match self.kind:
            case "identity":
                return Pass(event)
            case "tag":
                trail = event.get("trail")
                before = trail if isinstance(trail, list) else []
                return Pass(event.with_field("trail", [*before, self.seed]))
            case "split":
                return Split(
                    tuple(
                        event.with_field("piece", i).with_id(EventId(f"{event.id}.{i}"))
                        for i in range(self.seed % 4)
                    )
                )
            case "drop":
                return Drop(f"drop {self.seed}")
            case "drop_if":
                return Drop(f"picked {self.seed}") if picks(event, self.seed) else Pass(event)
            case "fail_if":
                if picks(event, self.seed):
                    raise FunctionFailed(f"picked {self.seed}")
                return Pass(event)
            case _:
                assert_never(self.kind)


def gen_fns(kinds: Sequence[Kind] = TOTAL_KINDS) -> st.SearchStrategy[GenFn]:
    """Generated functions of the given kinds, with small seeds."""
    return st.builds(GenFn, st.sampled_from(kinds), st.integers(0, 11))


def gen_factory(config: Mapping[str, Json], /) -> Result[PipelineFn, Problems]:
    """A ``FunctionFactory`` for ``{"kind": ..., "seed": ...}`` configs (problems as values)."""
    kind, seed = config.get("kind"), config.get("seed", 0)
    found: list[Problem] = []
    if kind not in get_args(Kind):
        found.append(Problem("kind", f"unknown kind {kind!r}"))
    if not isinstance(seed, int) or isinstance(seed, bool):
        found.append(Problem("seed", "must be an integer"))
    if found:
        return Failure(tuple(found))
    return Success(GenFn(kind, seed))  # type: ignore[arg-type]


GEN_FACTORIES: Mapping[str, FunctionFactory] = {"gen": gen_factory}
"""The factory registry for generated functions: type ``gen``."""


def gen_specs(
    kinds: Sequence[Kind] = TOTAL_KINDS, *, disabled: bool = False
) -> st.SearchStrategy[FunctionSpec]:
    """Function specs of type ``gen``; with ``disabled=True`` some of them are disabled."""
    return st.builds(
        lambda fn, off: FunctionSpec("gen", {"kind": fn.kind, "seed": fn.seed}, disabled=off),
        gen_fns(kinds),
        st.booleans() if disabled else st.just(False),
    )


def spec_lists(
    kinds: Sequence[Kind] = TOTAL_KINDS, *, disabled: bool = False
) -> st.SearchStrategy[list[FunctionSpec]]:
    """Up to five function specs: the functions of a pipeline."""
    return st.lists(gen_specs(kinds, disabled=disabled), max_size=5)


def compiled(specs: Sequence[FunctionSpec]) -> CompiledPipeline:
    """Compile ``gen`` specs into a pipeline (they always compile)."""
    result = compile_pipeline(Pipeline(PipelineId("gen"), tuple(specs)), GEN_FACTORIES)
    assert isinstance(result, CompiledPipeline), result
    return result


# -- log lines and times (domain.parsers) ------------------------------------------------------

_no_surrogates = st.characters(codec="utf-8")

logfmt_keys: st.SearchStrategy[str] = st.text(
    st.characters(codec="utf-8", exclude_characters='="').filter(lambda c: c > " " and not c.isspace()),
    min_size=1,
    max_size=8,
)
"""A key logfmt can write: no whitespace, ``=`` or ``"``."""

logfmt_fields: st.SearchStrategy[dict[str, str | Literal[True]]] = st.dictionaries(
    logfmt_keys, st.one_of(st.just(True), st.text(_no_surrogates, max_size=10)), max_size=5
)
"""What a logfmt line holds: keys to string values or ``True`` (a bare key)."""

cef_keys: st.SearchStrategy[str] = st.one_of(
    st.sampled_from(["src", "dst", "msg", "cs1Label", "ad.x[0]", *HEADER_FIELDS]),
    st.from_regex(r"[A-Za-z0-9_.\-\[\]]{1,8}", fullmatch=True),
).filter(lambda key: key not in HEADER_FIELDS)
"""A CEF extension key that is not the name of a header field."""

cef_headers: st.SearchStrategy[list[str]] = st.lists(
    st.text(_no_surrogates, max_size=8), min_size=7, max_size=7
)
"""The seven header fields of a CEF line, any text (pipes and backslashes included)."""

cef_extensions: st.SearchStrategy[dict[str, str]] = st.dictionaries(
    cef_keys, st.text(_no_surrogates, max_size=10), max_size=5
)
"""CEF extension keys to values, any text (``=``, ``|``, ``\\``, line breaks, spaces included)."""

utc_millis: st.SearchStrategy[datetime] = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=d.microsecond // 1000 * 1000))
"""Aware UTC times with whole milliseconds: what ``format_timestamp`` writes exactly."""

fixed_offsets: st.SearchStrategy[timezone] = st.integers(-(23 * 60 + 59), 23 * 60 + 59).map(
    lambda minutes: timezone(timedelta(minutes=minutes))
)
"""A fixed UTC offset, to the minute, as ``%z`` writes them."""


__all__ = [
    "ALL_KINDS",
    "GEN_FACTORIES",
    "TOTAL_KINDS",
    "GenFn",
    "Kind",
    "batches",
    "cef_extensions",
    "cef_headers",
    "cef_keys",
    "compiled",
    "event_ids",
    "events",
    "existing_paths",
    "field_dicts",
    "fixed_offsets",
    "fn_results",
    "gen_factory",
    "gen_fns",
    "gen_specs",
    "json_scalars",
    "json_values",
    "keys",
    "logfmt_fields",
    "logfmt_keys",
    "metas",
    "paths",
    "picks",
    "segments",
    "settable_paths",
    "spec_lists",
    "utc_millis",
]
