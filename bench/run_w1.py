"""W1 side by side: the hand-written floor and ``pipeflow run`` (what ``make bench`` runs).

Generates the input once (``bench/data/``, vendored ``gen_logs.py``), then per round runs the floor,
``pipeflow run --workers 1`` and ``--workers 2`` one after the other (so noise hits all alike),
each as a child process whose wall time and peak RSS (``os.wait4``) are measured. Medians over the
rounds; outputs checked against the floor's with the vendored ``check_outputs.py``; start-up measured
on an empty input. Prints one table and writes it to ``bench/results/last.md``.

Every run uses bytecode compiled once into a private cache (``PYTHONPYCACHEPREFIX`` in the run's
temporary folder, filled by one warm-up run), as an installed package has it (pip compiles at
install). This checkout is an editable install used with ``PYTHONDONTWRITEBYTECODE=1``, so without
the cache every start compiles the project's modules again (~0.1-0.2 s); the start-up without the
cache is reported on its own row.

Usage: ``.venv/bin/python bench/run_w1.py [-n N | --quick] [--runs R] [--workers 1,2]``
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import yaml

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
VENDOR = BENCH / "vendor"
TARGETS = {"ratio_w1": 0.9, "ratio_w2": 1.7, "rss_mb": 150.0, "startup_s": 0.25}
IDEAL = "floor_w1.py x2 on halves, at once"


@dataclass
class Measured:
    """Runs of one implementation: wall seconds and peak RSS (MiB) per run, the output check."""

    name: str
    seconds: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    verdict: str = "not checked"
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error and bool(self.seconds)

    def median_s(self) -> float:
        return statistics.median(self.seconds)

    def max_rss(self) -> float:
        return max(self.rss_mb)


def timed(
    cmd: list[str], *, cwd: Path | None = None, env: dict[str, str] | None = None
) -> tuple[float, float, int, str]:
    """Run ``cmd``: wall seconds, peak RSS in MiB of the child (Linux ru_maxrss is KiB), rc, stderr."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, cwd=cwd, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
    return seconds, usage.ru_maxrss / 1024, proc.returncode, text


