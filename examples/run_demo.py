"""`make demo`: validate, test and run the bundled pipelines over real Loghub samples, then show the output.

Runs the real `pipeflow` command (the console script installed in .venv) as a user would.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent / "demo"
CONFIG = HERE / "pipeflow.yaml"
OUT = HERE / "out"
LOGS = HERE / "logs"
STATE = HERE / ".pipeflow"
PIPEFLOW = Path(sys.executable).parent / "pipeflow"


def step(title: str, *args: str) -> None:
    print(f"\n$ pipeflow {' '.join(args)}    # {title}", flush=True)
    result = subprocess.run([str(PIPEFLOW), *args], check=False)
    if result.returncode != 0:
        sys.exit(f"demo failed: `pipeflow {' '.join(args)}` exited {result.returncode}")


def show_file(path: Path, n: int = 2) -> None:
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    print(f"\n{path.relative_to(HERE)}: {len(lines)} events")
    for line in lines[:n]:
        print("   ", json.dumps(json.loads(line), ensure_ascii=False)[:200])


def show_grok(archive: Path, source: Path) -> None:
    """One ZooKeeper line as written, and the event grok and timestamp made of it.

    The archive holds the ZooKeeper INFO lines in their order, so its first ZooKeeper event is
    the first INFO line of the log.
    """
    line = next(x for x in source.read_text(encoding="utf-8").splitlines() if " - INFO " in x)
    events = (json.loads(e) for e in archive.read_text(encoding="utf-8").splitlines())
    first = next((e for e in events if e.get("service") == "zookeeper"), None)
    if first is None or not line.endswith(first.get("content", "?")):
        sys.exit(f"demo failed: the first ZooKeeper event of out/archive.ndjson is not {line!r}")
    print(f"\ngrok, a ZooKeeper line:\n    {line}\nbecame:\n    {json.dumps(first, ensure_ascii=False)}")


def show_multiline(errors: Path) -> None:
    """One Java error: its stack trace came as many lines and is one event (``multiline``)."""
    first = json.loads(errors.read_text(encoding="utf-8").splitlines()[0])
    lines = first.pop("message").split("\n")
    print(f"\nmultiline, a Java error of {len(lines)} lines (first and last shown):")
    print(f"    {lines[0]}\n    ...\n    {lines[-1].strip()}")
    print(f"became one event:\n    {json.dumps(first, ensure_ascii=False)}")


def main() -> None:
    # A fresh run each time: the demo reads its files from the beginning, with no old checkpoints.
    shutil.rmtree(OUT, ignore_errors=True)
    shutil.rmtree(STATE, ignore_errors=True)
    rel = os.path.relpath(CONFIG)
    step("check the config", "validate", rel)
    step("run the tests written in the config", "test", rel)
    summary = OUT / "summary.json"
    OUT.mkdir(parents=True, exist_ok=True)
    step("run the pipelines over the sample logs", "run", rel, "--summary-file", str(summary))
    names = ("apache_errors", "security", "archive", "zookeeper_alerts", "java_errors")
    for name in names:
        show_file(OUT / f"{name}.ndjson")
    show_grok(OUT / "archive.ndjson", LOGS / "Zookeeper_2k.log")
    show_multiline(OUT / "java_errors.ndjson")
    with sqlite3.connect(OUT / "security.db") as db:
        (count,) = db.execute("SELECT COUNT(*) FROM auth_failures").fetchone()
        top = db.execute(
            "SELECT json_extract(event, '$.user') AS u, COUNT(*) FROM auth_failures "
            "WHERE u IS NOT NULL GROUP BY u ORDER BY 2 DESC LIMIT 5"
        ).fetchall()
    print(f"\nout/security.db, table auth_failures: {count} rows; most targeted users: {top}")
    dropped = json.loads(summary.read_text(encoding="utf-8"))["dropped"]
    print(f"\ndropped: {dropped} ZooKeeper warnings and errors, over 3 per component per minute (throttle)")
    print(f"\nsummary ({summary.relative_to(HERE)}): {summary.read_text(encoding='utf-8')}")


if __name__ == "__main__":
    main()
