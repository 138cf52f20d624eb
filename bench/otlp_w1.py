"""OTLP logs ingest under ``pipeflow serve``: events/s and server CPU per record, next to ``/ingest`` NDJSON.

What ``make bench-otlp`` runs (issue 19). The W1 input's first ``-n`` lines become OTLP log records
(``bench/otlp_client.py``: ``ts`` the time, ``level`` the severity, ``message`` the body, the rest
attributes), ``--records`` per export request. The equivalent NDJSON events are what the ``otlp``
source makes of those same records (``infrastructure.otlp.read.read_logs``), one per line, in
bodies of the same ``--records`` lines. The config (``write_otlp_config``) is W1's pipeline and
sinks on the OTLP field names (``severity_text`` for ``level``, ``body`` for ``message``,
``attributes.status`` for ``status``) with two sources: ``otlp`` (type ``otlp``) and ``web``
(type ``http``, NDJSON).

Per round, one after the other so noise hits both alike, each on a fresh ``pipeflow serve`` (fresh
database, state and output folders; ``bench/serve_w1.py``'s ``start_server``, ``drive`` and
``stop_server``): a load generator process sends the export requests as protobuf to
``/otlp/otlp/v1/logs`` over ``--connections`` keep-alive connections (every request must get its
200 with no record rejected), then another sends the NDJSON bodies to ``/ingest/web`` (every body
its 202). Measured as ``serve_w1`` measures: wall seconds from the start line to the last answer,
events/s, and the server's CPU seconds over that span (``/proc``). Each server must exit 0 on
SIGTERM. The two runs' sink files must hold the same events (``check_outputs.py``, strict types,
any order): the OTLP run's against the NDJSON run's.

Prints one table with the ratios (OTLP over NDJSON: CPU per record, and events/s) and writes it to
``bench/results/otlp_last.md``. Exit 1 when a request did not get its answer, the outputs differ,
or a server did not exit 0.

Usage: ``.venv/bin/python bench/otlp_w1.py [-n 200000] [--records 512] [--rounds 3] [--connections 4]``
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import yaml

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from otlp_client import export_requests  # noqa: E402
from run_w1 import bytecode_cache, check, ensure_input, fresh  # noqa: E402
from serve_w1 import TOKEN, drive, listed, row, start_server, stop_server  # noqa: E402

from pipeflow.infrastructure.otlp.read import read_logs  # noqa: E402

OTLP, WEB = "otlp", "web"
RENAMED = {"message": "body", "level": "severity_text", "status": "attributes.status"}
"""W1's field names and the names the same values have in an event of the ``otlp`` source."""


def on_otlp_fields(text: str) -> str:
    """A W1 filter with OTLP field names (``level == "error" or status >= 500`` ...)."""
    for old, new in (("level", "severity_text"), ("status", "attributes.status")):
        text = text.replace(old, new)
    return text


def write_otlp_config(template: Path, target: Path, out: Path, state: Path) -> Path:
    """W1's pipeline, sinks and routes on the OTLP field names; an ``otlp`` and an ``http`` source."""
    config = yaml.safe_load(template.read_text())
    config["state_dir"] = str(state)
    config["sources"] = {OTLP: {"type": "otlp"}, WEB: {"type": "http", "format": "ndjson"}}
    for pipeline in config["pipelines"].values():
        for fn in pipeline["functions"]:
            if fn.get("field") in RENAMED:
                fn["field"] = RENAMED[fn["field"]]
            if "filter" in fn:
                fn["filter"] = on_otlp_fields(fn["filter"])
    for route in config["routes"]:
        route["filter"] = on_otlp_fields(route["filter"])
    for sink in config["sinks"].values():
        sink["path"] = str(out / Path(sink["path"]).name)
    target.write_text(yaml.safe_dump(config, sort_keys=False))
    return target


def write_inputs(inp: Path, n: int, records: int, tmp: Path) -> tuple[Path, int]:
    """The equivalent NDJSON events (what the ``otlp`` source makes of the records), and the request count."""
    requests = export_requests(inp, n, records)
    target = tmp / "otlp_events.ndjson"
    with target.open("wb") as fh:
        for request in requests:
            fh.writelines(orjson.dumps(fields) + b"\n" for fields in read_logs(request).records)
    return target, len(requests)


@dataclass
class Series:
    """One protocol's measurements over the rounds."""

    name: str
    cpu_s: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    client_cpu_s: list[float] = field(default_factory=list)
    retries: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def one_send(kind: str, config: Path, tmp: Path, env: dict[str, str], args: argparse.Namespace) -> Path:
    """One fresh server, one load generator of ``kind`` (``otlp`` or ``ndjson``); the output folder."""
    series: Series = args.series[kind]
    work = fresh(tmp / kind)
    out = fresh(work / "out")
    cfg = write_otlp_config(args.config, work / "config.yaml", out, work / "state")
    server = start_server(cfg, work, env)
    try:
        if kind == "otlp":
            cmd = [sys.executable, str(BENCH / "otlp_client.py"), "--source", OTLP, "--input", str(args.inp)]
            cmd += ["--records", str(args.records)]
        else:
            cmd = [sys.executable, str(BENCH / "ingest_client.py"), "--source", WEB, "--input", str(config)]
            cmd += ["--lines", str(args.records)]
        cmd += [
            "--url",
            server.url,
            "--token",
            TOKEN,
            "-n",
            str(args.n),
            "--connections",
            str(args.connections),
        ]
        report, cpu = drive(server, cmd)
    finally:
        code = stop_server(server)
    if code != 0:
        series.problems.append(f"serve exited {code} on SIGTERM: {server.stderr()}")
    if report.errors or report.ok != args.requests or report.accepted != args.n:
        series.problems.append(
            f"{report.ok}/{args.requests} answered, {report.accepted}/{args.n} accepted: {report.errors[:2]}"
        )
    series.seconds.append(report.seconds)
    series.cpu_s.append(cpu)
    series.client_cpu_s.append(report.client_cpu_s)
    series.retries.append(report.retries)
    return out


