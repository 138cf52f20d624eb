"""The W2 harness (``bench/run_w2.py``) runs end to end on a tiny input and its outputs agree."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_tiny_w2_run_prints_the_ratio_and_the_outputs_are_the_same(tmp_path: Path) -> None:
    cmd = [sys.executable, str(ROOT / "bench" / "run_w2.py"), "-n", "500", "--runs", "1"]
    done = subprocess.run([*cmd, "--data", str(tmp_path)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "ratio floor/pipeflow:" in done.stdout
    assert "outputs: same" in done.stdout


def test_the_generator_is_deterministic_and_every_line_is_combined(tmp_path: Path) -> None:
    gen = [sys.executable, str(ROOT / "bench" / "gen_access.py"), "-n", "300", "--seed", "7"]
    for name in ("a.log", "b.log"):
        subprocess.run([*gen, "-o", str(tmp_path / name)], check=True)
    assert (tmp_path / "a.log").read_bytes() == (tmp_path / "b.log").read_bytes()
    floor = [
        sys.executable,
        str(ROOT / "bench" / "floor_w2.py"),
        str(tmp_path / "a.log"),
        str(tmp_path / "o"),
    ]
    subprocess.run(floor, check=True)
    assert len((tmp_path / "o").read_bytes().splitlines()) == 300
