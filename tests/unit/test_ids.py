from __future__ import annotations

from ulid import ULID

from pipeflow.infrastructure.ids import UlidFactory


def test_ids_are_valid_ulids_unique_and_sorted() -> None:
    factory = UlidFactory()
    ids = [factory.new_id() for _ in range(5000)]
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)
    for text in ids[:50]:
        assert len(text) == 26
        assert str(ULID.from_str(text)) == text


def test_the_time_part_is_the_current_millisecond() -> None:
    import time

    before = time.time()
    parsed = ULID.from_str(UlidFactory().new_id())
    assert abs(parsed.timestamp - before) < 5
