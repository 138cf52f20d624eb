"""Bench: a compiled filter against the hand-written lambda doing the same (target: at most 1.5x).

Run: ``.venv/bin/python bench/bench_filter.py``. Prints the cost per call of each and the ratio.
"""

from __future__ import annotations

import timeit

from pipeflow.domain.filter import compile_filter
from pipeflow.domain.filter.parser import parse_filter
from pipeflow.domain.filter.reference import matches_filter
from pipeflow.domain.json import JsonObject

TEXT = 'level == "error" or status >= 500'
EVENTS: list[JsonObject] = [
    {"level": "info", "status": 200, "message": "ok"},
    {"level": "error", "status": 200, "message": "boom"},
    {"level": "warn", "status": 503, "message": "upstream"},
    {"level": "info", "message": "no status"},
    {"level": "info", "status": "500", "message": "status as text"},
]


def hand_written(e: JsonObject) -> bool:
    """What a careful Python programmer writes for the same filter (numbers only, no bools)."""
    s = e.get("status")
    return e.get("level") == "error" or (type(s) in (int, float) and s >= 500)  # type: ignore[operator]


def per_call_ns(fn: object, number: int) -> float:
    def loop() -> None:
        for e in EVENTS:
            fn(e)  # type: ignore[operator]

    best = min(timeit.repeat(loop, number=number, repeat=7))
    return best / (number * len(EVENTS)) * 1e9


def main() -> None:
    compiled = compile_filter(TEXT)
    assert callable(compiled)
    ast = parse_filter(TEXT)
    assert [compiled(e) for e in EVENTS] == [hand_written(e) for e in EVENTS]
    hand = per_call_ns(hand_written, 20_000)
    fast = per_call_ns(compiled, 20_000)
    slow = per_call_ns(lambda e: matches_filter(ast, e), 2_000)  # type: ignore[arg-type]
    print(f"filter:        {TEXT}")
    print(f"hand-written:  {hand:7.1f} ns/event")
    print(f"compiled:      {fast:7.1f} ns/event")
    print(f"interpreted:   {slow:7.1f} ns/event (reference interpreter)")
    print(f"ratio compiled/hand-written: {fast / hand:.2f}x (target <= 1.5x)")


if __name__ == "__main__":
    main()
