"""W1 into the stores of spec §13, next to the file sink, in the same run: events/s and CPU per event.

The W1 config (``bench/w1.yaml``) runs three times per round through ``pipeflow run --workers 1``,
its two sinks each time of one kind: ``file`` (``fsync: false``, as in ``run_w1.py``), ``postgres``
(a fresh table per run) and ``s3`` (moto in server mode, a fresh bucket per run, default
``max_bytes``/``max_age_s``). Each run is a child process whose wall time and CPU (user + system,
``os.wait4``) are measured; the stores' own servers (PostgreSQL, moto) are other processes and not
counted. Every run's output is counted back (lines, rows, events in the objects) and must equal
the file sink's. Servers come from ``PIPEFLOW_TEST_POSTGRES_URL`` / ``PIPEFLOW_TEST_S3_URL``, else
``scripts/services.sh`` starts them in a temp folder for the run.

Usage: ``.venv/bin/python bench/stores_w1.py [-n N] [--runs R]``
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
import uuid
from pathlib import Path
from typing import Any

import yaml

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
if str(ROOT) not in sys.path:  # run as a script: make bench.run_w1 and tests importable
    sys.path.insert(0, str(ROOT))

from bench.run_w1 import ensure_input, pipeflow_bin  # noqa: E402
from tests.scaleout.s3_support import client, env, new_bucket, read_objects  # noqa: E402

KINDS = ("file", "postgres", "s3")


def run_cpu(cmd: list[str], run_env: dict[str, str]) -> tuple[float, float, int, str]:
    """Run ``cmd``: wall seconds, CPU seconds (user + system) of the child, exit code, stderr."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=run_env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        err.seek(0)
        text = err.read().decode("utf-8", "replace")
    return wall, usage.ru_utime + usage.ru_stime, os.waitstatus_to_exitcode(status), text


def sink_config(kind: str, name: str, out: Path, urls: dict[str, str], bucket: str) -> dict[str, Any]:
    """One W1 sink of ``kind``."""
    if kind == "file":
        return {"type": "file", "path": str(out / f"{name}.ndjson"), "fsync": False}
    if kind == "postgres":
        return {"type": "postgres", "url": urls["postgres"], "table": f"w1_{name}_{out.name}"}
    return {
        "type": "s3",
        "bucket": bucket,
        "endpoint_url": urls["s3"],
        "region": "us-east-1",
        "key_prefix": f"{name}/%Y/%m/%d/",
    }


def count_out(kind: str, out: Path, urls: dict[str, str], bucket: str) -> int:
    """Events the run stored, counted in the store itself."""
    if kind == "file":
        return sum(p.read_bytes().count(b"\n") for p in out.glob("*.ndjson"))
    if kind == "postgres":
        import psycopg

        with psycopg.connect(urls["postgres"]) as conn:
            total = 0
            for name in ("errors", "rest"):
                row = conn.execute(f"SELECT count(*) FROM w1_{name}_{out.name}").fetchone()
                total += int(row[0]) if row else 0
            return total
    s3 = client(urls["s3"])
    try:
        return sum(len(o.events) for o in read_objects(s3, bucket))
    finally:
        s3.close()


def one_run(kind: str, inp: Path, tmp: Path, urls: dict[str, str]) -> tuple[float, float, int]:
    """Run W1 into ``kind``: wall seconds, CPU seconds, events stored."""
    run_id = uuid.uuid4().hex[:8]
    out = tmp / f"{kind}_{run_id}"
    out.mkdir()
    bucket = ""
    if kind == "s3":
        s3 = client(urls["s3"])
        bucket = new_bucket(s3)
        s3.close()
    config = yaml.safe_load((BENCH / "w1.yaml").read_text())
    config["state_dir"] = str(out / "state")
    for source in config["sources"].values():
        source["path"] = str(inp)
    config["sinks"] = {name: sink_config(kind, name, out, urls, bucket) for name in config["sinks"]}
    path = out / "w1.yaml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    wall, cpu, rc, err = run_cpu([pipeflow_bin(), "run", str(path), "--workers", "1"], env())
    if rc != 0:
        raise SystemExit(f"{kind}: pipeflow run exited {rc}: {err[-2000:]}")
    return wall, cpu, count_out(kind, out, urls, bucket)


def servers(tmp: Path) -> dict[str, str]:
    """The PostgreSQL and S3 URLs: from the environment, else from ``scripts/services.sh start``."""
    found = {
        "postgres": os.environ.get("PIPEFLOW_TEST_POSTGRES_URL", ""),
        "s3": os.environ.get("PIPEFLOW_TEST_S3_URL", ""),
    }
    if all(found.values()):
        return found
    folder = tmp / "services"
    run_env = {**os.environ, "PIPEFLOW_SERVICES_DIR": str(folder)}
    done = subprocess.run(
        ["bash", str(ROOT / "scripts" / "services.sh"), "start"],
        env=run_env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    exported = dict(line.removeprefix("export ").split("=", 1) for line in done.stdout.splitlines())
    return {"postgres": exported["PIPEFLOW_TEST_POSTGRES_URL"], "s3": exported["PIPEFLOW_TEST_S3_URL"]}


def main(argv: list[str] | None = None) -> int:
    """Measure, print the table, exit 1 when a store's output differs from the file sink's."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=200_000, help="W1 events (default 200000)")
    parser.add_argument("--runs", type=int, default=1, help="rounds; medians are reported")
    args = parser.parse_args(argv)
    inp = ensure_input(args.n, 42, BENCH / "data")
    tmp = Path(tempfile.mkdtemp(prefix="pipeflow-stores-"))
    started_here = not (
        os.environ.get("PIPEFLOW_TEST_POSTGRES_URL") and os.environ.get("PIPEFLOW_TEST_S3_URL")
    )
    try:
        urls = servers(tmp)
        results: dict[str, list[tuple[float, float, int]]] = {kind: [] for kind in KINDS}
        for _ in range(args.runs):
            for kind in KINDS:  # one after the other in each round, so noise hits all alike
                results[kind].append(one_run(kind, inp, tmp, urls))
        stored = {kind: {r[2] for r in runs} for kind, runs in results.items()}
        print(f"W1, {args.n} events, pipeflow run --workers 1, {args.runs} round(s), medians")
        print("| sink | wall s | events/s | CPU µs/event | vs file (CPU) | events stored |")
        print("|---|---|---|---|---|---|")
        file_cpu = statistics.median(r[1] for r in results["file"])
        for kind, runs in results.items():
            wall, cpu = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
            print(
                f"| {kind} | {wall:.2f} | {args.n / wall:,.0f} | {cpu / args.n * 1e6:.2f}"
                f" | {cpu / file_cpu:.2f}x | {', '.join(map(str, sorted(stored[kind])))} |"
            )
        if any(s != stored["file"] for s in stored.values()):
            print("a store's output differs from the file sink's", file=sys.stderr)
            return 1
        return 0
    finally:
        if started_here:
            run_env = {**os.environ, "PIPEFLOW_SERVICES_DIR": str(tmp / "services")}
            subprocess.run(["bash", str(ROOT / "scripts" / "services.sh"), "stop"], env=run_env, check=False)
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
