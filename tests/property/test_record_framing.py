"""Laws of the disk buffer's record framing: round trip, and no damage ever decodes as a record."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from pipeflow.domain.record_framing import (
    HEADER_BYTES,
    Corrupt,
    Decoded,
    Incomplete,
    decode_record,
    encode_record,
    next_candidate,
)

payloads = st.binary(max_size=300)


@given(st.lists(payloads, max_size=8))
def test_records_written_one_after_another_read_back_in_order(records: list[bytes]) -> None:
    buf, offset, seen = b"".join(encode_record(p) for p in records), 0, []
    while offset < len(buf):
        found = decode_record(buf, offset)
        assert isinstance(found, Decoded)
        seen.append(found.payload)
        offset = found.end
    assert seen == records


@given(payloads, st.data())
def test_any_truncation_is_incomplete_never_a_record(payload: bytes, data: st.DataObject) -> None:
    framed = encode_record(payload)
    cut = data.draw(st.integers(0, len(framed) - 1))
    found = decode_record(framed[:cut], 0)
    assert isinstance(found, Incomplete)
    assert found.needed == len(framed) - cut or cut < HEADER_BYTES


@given(payloads, st.data())
def test_any_bit_flip_is_detected(payload: bytes, data: st.DataObject) -> None:
    framed = bytearray(encode_record(payload))
    bit = data.draw(st.integers(0, len(framed) * 8 - 1))
    framed[bit // 8] ^= 1 << (bit % 8)
    found = decode_record(bytes(framed), 0)
    assert not isinstance(found, Decoded)


@given(payloads, payloads, st.data())
def test_a_torn_record_then_a_whole_one_is_found_again(
    first: bytes, second: bytes, data: st.DataObject
) -> None:
    torn = encode_record(first)
    torn = torn[: data.draw(st.integers(4, len(torn) - 1))]
    buf = torn + encode_record(second)
    offset: int | None = 0
    while offset is not None:
        found = decode_record(buf, offset)
        if isinstance(found, Decoded) and found.end == len(buf):
            break
        offset = next_candidate(buf, offset)
    assert offset is not None
    assert decode_record(buf, offset) == Decoded(second, len(buf))


def test_garbage_is_corrupt() -> None:
    assert isinstance(decode_record(b"\0" * 40, 0), Corrupt)