def measure(args: argparse.Namespace, tmp: Path) -> list[str]:
    """Every round (OTLP, then NDJSON); the output verdict of each round."""
    env = bytecode_cache(tmp, args.config)
    equivalent, args.requests = write_inputs(args.inp, args.n, args.records, tmp)
    verdicts = []
    for _ in range(args.rounds):
        otlp_out = one_send("otlp", equivalent, tmp, env, args)
        ndjson_out = one_send("ndjson", equivalent, tmp, env, args)
        verdicts.append(check(ndjson_out, otlp_out))
    return verdicts


def render(args: argparse.Namespace, verdicts: list[str]) -> tuple[str, bool]:
    """The results as one Markdown table, and whether every check passed."""
    otlp, ndjson = args.series["otlp"], args.series["ndjson"]
    n = args.n
    us = {k: [c / n * 1e6 for c in s.cpu_s] for k, s in args.series.items()}
    rate = {k: [n / t for t in s.seconds] for k, s in args.series.items()}
    cpu_ratio = [o / j for o, j in zip(us["otlp"], us["ndjson"], strict=True)]
    rate_ratio = [o / j for o, j in zip(rate["otlp"], rate["ndjson"], strict=True)]
    same = all(v == "IDENTICAL(strict)" for v in verdicts)
    title = (
        f"OTLP logs ingest under `pipeflow serve`, {n:,} log records in export requests of "
        f"{args.records} records (protobuf) to `/otlp/{OTLP}/v1/logs`, next to the same events as NDJSON "
        f"bodies of {args.records} lines to `/ingest/{WEB}`, {args.connections} keep-alive connections, "
        f"W1's pipeline, median of {args.rounds} round(s), {time.strftime('%Y-%m-%d %H:%M')}, "
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}"
    )
    out = [
        title,
        "",
        row("what", "events/s", "server CPU s", "CPU µs/record", "output", "status"),
        "|---|---:|---:|---:|---|---|",
    ]
    for key, s, what in (("otlp", otlp, "OTLP/HTTP protobuf"), ("ndjson", ndjson, "/ingest NDJSON")):
        output = (
            ("the same events as /ingest's: " + ", ".join(sorted(set(verdicts))))
            if key == "otlp"
            else "reference"
        )
        status = "ok" if not s.problems else "; ".join(s.problems[:2])
        out.append(
            row(
                what,
                f"{statistics.median(rate[key]):,.0f}",
                f"{statistics.median(s.cpu_s):.2f}",
                f"{statistics.median(us[key]):.2f}",
                output,
                status,
            )
        )
    out.append(
        row(
            "OTLP ÷ NDJSON",
            f"{statistics.median(rate_ratio):.2f}x",
            "-",
            f"{statistics.median(cpu_ratio):.2f}x",
            "-",
            "-",
        )
    )
    out += [
        "",
        (
            f"Each round: CPU µs/record OTLP {listed(us['otlp'])}, NDJSON {listed(us['ndjson'])} "
            f"(ratio {listed(cpu_ratio, unit='x')}); events/s OTLP {listed(rate['otlp'], ',.0f')}, "
            f"NDJSON {listed(rate['ndjson'], ',.0f')}. Load generators' CPU s: OTLP "
            f"{listed(otlp.client_cpu_s)}, NDJSON {listed(ndjson.client_cpu_s)}; resent after 429/503: "
            f"OTLP {listed(otlp.retries, 'd')}, NDJSON {listed(ndjson.retries, 'd')}."
        ),
    ]
    ok = same and not otlp.problems and not ndjson.problems
    return "\n".join(out) + "\n", ok


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the rounds, print and save the table; exit 1 when a check failed."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("-n", type=int, default=200_000, help="log records to send (default 200,000)")
    ap.add_argument("--records", type=int, default=512, help="records per request and lines per body (512)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds; medians are reported (default 3)")
    ap.add_argument("--connections", type=int, default=4, help="keep-alive connections (default 4)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--config", type=Path, default=BENCH / "w1.yaml", help="the W1 config template")
    ap.add_argument("--data", type=Path, default=BENCH / "data", help="where the input is generated")
    ap.add_argument("--results", type=Path, default=BENCH / "results", help="where otlp_last.md is written")
    args = ap.parse_args(argv)
    args.inp = ensure_input(args.n, args.seed, args.data)
    args.series = {"otlp": Series("otlp"), "ndjson": Series("ndjson")}
    with tempfile.TemporaryDirectory(prefix="pipeflow-otlp-w1-") as name:
        verdicts = measure(args, Path(name))
    table, ok = render(args, verdicts)
    print(table)
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "otlp_last.md").write_text(table)
    if not ok:
        print(
            "otlp_w1: a request, an output check or a server's exit failed (see the table)", file=sys.stderr
        )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
