"""W2 side by side: the hand-written floor (``floor_w2.py``) and ``pipeflow run --workers 1``.

Generates ``combined`` access-log lines once (``bench/data/``, ``gen_access.py``), then per round
runs the floor and pipeflow (W2 config: file source, ``grok`` with ``%{COMBINEDAPACHELOG}``, file
sink) one after the other, as child processes timed with ``run_w1.timed``. Medians over the
rounds; the two outputs must hold the same records in the same order. Prints one table, with the
ratio floor time / pipeflow time (target >= 0.8).

Usage: ``.venv/bin/python bench/run_w2.py [-n N | --quick] [--runs R]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run_w1 import BENCH, ensure_generated, fresh, pipeflow_bin, timed, write_config

TARGET = 0.8


def ensure_access(n: int, seed: int, data: Path) -> Path:
    """The generated access log for ``n`` lines (made once)."""
    return ensure_generated(BENCH / "gen_access.py", n, seed, data / f"access_{n}_s{seed}.log")


def same_records(a: Path, b: Path) -> str:
    """``same`` when both NDJSON files hold equal records in order, else where they differ."""
    with a.open("rb") as fa, b.open("rb") as fb:
        for number, (la, lb) in enumerate(zip(fa, fb, strict=False), start=1):
            if orjson.loads(la) != orjson.loads(lb):
                return f"differ at line {number}"
        rest_a, rest_b = fa.read(), fb.read()
    return "same" if not rest_a and not rest_b else "different lengths"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("-n", type=int, default=1_000_000, help="lines in the input (default 1,000,000)")
    ap.add_argument("--quick", action="store_true", help="100,000 lines")
    ap.add_argument("--runs", type=int, default=3, help="rounds; medians are reported (default 3)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--data", type=Path, default=BENCH / "data", help="where the input is generated")
    args = ap.parse_args(argv)
    n = 100_000 if args.quick else args.n
    inp = ensure_access(n, args.seed, args.data)
    floor_s: list[float] = []
    engine_s: list[float] = []
    with tempfile.TemporaryDirectory(prefix="pipeflow-w2-") as tmp_name:
        tmp = Path(tmp_name)
        for _ in range(args.runs):
            floor_out = fresh(tmp / "floor") / "access.ndjson"
            seconds, _, rc, err = timed(
                [sys.executable, str(BENCH / "floor_w2.py"), str(inp), str(floor_out)]
            )
            if rc:
                print(err, file=sys.stderr)
                return 1
            floor_s.append(seconds)
            out, state = fresh(tmp / "out"), fresh(tmp / "state")
            config = write_config(BENCH / "w2.yaml", tmp / "w2.yaml", inp, out, state)
            seconds, _, rc, err = timed([pipeflow_bin(), "run", str(config), "--workers", "1"])
            if rc:
                print(err, file=sys.stderr)
                return 1
            engine_s.append(seconds)
        verdict = same_records(floor_out, out / "access.ndjson")
    floor, engine = statistics.median(floor_s), statistics.median(engine_s)
    ratio = floor / engine
    print(f"W2: {n:,} combined lines -> grok %{{COMBINEDAPACHELOG}} -> NDJSON, median of {args.runs}")
    print("| | seconds | lines/s |\n|---|---|---|")
    print(f"| floor (re, groupdict, orjson) | {floor:.2f} | {n / floor:,.0f} |")
    print(f"| pipeflow run --workers 1 | {engine:.2f} | {n / engine:,.0f} |")
    print(f"ratio floor/pipeflow: {ratio:.2f}x (target >= {TARGET}x); outputs: {verdict}")
    return 0 if verdict == "same" else 1


if __name__ == "__main__":
    raise SystemExit(main())
