"""A/B: two or more revisions of pipeflow on W1, rounds interleaved with the floor.

On a shared machine the same command varies by 30 % from one minute to the next, so a change is
judged by running the floor and each revision one after the other, round after round, and
comparing them round by round (``per-round`` ratios) and by medians. Each revision is exported
with ``git archive`` into a temporary folder and run from there (``pipeflow run`` on the W1
config, through the revision's own CLI module), with a bytecode cache warmed once. Revisions from
before the ``pipeflow`` import name are compared only with each other: installed plugin entry
points name ``pipeflow.infrastructure...`` now.

Usage: ``.venv/bin/python bench/ab_w1.py [--rounds 5] [--workers 1] [-n 1000000] REV [REV...]``
(``REV`` is any git revision; ``WORKTREE`` is the working tree as it is).
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
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

from run_w1 import ensure_input, fresh, write_config  # noqa: E402 - the bench folder is not a package

PACKAGES = ("pipeflow", "domain", "application", "infrastructure", "interfaces")


def export(rev: str, into: Path) -> Path:
    """The code of ``rev`` (or the working tree for ``WORKTREE``) in a folder of its own."""
    into.mkdir(parents=True)
    if rev == "WORKTREE":
        for package in PACKAGES:
            shutil.copytree(ROOT / package, into / package, symlinks=True)
        return into
    listed = subprocess.run(["git", "ls-tree", "--name-only", rev], cwd=ROOT, capture_output=True, check=True)
    present = [p for p in PACKAGES if p in listed.stdout.decode().split()]
    archive = subprocess.run(["git", "archive", rev, *present], cwd=ROOT, capture_output=True, check=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def entry_module(tree: Path) -> str:
    """The module of ``entry`` in an exported tree, for the layouts pipeflow has had."""
    if (tree / "interfaces" / "cli" / "main.py").exists():
        return "pipeflow.interfaces.cli.main"
    return "pipeflow.interfaces.cli" if (tree / "pipeflow").exists() else "interfaces.cli"


def timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of ``cmd``, which must succeed."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}")
    return time.perf_counter() - start, usage.ru_utime + usage.ru_stime


def main(argv: list[str] | None = None) -> int:
    """Run the rounds and print medians and per-round ratios to the floor."""
    ap = argparse.ArgumentParser()
    ap.add_argument("revs", nargs="+", help="git revisions (WORKTREE: the working tree)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("-n", type=int, default=1_000_000)
    ap.add_argument("--data", type=Path, default=BENCH / "data", help="where the input is generated")
    args = ap.parse_args(argv)
    inp = ensure_input(args.n, 42, args.data)
    tmp = Path(tempfile.mkdtemp(prefix="pipeflow-ab-"))
    try:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache")
        config = write_config(BENCH / "w1.yaml", tmp / "w1.yaml", inp, tmp / "out", tmp / "state")
        trees = {rev: export(rev, tmp / f"rev{i}") for i, rev in enumerate(args.revs)}

        def pipeflow(tree: Path) -> tuple[float, float]:
            fresh(tmp / "out")
            shutil.rmtree(tmp / "state", ignore_errors=True)
            argv = ["pipeflow", "run", str(config), "--workers", str(args.workers)]
            code = f"import sys; sys.path.insert(0, {str(tree)!r}); sys.argv = {argv!r}; "
            code += f"from {entry_module(tree)} import entry; entry()"
            return timed([sys.executable, "-c", code], env)

        floor = [sys.executable, str(BENCH / "vendor" / "floor_w1.py"), str(inp), str(fresh(tmp / "floor"))]
        for tree in trees.values():
            pipeflow(tree)  # warms the bytecode cache
        runs: dict[str, list[tuple[float, float]]] = {"floor": []} | {rev: [] for rev in trees}
        for _ in range(args.rounds):
            runs["floor"].append(timed(floor, env))
            for rev, tree in trees.items():
                runs[rev].append(pipeflow(tree))
        base = statistics.median(w for w, _ in runs["floor"])
        for name, got in runs.items():
            wall = statistics.median(w for w, _ in got)
            cpu = statistics.median(c for _, c in got)
            rounds = [round(f / w, 2) for (f, _), (w, _) in zip(runs["floor"], got, strict=True)]
            ratio = f"vs floor {base / wall:.3f}x  per round {rounds}"
            print(f"{name:12} wall {wall:.2f} s  cpu {cpu:.2f} s  {ratio}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
