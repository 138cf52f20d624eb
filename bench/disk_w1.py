"""W1 with a disk buffer on both sinks, next to W1 with memory buffers and the floor, in the same run.

Per round: the floor (``floor_w1.py``), then ``pipeflow run`` on the W1 config (``bench/w1.yaml``,
memory buffers), then on the same config with ``buffer: {type: disk, max_bytes: ...}`` on both sinks
(each delivery appended to the sink's segment files and fsynced before it is acknowledged, then
read back and written). Each run is a child process (``run_w1.timed``: wall time, peak RSS); the
first round's outputs are checked against the floor's; medians over the rounds, ratios to the floor.
The disk buffers live in the run's state folder (a temporary folder, on the same disk as the output).

Usage: ``.venv/bin/python bench/disk_w1.py [-n N | --quick] [--runs R] [--workers W] [--max-bytes B]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import yaml

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:  # run as a script: make bench.run_w1 importable
    sys.path.insert(0, str(ROOT))

from bench.run_w1 import (  # noqa: E402
    VENDOR,
    Measured,
    bytecode_cache,
    check,
    ensure_input,
    fresh,
    pipeflow_bin,
    timed,
    write_config,
)


def disk_template(template: Path, target: Path, max_bytes: int) -> Path:
    """A copy of the W1 config ``template`` with a disk buffer of ``max_bytes`` on every sink."""
    config = yaml.safe_load(template.read_text())
    for sink in config["sinks"].values():
        sink["buffer"] = {"type": "disk", "max_bytes": max_bytes}
    target.write_text(yaml.safe_dump(config, sort_keys=False))
    return target


def run_rounds(
    inp: Path, runs: int, workers: int, tmp: Path, templates: dict[str, Path], env: dict[str, str]
) -> list[Measured]:
    """Interleaved rounds: the floor, then pipeflow with each template; the first round is checked."""
    floor = Measured("floor_w1.py")
    engines = {name: Measured(f"pipeflow --workers {workers}, {name}") for name in templates}
    for rnd in range(runs):
        ref = fresh(tmp / "floor")
        secs, rss, rc, err = timed([sys.executable, str(VENDOR / "floor_w1.py"), str(inp), str(ref)], env=env)
        if rc:
            raise SystemExit(f"the floor failed: {err}")
        floor.seconds.append(secs)
        floor.rss_mb.append(rss)
        for name, template in templates.items():
            m = engines[name]
            out, state = fresh(tmp / "out"), fresh(tmp / "state")
            cfg = write_config(template, tmp / f"w1_{rnd}.yaml", inp, out, state)
            cmd = [pipeflow_bin(), "run", str(cfg), "--workers", str(workers), "--quiet"]
            secs, rss, rc, err = timed(cmd, env=env)
            if rc:
                raise SystemExit(f"{m.name} failed (exit {rc}): {err.strip()[-2000:]}")
            m.seconds.append(secs)
            m.rss_mb.append(rss)
            if rnd == 0:
                m.verdict = check(ref, out)
    floor.verdict = "reference"
    return [floor, *engines.values()]


def render(results: list[Measured], n: int, runs: int, max_bytes: int) -> str:
    """The results as a Markdown table, ratios to the floor and to the memory-buffer run."""
    floor_s, memory_s = results[0].median_s(), results[1].median_s()
    rows = [
        f"W1 with disk buffers, {n:,} events, median of {runs} run(s), max_bytes {max_bytes:,}",
        "",
        "| what | seconds | events/s | vs floor | vs memory buffers | peak RSS MiB | output |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for m in results:
        rows.append(
            f"| {m.name} | {m.median_s():.2f} | {n / m.median_s():,.0f} | {floor_s / m.median_s():.2f}x "
            f"| {memory_s / m.median_s():.2f}x | {m.max_rss():.0f} | {m.verdict} |"
        )
    floors = results[0].seconds
    rounds = [
        f"{m.name}: " + ", ".join(f"{f / e:.2f}x" for f, e in zip(floors, m.seconds, strict=True))
        for m in results[1:]
    ]
    rows += ["", "Each round, vs the floor of that round: " + "; ".join(rounds) + "."]
    return "\n".join(rows) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the rounds, print the table; exit 1 when an output differs."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("-n", type=int, default=1_000_000, help="events in the input (default 1,000,000)")
    ap.add_argument("--quick", action="store_true", help="100,000 events")
    ap.add_argument("--runs", type=int, default=3, help="rounds; medians are reported (default 3)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--workers", type=int, default=1, help="pipeflow worker count (default 1)")
    ap.add_argument("--max-bytes", type=int, default=1 << 30, help="each disk buffer's max_bytes")
    ap.add_argument("--config", type=Path, default=BENCH / "w1.yaml", help="the W1 config template")
    ap.add_argument("--data", type=Path, default=BENCH / "data", help="where the input is generated")
    args = ap.parse_args(argv)
    n = 100_000 if args.quick else args.n
    inp = ensure_input(n, args.seed, args.data)
    with tempfile.TemporaryDirectory(prefix="pipeflow-disk-w1-") as name:
        tmp = Path(name)
        disk = disk_template(args.config, tmp / "w1_disk_template.yaml", args.max_bytes)
        env = bytecode_cache(tmp, args.config)
        templates = {"memory buffers": args.config, "disk buffers": disk}
        results = run_rounds(inp, args.runs, args.workers, tmp, templates, env)
    table = render(results, n, args.runs, args.max_bytes)
    print(table)
    return 0 if all(m.verdict in ("reference", "IDENTICAL(strict)") for m in results) else 1


if __name__ == "__main__":
    sys.exit(main())
