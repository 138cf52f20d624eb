"""The W1 harness (``bench/run_w1.py``) runs end to end on a tiny input, so ``make bench`` cannot rot."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _harness() -> ModuleType:
    spec = importlib.util.spec_from_file_location("run_w1", ROOT / "bench" / "run_w1.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("run_w1", module)
    spec.loader.exec_module(module)
    return module


def _tiny_run(tmp_path: Path, workers: str) -> tuple[str, dict[str, str]]:
    """``run_w1.main`` on 2,000 events, one round: the table and its rows by name."""
    argv = ["-n", "2000", "--runs", "1", "--workers", workers]
    rc = _harness().main([*argv, "--data", str(tmp_path / "data"), "--results", str(tmp_path / "res")])
    table = (tmp_path / "res" / "last.md").read_text()
    assert rc == 0, table
    return table, {line.split("|")[1].strip(): line for line in table.splitlines() if line.startswith("| ")}


def test_a_tiny_run_prints_the_table_and_checks_the_output(tmp_path: Path) -> None:
    _, rows = _tiny_run(tmp_path, "1")
    assert "reference" in rows["floor_w1.py"]
    assert "IDENTICAL(strict)" in rows["pipeflow --workers 1"]
    assert "start-up, empty input" in rows


def test_the_core_bound_routes_blocks_to_the_floors_output(tmp_path: Path) -> None:
    """``--core`` (``bench/fast_w1.py``: the loop with no runtime) gives the floor's output."""
    argv = ["-n", "2000", "--runs", "1", "--workers", "1", "--core"]
    rc = _harness().main([*argv, "--data", str(tmp_path / "data"), "--results", str(tmp_path / "res")])
    table = (tmp_path / "res" / "last.md").read_text()
    assert rc == 0, table
    row = next(line for line in table.splitlines() if line.startswith("| fastpath core --workers 1"))
    assert "IDENTICAL(strict)" in row


def test_the_generated_input_is_made_once(tmp_path: Path) -> None:
    harness = _harness()
    first = harness.ensure_input(50, 42, tmp_path)
    stamp = first.stat().st_mtime_ns
    again = harness.ensure_input(50, 42, tmp_path)
    assert again == first
    assert again.stat().st_mtime_ns == stamp
    assert len(first.read_bytes().splitlines()) == 50


def test_the_config_copy_points_at_the_run_folders(tmp_path: Path) -> None:
    harness = _harness()
    cfg = harness.write_config(
        ROOT / "bench" / "w1.yaml",
        tmp_path / "c.yaml",
        tmp_path / "in.ndjson",
        tmp_path / "o",
        tmp_path / "s",
    )
    text = cfg.read_text()
    assert f"{tmp_path / 'o' / 'errors.ndjson'}" in text
    assert f"{tmp_path / 'in.ndjson'}" in text


@pytest.mark.parametrize(("seconds", "status"), [(1.0, "met"), (2.0, "NOT met")])
def test_status_follows_the_ratio_target(seconds: float, status: str) -> None:
    harness = _harness()
    floor = harness.Measured("floor_w1.py", [1.0], [10.0], "reference")
    engine = harness.Measured("pipeflow --workers 1", [seconds], [50.0], "IDENTICAL(strict)")
    table = harness.render([floor, engine], 1000, 1, 0.1)
    row = next(line for line in table.splitlines() if line.startswith("| pipeflow"))
    assert row.rstrip(" |").endswith(status)


def test_the_a_b_runner_compares_the_working_tree_with_the_floor(tmp_path: Path) -> None:
    argv = [sys.executable, str(ROOT / "bench" / "ab_w1.py"), "-n", "2000", "--rounds", "1"]
    done = subprocess.run(
        [*argv, "--data", str(tmp_path), "WORKTREE"], capture_output=True, text=True, check=False, timeout=300
    )
    assert done.returncode == 0, done.stderr
    names = [line.split()[0] for line in done.stdout.splitlines()]
    assert names == ["floor", "WORKTREE"]
    assert "vs floor 1.000x" in done.stdout.splitlines()[0]


def test_the_halves_are_cut_at_a_line_end_and_make_the_input(tmp_path: Path) -> None:
    harness = _harness()
    inp = harness.ensure_input(101, 42, tmp_path)
    first, second = harness.ensure_halves(inp)
    assert first.read_bytes() + second.read_bytes() == inp.read_bytes()
    assert first.read_bytes().endswith(b"\n")
    assert abs(len(first.read_bytes()) - len(second.read_bytes())) < 2 * max(
        map(len, inp.read_bytes().splitlines())
    )


def test_the_ideal_two_process_run_is_a_row_and_pipeflow_is_measured_against_it(tmp_path: Path) -> None:
    table, rows = _tiny_run(tmp_path, "2")
    assert _harness().IDEAL in rows
    assert "IDENTICAL(strict)" in rows["pipeflow --workers 2"]
    assert "`pipeflow --workers 2` reached" in table
