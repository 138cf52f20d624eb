"""Laws of ``LineSplitter``: however the stream is cut into chunks, the lines and offsets are the same.

Reference: ``content.split(b"\\n")`` (without the empty piece after a final newline). Each taken item
is that line, or, for a line over ``max_line_bytes`` that was held back unfinished, a reject of its
first ``max_line_bytes``; the offset after each item is where the next line starts.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeflow.infrastructure.sources.lines import LineSplitter

MAX = 6

contents = st.lists(st.sampled_from([b"a", b"bc", b"\n", b"\n\n", b"xxxxxxx", b"\r\n"]), max_size=30).map(
    b"".join
)


@st.composite
def chunked(draw: st.DrawFn) -> tuple[bytes, list[bytes]]:
    content = draw(contents)
    cuts = sorted(draw(st.lists(st.integers(0, len(content)), max_size=8)))
    bounds = [0, *cuts, len(content)]
    return content, [content[a:b] for a, b in itertools.pairwise(bounds)]


def reference(content: bytes) -> list[tuple[bytes, int]]:
    pieces = content.split(b"\n")
    if pieces[-1] == b"":
        pieces.pop()
    out: list[tuple[bytes, int]] = []
    offset = 0
    for piece in pieces:
        offset = min(offset + len(piece) + 1, len(content))
        out.append((piece, offset))
    return out


def _feed_and_check(
    splitter: LineSplitter,
    content: bytes,
    chunks: list[bytes],
    drain: Callable[[], None],
    got: list[tuple[bytes, int]],
) -> None:
    """Feed the chunks (draining after each and at the end): the items are the reference's."""
    for chunk in chunks:
        splitter.feed(chunk)
        drain()
    splitter.finish()
    drain()
    want = reference(content)
    assert [offset for _, offset in got] == [offset for _, offset in want]
    for (line, _), (expected, _) in zip(got, want, strict=True):
        assert line == expected or (len(expected) > MAX and line == expected[:MAX])
    assert splitter.offset == len(content)


@settings(max_examples=200)
@given(chunked(), st.integers(1, 4))
def test_any_chunking_gives_the_reference_lines_and_offsets(
    case: tuple[bytes, list[bytes]], take: int
) -> None:
    content, chunks = case
    splitter = LineSplitter(0, MAX)
    got: list[tuple[bytes, int]] = []

    def drain() -> None:
        while splitter.ready:
            lines, rejected, offset = splitter.take(1)
            assert len(lines) + len(rejected) == 1
            if rejected:
                assert rejected[0].reason.startswith("line over max_line_bytes")
            got.append(((lines or [r.raw for r in rejected])[0], offset))

    _feed_and_check(splitter, content, chunks, drain, got)
    assert not splitter.has_partial


@settings(max_examples=100)
@given(contents, st.integers(1, 5))
def test_taking_n_at_a_time_ends_at_the_same_offset(content: bytes, n: int) -> None:
    one, many = LineSplitter(10, MAX), LineSplitter(10, MAX)
    for splitter in (one, many):
        splitter.feed(content)
        splitter.finish()
    counted = 0
    while one.ready:
        one.take(1)
        counted += 1
    while many.ready:
        lines, rejected, _ = many.take(n)
        assert len(lines) + len(rejected) <= n
    assert one.offset == many.offset == 10 + len(content)
    assert counted == len(reference(content))


@settings(max_examples=300)
@given(chunked(), st.lists(st.sampled_from(["take", "block"]), min_size=1), st.integers(1, 4))
def test_blocks_and_lines_taken_in_any_mix_give_the_reference(
    case: tuple[bytes, list[bytes]], ways: list[str], n: int
) -> None:
    """``take_block`` hands out whole lines back to back (none over-long, at most ``n``), and mixed
    with ``take`` in any order the items and offsets are those of the reference."""
    content, chunks = case
    splitter = LineSplitter(0, MAX)
    got: list[tuple[bytes, int]] = []
    turn = itertools.cycle(ways)

    def drain() -> None:
        while splitter.ready:
            if next(turn) == "block" and splitter.block_ready:
                taken = splitter.take_block(n)
                assert taken is not None
                block, start, end = taken
                assert 1 <= len(block) <= n
                assert end - start == len(block.data)
                assert all(len(line) <= MAX for line in block.lines())
                at = start
                for line in block.lines():
                    at = min(at + len(line) + 1, end)
                    got.append((line, at))
            else:
                lines, rejected, offset = splitter.take(1)
                got.append(((lines or [r.raw for r in rejected])[0], offset))

    _feed_and_check(splitter, content, chunks, drain, got)


def test_lines_of_a_chunk_stay_one_block_when_none_can_be_over_long() -> None:
    splitter = LineSplitter(0, 8)
    splitter.feed(b"ab\ncd\nef")
    assert splitter.block_ready
    assert splitter.ready == 2
    splitter.feed(b"g\nh")
    taken = splitter.take_block(10)
    assert taken is not None
    assert taken[0].data == b"ab\ncd\nefg\n"
    assert taken[1:] == (0, 10)
    splitter.finish()
    taken = splitter.take_block(10)
    assert taken is not None
    assert (taken[0].data, len(taken[0])) == (b"h", 1)
    assert taken[1:] == (10, 11)
    big = LineSplitter(0, 4)
    big.feed(b"a\nbbbbbbbb\nc\n")  # a line over max between the first and last newline: cut
    assert not big.block_ready
    assert big.ready == 3


@settings(max_examples=300)
@given(st.lists(st.integers(0, 12), min_size=1, max_size=40), st.integers(1, 9))
def test_a_chunk_is_a_block_only_when_no_line_is_over_long(lengths: list[int], limit: int) -> None:
    """The block test looks at a few stretches of the chunk, never at each line: a block never
    holds an over-long line, and lines of at most half the limit always make one."""
    chunk = b"".join(b"x" * n + b"\n" for n in lengths)
    splitter = LineSplitter(0, limit)
    splitter.feed(chunk)
    assert splitter.ready == len(lengths)
    if splitter.block_ready:
        assert all(n <= limit for n in lengths)
    if all(n < (limit + 2) // 2 for n in lengths):
        assert splitter.block_ready
