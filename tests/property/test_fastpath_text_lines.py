"""Text lines (``format: lines``) through the fast path: each line is ``{"message": line}`` exactly as
the sources' decoder makes it (UTF-8, line end and trailing ``\\r`` removed, blank lines skipped, bad
UTF-8 rejected with the same reason), then routed as the reference engine routes the decoded
events; as a list of lines and as one block."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from pipeflow.domain.events import EventMeta
from pipeflow.domain.line_block import LineBlock
from pipeflow.domain.router import Router
from pipeflow.infrastructure.fastpath import compile_snapshot, run_lines
from pipeflow.infrastructure.sources.decode import decode_lines
from tests.property.test_fastpath_equals_reference import Counter, _Clock, fast, reference, routers

text_lines = st.lists(
    st.one_of(
        st.text(max_size=12).map(lambda t: t.replace("\n", " ").encode("utf-8", "surrogatepass")),
        st.sampled_from(
            [
                b"",
                b"   ",
                b"\t",
                b"error id=42 a.b@x.com",
                b"x\r",
                b"\r",
                b"caf\xc3\xa9",
                b"\xff bad",
                b"a\r\r",
            ]
        ),
    ),
    max_size=8,
)


@settings(max_examples=200, deadline=None)
@given(routers(), text_lines)
def test_text_lines_are_decoded_and_routed_as_the_reference_does(router: Router, lines: list[bytes]) -> None:
    events, refused = decode_lines(lines, "lines", "src", Counter(), _Clock())
    rejected = [(r.raw, r.reason) for r in refused]  # ids are given later, from the lines' own
    expected = reference(router, [e.fields for e in events])
    expected["sinks"] = {s: es for s, es in expected["sinks"].items() if es}
    snapshot = compile_snapshot(router, ("s1",))
    meta = EventMeta("src", 0.0)
    outcome = run_lines(snapshot, lines, meta, Counter(), text=True)
    assert ([(r.raw, r.reason) for r in outcome.rejected], outcome.events_in) == (rejected, len(events))
    assert fast(outcome) == expected
    block = LineBlock.of(b"".join(line + b"\n" for line in lines))
    from_block = run_lines(snapshot, block, meta, Counter(), text=True)
    assert ([(r.raw, r.reason) for r in from_block.rejected], from_block.events_in) == (rejected, len(events))
    assert fast(from_block) == expected