def ensure_generated(script: Path, n: int, seed: int, path: Path) -> Path:
    """``path`` made once by the generator ``script`` for ``n`` lines (same n and seed, same bytes)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        partial = path.with_suffix(".partial")
        gen = [sys.executable, str(script), "-n", str(n), "--seed", str(seed), "-o", str(partial)]
        subprocess.run(gen, check=True)
        partial.rename(path)
    return path


def ensure_input(n: int, seed: int, data: Path) -> Path:
    """The generated input for ``n`` events (made once; same n and seed give the same bytes)."""
    return ensure_generated(VENDOR / "gen_logs.py", n, seed, data / f"logs_{n}_s{seed}.ndjson")


def ensure_halves(inp: Path) -> tuple[Path, Path]:
    """``inp`` cut in two at the line end nearest its middle (made once, next to it)."""
    first, second = inp.with_suffix(".half1"), inp.with_suffix(".half2")
    if not (first.exists() and second.exists()):  # streamed: a child's peak RSS starts at ours
        with inp.open("rb") as src:
            src.seek(inp.stat().st_size // 2)
            src.readline()
            cut = src.tell()
            src.seek(0)
            with first.open("wb") as dst:
                _copy(src, dst, cut)
            with second.open("wb") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
    return first, second


def _copy(src: BinaryIO, dst: BinaryIO, size: int) -> None:
    """``size`` bytes from ``src`` to ``dst``, a MiB at a time."""
    while size > 0:
        chunk = src.read(min(size, 1 << 20))
        if not chunk:
            return
        dst.write(chunk)
        size -= len(chunk)


def timed_together(cmds: list[list[str]], env: dict[str, str] | None = None) -> tuple[float, float, int]:
    """Run ``cmds`` at once: wall seconds until the last ends, the largest peak RSS (MiB), worst rc."""
    start = time.perf_counter()
    procs = [subprocess.Popen(c, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env) for c in cmds]
    rss, rc = 0.0, 0
    for proc in procs:
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        rss, rc = max(rss, usage.ru_maxrss / 1024), max(rc, abs(proc.returncode))
    return time.perf_counter() - start, rss, rc


def write_config(template: Path, target: Path, inp: Path, out: Path, state: Path) -> Path:
    """A copy of the W1 config with its input, output and state paths made absolute."""
    config = yaml.safe_load(template.read_text())
    config["state_dir"] = str(state)
    for source in config["sources"].values():
        source["path"] = str(inp)
    for sink in config["sinks"].values():
        sink["path"] = str(out / Path(sink["path"]).name)
    target.write_text(yaml.safe_dump(config, sort_keys=False))
    return target


def pipeflow_bin() -> str:
    """The installed console script (the project's virtualenv first)."""
    local = ROOT / ".venv" / "bin" / "pipeflow"
    return str(local) if local.exists() else (shutil.which("pipeflow") or "pipeflow")


def fresh(path: Path) -> Path:
    """An empty folder at ``path`` (file sinks append and sources resume: every run starts clean)."""
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def check(ref: Path, out: Path) -> str:
    """The verdict of ``check_outputs.py`` for ``out`` against the floor's ``ref``."""
    cmd = [sys.executable, str(VENDOR / "check_outputs.py"), str(ref), f"engine={out}"]
    text = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout
    verdicts = [line.split("->", 1)[1].strip() for line in text.splitlines() if "->" in line]
    return verdicts[-1] if verdicts else "check failed"


def run_all(
    inp: Path,
    n: int,
    runs: int,
    workers: list[int],
    tmp: Path,
    template: Path,
    *,
    core: bool = False,
    env: dict[str, str] | None = None,
) -> list[Measured]:
    """Interleaved rounds: floor, then pipeflow with each worker count; the first round is checked."""
    floor = Measured("floor_w1.py")
    # The ceiling of any two-process W1 on this machine at this minute: two floors, each on half
    # of the input, at once (no start-up beyond Python's, no coordination, output order free).
    ideal = Measured(IDEAL) if 2 in workers else None
    halves = ensure_halves(inp) if ideal is not None else ()
    engines = [Measured(f"pipeflow --workers {w}") for w in workers]
    cores = [Measured(f"fastpath core --workers {w}") for w in workers] if core else []
    for rnd in range(runs):
        ref = fresh(tmp / "floor")
        secs, rss, rc, err = timed([sys.executable, str(VENDOR / "floor_w1.py"), str(inp), str(ref)], env=env)
        if rc:
            raise SystemExit(f"the floor failed: {err}")
        floor.seconds.append(secs)
        floor.rss_mb.append(rss)
        if ideal is not None:
            outs = [fresh(tmp / f"ideal{k}") for k in range(len(halves))]
            cmds = [
                [sys.executable, str(VENDOR / "floor_w1.py"), str(h), str(o)]
                for h, o in zip(halves, outs, strict=True)
            ]
            secs, rss, rc = timed_together(cmds, env)
            if rc:
                raise SystemExit("the floor failed on half of the input")
            ideal.seconds.append(secs)
            ideal.rss_mb.append(rss)
        for w, m in [*zip(workers, engines, strict=True), *zip(workers, cores, strict=False)]:
            if m.error:
                continue
            out, state = fresh(tmp / f"out{w}"), fresh(tmp / f"state{w}")
            cfg = write_config(template, tmp / f"w1_{w}.yaml", inp, out, state)
            cmd = [pipeflow_bin(), "run", str(cfg), "--workers", str(w), "--quiet"]
            if m in cores:
                cmd = [sys.executable, str(BENCH / "fast_w1.py"), str(cfg), "--workers", str(w)]
            secs, rss, rc, err = timed(cmd, env=env)
            if rc:
                m.error = f"exit {rc}: {err.strip().splitlines()[-1] if err.strip() else ''}"
                continue
            m.seconds.append(secs)
            m.rss_mb.append(rss)
            if rnd == 0:
                m.verdict = check(ref, out)
    floor.verdict = "reference"
    if ideal is not None:
        ideal.verdict = "-"
    return [floor, *([ideal] if ideal is not None else []), *engines, *cores]


def bytecode_cache(tmp: Path, template: Path) -> dict[str, str]:
    """An environment whose runs use bytecode compiled once (by a warm-up run) into a private cache."""
    env = {**os.environ, "PYTHONPYCACHEPREFIX": str(tmp / "pycache")}
    warm = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    startup(1, tmp, template, warm)  # the warm-up run writes the bytecode
    return env


def startup(runs: int, tmp: Path, template: Path, env: dict[str, str] | None = None) -> float | None:
    """Median wall time of ``pipeflow run`` on an empty input (None when it fails)."""
    empty = tmp / "empty.ndjson"
    empty.write_bytes(b"")
    times = []
    for _ in range(runs):
        out, state = fresh(tmp / "out_empty"), fresh(tmp / "state_empty")
        cfg = write_config(template, tmp / "w1_empty.yaml", empty, out, state)
        secs, _, rc, _ = timed([pipeflow_bin(), "run", str(cfg), "--quiet"], env=env)
        if rc:
            return None
        times.append(secs)
    return statistics.median(times)


def render(
    results: list[Measured], n: int, runs: int, start_s: float | None, cold_s: float | None = None
) -> str:
    """The results as one Markdown table, each row with its target and status."""
    floor_s = results[0].median_s()
    when, py = time.strftime("%Y-%m-%d %H:%M"), sys.version.split()[0]
    rows = [
        f"W1, {n:,} events, median of {runs} run(s), {when}, {os.cpu_count()} cores, Python {py}",
        "",
        "| what | events/s | vs floor | peak RSS MiB | output | target | status |",
        "|---|---:|---:|---:|---|---|---|",
    ]
    for m in results:
        if not m.ok:
            rows.append(f"| {m.name} | - | - | - | - | - | FAILED ({m.error}) |")
            continue
        ratio = floor_s / m.median_s()
        workers = int(m.name.rsplit(" ", 1)[1]) if m.name.startswith("pipeflow") else 0  # targets: pipeflow
        goal = {1: TARGETS["ratio_w1"], 2: TARGETS["ratio_w2"]}.get(workers)
        good_out = m.verdict in ("reference", "IDENTICAL(strict)")
        good_rss = m.max_rss() <= TARGETS["rss_mb"]
        met = good_out and good_rss and (goal is None or ratio >= goal)
        target = "-" if goal is None else f">= {goal}x, <= {TARGETS['rss_mb']:.0f} MiB, strict"
        status = "-" if goal is None else ("met" if met else "NOT met")
        rows.append(
            f"| {m.name} | {n / m.median_s():,.0f} | {ratio:.2f}x | {m.max_rss():.0f} | {m.verdict} "
            f"| {target} | {status} |"
        )
    floors = results[0].seconds
    rounds = [
        f"{m.name}: " + ", ".join(f"{f / e:.2f}x" for f, e in zip(floors, m.seconds, strict=False))
        for m in results[1:]
        if m.ok
    ]
    if start_s is None:
        rows.append(f"| start-up, empty input | - | - | - | - | <= {TARGETS['startup_s']} s | FAILED |")
    else:
        ok = "met" if start_s <= TARGETS["startup_s"] else "NOT met"
        target = TARGETS["startup_s"]
        rows.append(f"| start-up, empty input | {start_s:.3f} s | - | - | - | <= {target} s | {ok} |")
    if cold_s is not None:
        rows.append(f"| start-up, no bytecode cache | {cold_s:.3f} s | - | - | - | - | - |")
    if runs > 1 and rounds:  # the noise, made visible: each round's ratio (floor and run side by side)
        rows += ["", "Each round, vs the floor of that round: " + "; ".join(rounds) + "."]
    by_name = {m.name: m for m in results if m.ok}
    two = by_name.get("pipeflow --workers 2")
    if IDEAL in by_name and two is not None:
        ideal = floor_s / by_name[IDEAL].median_s()
        share = floor_s / two.median_s() / ideal
        note = f"Two processes with no start-up and no coordination reached {ideal:.2f}x here (`{IDEAL}`);"
        rows += ["", f"{note} `pipeflow --workers 2` reached {share:.0%} of that."]
    return "\n".join(rows) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run everything, print and save the table; exit 1 when a run failed."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("-n", type=int, default=1_000_000, help="events in the input (default 1,000,000)")
    ap.add_argument("--quick", action="store_true", help="100,000 events")
    ap.add_argument("--runs", type=int, default=3, help="rounds; medians are reported (default 3)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--workers", default="1,2", help="pipeflow worker counts to run (default 1,2)")
    ap.add_argument("--core", action="store_true", help="also time bench/fast_w1.py (fast path, no actors)")
    ap.add_argument("--config", type=Path, default=BENCH / "w1.yaml", help="the W1 config template")
    ap.add_argument("--data", type=Path, default=BENCH / "data", help="where the input is generated")
    ap.add_argument("--results", type=Path, default=BENCH / "results", help="where last.md is written")
    args = ap.parse_args(argv)
    n = 100_000 if args.quick else args.n
    inp = ensure_input(n, args.seed, args.data)
    workers = [int(w) for w in args.workers.split(",") if w]
    with tempfile.TemporaryDirectory(prefix="pipeflow-w1-") as name:
        tmp = Path(name)
        cold_s = startup(args.runs, tmp, args.config)  # this checkout as it is run
        env = bytecode_cache(tmp, args.config)
        results = run_all(inp, n, args.runs, workers, tmp, args.config, core=args.core, env=env)
        start_s = startup(args.runs, tmp, args.config, env)
    table = render(results, n, args.runs, start_s, cold_s)
    print(table)
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "last.md").write_text(table)
    return 0 if all(m.ok for m in results) and start_s is not None else 1


if __name__ == "__main__":
    sys.exit(main())
