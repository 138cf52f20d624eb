"""Laws of line ids: however a stream is cut into chunks and batches, each line's id is the id
of the offset where it starts, ids are unique per line, and a second read gives the same ids."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeflow.infrastructure.ids import LineIds, LineKey
from pipeflow.infrastructure.sources.lines import LineSplitter

MAX = 12
KEY = LineKey(1_700_000_000_000, "src", 1, 2, b"head\n")

lines_st = st.lists(st.binary(max_size=2 * MAX).map(lambda b: b.replace(b"\n", b"")), max_size=30)


def _true_lines(data: bytes) -> dict[str, tuple[int, bytes]]:
    """Every line of ``data`` by the id of its start offset."""
    out: dict[str, tuple[int, bytes]] = {}
    at = 0
    parts = data.split(b"\n")
    for line in parts[:-1] if data.endswith(b"\n") else parts:
        out[KEY.id_at(at)] = (at, line)
        at += len(line) + 1
    return out if data else {}


def _read(data: bytes, cuts: list[int], batch: int, *, blocks: bool = False) -> list[tuple[bytes, str]]:
    """The lines a splitter hands out (cut into chunks at ``cuts``; as blocks where it can) with their ids."""
    splitter = LineSplitter(0, MAX)
    points = sorted({min(c, len(data)) for c in cuts} | {0, len(data)})
    for a, b in itertools.pairwise(points):
        splitter.feed(data[a:b])
    splitter.finish()
    out: list[tuple[bytes, str]] = []
    while splitter.ready:
        taken = splitter.take_block(batch) if blocks else None
        if taken is not None:
            block, start, _ = taken
            block_ids = LineIds(KEY, start, block)
            out.extend((line, block_ids(k)) for k, line in enumerate(block.lines()))
            continue
        lines, _, _, starts = splitter.take_with_starts(batch)
        line_ids = LineIds(KEY, starts, lines)
        out.extend((line, line_ids(k)) for k, line in enumerate(lines))
    return out


@settings(max_examples=150, deadline=None)
@given(lines_st, st.booleans(), st.lists(st.integers(0, 400), max_size=8), st.integers(1, 7), st.booleans())
def test_each_kept_line_has_the_id_of_its_start_offset(
    lines: list[bytes], newline_at_end: bool, cuts: list[int], batch: int, blocks: bool
) -> None:
    data = b"\n".join(lines) + (b"\n" if newline_at_end and lines else b"")
    true = _true_lines(data)
    got = _read(data, cuts, batch, blocks=blocks)
    assert all(true[i][1] == line for line, i in got)  # each line has the id of where it starts
    assert [true[i][0] for _, i in got] == sorted({true[i][0] for _, i in got})  # once, in order
    short = [i for i, (_, line) in true.items() if len(line) <= MAX]
    assert set(short) <= {i for _, i in got}  # only over-long lines may be left to the rejects


@settings(max_examples=100, deadline=None)
@given(lines_st, st.lists(st.integers(0, 400), max_size=8), st.lists(st.integers(0, 400), max_size=8))
def test_two_reads_cut_differently_give_the_same_ids(
    lines: list[bytes], cuts: list[int], other: list[int]
) -> None:
    data = b"".join(line + b"\n" for line in lines)
    assert [i for line, i in _read(data, cuts, 3) if len(line) <= MAX] == [
        i for line, i in _read(data, other, 5, blocks=True) if len(line) <= MAX
    ]


@settings(max_examples=150, deadline=None)
@given(lines_st, st.booleans(), st.lists(st.integers(0, 400), max_size=8), st.integers(1, 7))
def test_lines_the_splitter_cuts_are_rejected_with_the_id_of_their_start(
    lines: list[bytes], newline_at_end: bool, cuts: list[int], batch: int
) -> None:
    """Over-long lines cut while splitting (they span a chunk boundary) get their offset's id, as a
    line refused by the decoder does; every reject is an over-long line, and none is left out."""
    data = b"\n".join(lines) + (b"\n" if newline_at_end and lines else b"")
    true = _true_lines(data)
    splitter = LineSplitter(0, MAX)
    points = sorted({min(c, len(data)) for c in cuts} | {0, len(data)})
    for a, b in itertools.pairwise(points):
        splitter.feed(data[a:b])
    splitter.finish()
    kept: list[bytes] = []
    rejects = []
    while splitter.ready:
        taken, rejected, _, _ = splitter.take_with_starts(batch, KEY.id_at)
        kept.extend(taken)
        rejects.extend(rejected)
    for reject in rejects:
        assert reject.id is not None
        _, line = true[reject.id]
        assert len(line) > MAX
        assert line.startswith(reject.raw)
    assert len(kept) + len(rejects) == len(true)
