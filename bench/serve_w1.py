"""W1 over HTTP: the server's CPU per event under ``pipeflow serve`` ingest against ``pipeflow run``'s.

What ``make bench-serve`` runs (issue 16). Per round, one after the other so noise hits all alike:

1. ``pipeflow serve --config`` (the W1 config of ``bench/w1.yaml`` with an ``http`` source ``web``
   instead of the file source, a fresh SQLite database and state folder) starts as a child process
   on 127.0.0.1 and a free port; the benchmark waits for ``GET /health``. A load generator process
   (``bench/ingest_client.py``) opens 4 keep-alive connections and sends the W1 events as NDJSON
   bodies of 1,000 lines to ``/ingest/web`` (a 429 is resent after its ``Retry-After``; every body
   must get a 202). Measured: wall seconds from the first request to the last 202, events/s, and
   the server's CPU seconds over the same span (utime + stime of the server process, all threads,
   and of any child processes, from ``/proc/<pid>/stat`` in ticks of ``SC_CLK_TCK``, read just
   before the start line is given to the load generator and just after its report of the last
   202 arrives). The server is then stopped with SIGTERM and must exit 0.
2. ``pipeflow run --workers 1`` on the same events from a file (the W1 config): its CPU from
   ``os.wait4`` (start-up included), and the median CPU of three empty-input runs, subtracted for
   the CPU per event without start-up.
3. The floor (``bench/vendor/floor_w1.py``) on the same file: the reference output, and its CPU.

The ratio is serve's CPU per event over run's (each round's, then their median), with start-up in
run's CPU and without it (serve's measured span has no start-up in it: the fair comparison is the
second). After the rounds, one more serve round on a single connection (``--no-single`` skips it).

Outputs, every round: ``bench/vendor/check_outputs.py`` against the floor (``IDENTICAL(strict)``:
the same events with the same value types per sink, in any order), and an ordered check. Over one
connection the bodies are accepted in the order they were sent, so each sink's file must equal the
floor's line for line (canonical JSON: sorted keys). Over 4 connections the order across
connections is the server's order of acceptance, which the client cannot see; what it knows is
which bodies each connection sent, in order, each after the previous one's 202. So the ordered
check requires each sink's file to be the floor's events of the bodies, each body's events together
and in its own order, the bodies of one connection in the order they were sent, and the bodies in
some one interleaving of the connections (found by walking the file); it also says whether both
sinks saw the bodies in the same order. ``run``'s output must equal the floor's line for line.

Prints one table and writes it to ``bench/results/serve_last.md``. Exit 1 when a body did not get
its 202, an output differs, a process failed, or the server did not exit 0 on SIGTERM.

Usage: ``.venv/bin/python bench/serve_w1.py [-n 200000] [--rounds 3] [--connections 4] [--lines 1000]
[--no-single]``
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import orjson
import yaml

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

from run_w1 import VENDOR, bytecode_cache, check, ensure_input, fresh, pipeflow_bin, write_config  # noqa: E402

SINKS = ("errors", "rest")
SOURCE = "web"
TOKEN = "bench-token"
TARGET_RATIO = 1.5
START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 60.0
EMPTY_RUNS = 3  # per round, their median: start-up is a third of a 200,000-event run's CPU


@dataclass
class Sent:
    """One serve measurement: wall seconds, the server's CPU seconds, the load generator's report."""

    seconds: float
    server_cpu_s: float
    client_cpu_s: float
    retries: int
    exit_code: int
    verdict: str
    ordered: str


@dataclass(frozen=True)
class Report:
    """The load generator's report (see ``bench/ingest_client.py``)."""

    ok: int
    accepted: int
    dead_lettered: int
    retries: int
    seconds: float
    client_cpu_s: float
    order: list[list[int]]
    errors: list[str]

    @classmethod
    def parse(cls, line: bytes) -> Report:
        """The report from its JSON line."""
        raw = json.loads(line)
        return cls(
            ok=int(raw["ok"]),
            accepted=int(raw["accepted"]),
            dead_lettered=int(raw["dead_lettered"]),
            retries=int(raw["retries"]),
            seconds=float(raw["seconds"]),
            client_cpu_s=float(raw["client_cpu_s"]),
            order=[[int(body) for body in sent] for sent in raw["order"]],
            errors=[str(e) for e in raw["errors"]],
        )


@dataclass
class Series:
    """One row's measurements over the rounds (CPU and wall seconds), and its verdicts."""

    name: str
    cpu_s: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    verdicts: list[str] = field(default_factory=list)


# -- configs and processes -------------------------------------------------------------------------


def write_serve_config(template: Path, target: Path, out: Path, state: Path) -> Path:
    """The W1 config with one ``http`` source (``web``) instead of its file source, paths absolute."""
    config = yaml.safe_load(template.read_text())
    config["state_dir"] = str(state)
    config["sources"] = {SOURCE: {"type": "http", "format": "ndjson"}}
    for sink in config["sinks"].values():
        sink["path"] = str(out / Path(sink["path"]).name)
    target.write_text(yaml.safe_dump(config, sort_keys=False))
    return target


def cpu_of(pid: int) -> float:
    """CPU seconds (user + system) of a running process and its children, from ``/proc``.

    The process's own ``utime + stime`` (all its threads), its waited-for children's
    (``cutime + cstime``) and, recursively, those of its live children: were ``serve`` ever to
    hand work to other processes, their CPU would count too.
    """
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # after the command name, which may hold spaces
    ticks = sum(int(fields[i]) for i in (11, 12, 13, 14))  # utime, stime, cutime, cstime: fields 14-17
    total = ticks / os.sysconf("SC_CLK_TCK")
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            children = (task / "children").read_text().split()
        except OSError:  # the thread ended meanwhile
            continue
        for child in children:
            try:
                total += cpu_of(int(child))
            except OSError:  # the child ended meanwhile
                continue
    return total


def free_port() -> int:
    """A TCP port nobody listens on at this moment (bound to 0 and released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A ``pipeflow serve`` child process, its base URL and the file its stderr goes to."""

    proc: subprocess.Popen[bytes]
    url: str
    log: Path

    def stderr(self) -> str:
        """The last lines the server wrote to stderr."""
        lines = self.log.read_text(errors="replace").strip().splitlines()
        return " / ".join(lines[-3:])


def start_server(config: Path, tmp: Path, env: dict[str, str]) -> Server:
    """``pipeflow serve`` on 127.0.0.1 and a free port (another is tried if it was taken), healthy."""
    database, log = tmp / "manage.db", tmp / "serve.log"
    for _ in range(3):
        port = free_port()
        cmd = [pipeflow_bin(), "serve", "--config", str(config), "--database", str(database)]
        cmd += ["--host", "127.0.0.1", "--port", str(port)]
        with log.open("wb") as err:
            proc = subprocess.Popen(
                cmd, stdout=subprocess.DEVNULL, stderr=err, env={**env, "PIPEFLOW_TOKEN": TOKEN}
            )
        server = Server(proc, f"http://127.0.0.1:{port}", log)
        deadline = time.monotonic() + START_TIMEOUT_S
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                if httpx.get(f"{server.url}/health", timeout=1.0, trust_env=False).status_code == 200:
                    return server
            except httpx.HTTPError:
                pass
            time.sleep(0.05)
        if proc.poll() is None:
            proc.kill()
            proc.wait()
            raise SystemExit(
                f"serve did not answer /health within {START_TIMEOUT_S:.0f} s: {server.stderr()}"
            )
        if "cannot listen" not in server.stderr():
            raise SystemExit(f"serve exited {proc.returncode} at start: {server.stderr()}")
    raise SystemExit("serve found no free port in 3 tries")


def stop_server(server: Server) -> int:
    """SIGTERM, then the exit code (killed after ``STOP_TIMEOUT_S``: then -9)."""
    server.proc.send_signal(signal.SIGTERM)
    try:
        return server.proc.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        server.proc.kill()
        server.proc.wait()
        return -9


def send(server: Server, inp: Path, n: int, lines: int, connections: int) -> tuple[Report, float]:
    """Run the load generator against ``server``: its report and the server's CPU seconds meanwhile."""
    cmd = [sys.executable, str(BENCH / "ingest_client.py"), "--url", server.url, "--token", TOKEN]
    cmd += ["--source", SOURCE, "--input", str(inp), "-n", str(n), "--lines", str(lines)]
    cmd += ["--connections", str(connections)]
    return drive(server, cmd)


def drive(server: Server, cmd: list[str]) -> tuple[Report, float]:
    """Run a load generator ``cmd`` (it prints ``ready``, waits for a line, sends, prints its report)
    against ``server``: its report and the server's CPU seconds between the start line and the report."""
    client = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=os.environ.copy())
    assert client.stdin is not None
    assert client.stdout is not None
    try:
        if client.stdout.readline().strip() != b"ready":
            raise SystemExit(f"the load generator did not start (exit {client.wait()})")
        before = cpu_of(server.proc.pid)
        client.stdin.write(b"go\n")
        client.stdin.flush()
        line = client.stdout.readline()
        after = cpu_of(server.proc.pid)
        client.stdin.close()  # the load generator closes its connections and leaves
        client.wait(timeout=STOP_TIMEOUT_S)
    finally:
        if client.poll() is None:
            client.kill()
            client.wait()
    if not line:
        raise SystemExit(f"the load generator gave no report (exit {client.returncode})")
    return Report.parse(line), after - before


def timed_cpu(cmd: list[str], env: dict[str, str]) -> tuple[float, float, int, str]:
    """Run ``cmd``: wall seconds, CPU seconds (user + system, ``os.wait4``), exit code, stderr's tail."""
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        err.seek(0)
        text = err.read().decode("utf-8", "replace").strip()
    return seconds, usage.ru_utime + usage.ru_stime, os.waitstatus_to_exitcode(status), text[-300:]


# -- the ordered output check ----------------------------------------------------------------------


def canonical(line: bytes) -> bytes:
    """A JSON line with sorted keys and no spaces (what check_outputs' ``strict`` digests)."""
    return orjson.dumps(orjson.loads(line), option=orjson.OPT_SORT_KEYS)


def read_lines(path: Path) -> list[bytes]:
    """The canonical lines of an NDJSON file (none when it does not exist)."""
    if not path.exists():
        return []
    with path.open("rb") as fh:
        return [canonical(line) for line in fh if line.strip()]


def floor_sink(line: bytes) -> str | None:
    """Where the floor sends one W1 input line: None (a debug event, dropped), ``errors`` or ``rest``."""
    event = orjson.loads(line)
    if event["level"] == "debug":
        return None
    return "errors" if event["level"] == "error" or event["status"] >= 500 else "rest"


def expected_chunks(inp: Path, n: int, lines: int, ref: Path) -> dict[str, list[list[bytes]]]:
    """Per sink, per body: the floor's output lines that body's events became, in order.

    The floor writes in input order, so its files cut at the body boundaries (found by where each
    input line goes) give each body's events; the counts must come out exactly.
    """
    chunks: dict[str, list[list[bytes]]] = {sink: [] for sink in SINKS}
    floor = {sink: read_lines(ref / f"{sink}.ndjson") for sink in SINKS}
    used = dict.fromkeys(SINKS, 0)
    with inp.open("rb") as fh:
        for k, line in zip(range(n), fh, strict=False):
            if k % lines == 0:
                for sink in SINKS:
                    chunks[sink].append([])
            to = floor_sink(line)
            if to is not None:
                chunks[to][-1].append(floor[to][used[to]] if used[to] < len(floor[to]) else b"")
                used[to] += 1
    if any(used[sink] != len(floor[sink]) for sink in SINKS):
        raise SystemExit(f"the floor's outputs do not cut into bodies: {used} events routed by the input")
    return chunks


def follows(
    out: Sequence[bytes], chunks: Sequence[Sequence[bytes]], order: Sequence[Sequence[int]]
) -> list[int] | str:
    """The bodies in the order ``out`` holds them, or why ``out`` is no interleaving of ``order``.

    ``order`` lists the bodies each connection sent, in order; ``out`` must be their ``chunks``,
    each body whole, the bodies of one connection in their order. A body with no events here fits
    anywhere. With one connection this is an exact, line for line comparison.
    """
    heads, pos, taken = [0] * len(order), 0, []
    while any(h < len(q) for h, q in zip(heads, order, strict=True)):
        moved = False
        for c, queue in enumerate(order):
            while heads[c] < len(queue) and not chunks[queue[heads[c]]]:
                heads[c] += 1
            if heads[c] == len(queue):
                continue
            body = queue[heads[c]]
            chunk = chunks[body]
            if out[pos : pos + len(chunk)] == chunk:
                pos, moved = pos + len(chunk), True
                heads[c] += 1
                taken.append(body)
                break
        if not moved and any(h < len(q) for h, q in zip(heads, order, strict=True)):
            return f"line {pos + 1}: not the next events of any connection's next body"
    if pos != len(out):
        return f"{len(out) - pos} line(s) more than the floor's"
    return taken


def ordered_verdict(out: Path, chunks: dict[str, list[list[bytes]]], order: Sequence[Sequence[int]]) -> str:
    """``in order`` (one connection) / ``in order of acceptance`` (more), or where a sink differs."""
    taken: dict[str, list[int]] = {}
    for sink in SINKS:
        got = follows(read_lines(out / f"{sink}.ndjson"), chunks[sink], order)
        if isinstance(got, str):
            return f"order DIFFERENT ({sink}: {got})"
        taken[sink] = got
    if len(order) == 1:
        return "in order"
    both = [set(got) for got in taken.values()]
    common = set.intersection(*both)
    orders = [[body for body in got if body in common] for got in taken.values()]
    same = (
        "same body order in both sinks"
        if all(o == orders[0] for o in orders)
        else "sinks in different body orders"
    )
    return f"in order of acceptance, {same}"


# -- the rounds ------------------------------------------------------------------------------------


def serve_round(
    template: Path,
    tmp: Path,
    env: dict[str, str],
    inp: Path,
    n: int,
    args: argparse.Namespace,
    connections: int,
    ref: Path,
    chunks: dict[str, list[list[bytes]]],
) -> Sent:
    """Start serve, send the events, measure, stop it with SIGTERM, check its outputs."""
    out, state = fresh(tmp / "serve_out"), fresh(tmp / "serve_state")
    run_dir = fresh(tmp / "serve_run")
    config = write_serve_config(template, run_dir / "w1_serve.yaml", out, state)
    server = start_server(config, run_dir, env)
    try:
        report, server_cpu = send(server, inp, n, args.lines, connections)
    finally:
        code = stop_server(server)
    errors = list(report.errors)
    if report.accepted != n or report.dead_lettered != 0:
        errors.append(f"accepted {report.accepted} of {n}, dead-lettered {report.dead_lettered}")
    if errors:
        raise SystemExit(f"serve round failed: {'; '.join(errors)}")
    if code != 0:  # a row of the table says so, and the benchmark exits 1
        print(f"serve_w1: serve exited {code} on SIGTERM: {server.stderr()}", file=sys.stderr)
    return Sent(
        seconds=report.seconds,
        server_cpu_s=server_cpu,
        client_cpu_s=report.client_cpu_s,
        retries=report.retries,
        exit_code=code,
        verdict=check(ref, out),
        ordered=ordered_verdict(out, chunks, report.order),
    )


def run_round(
    template: Path, tmp: Path, env: dict[str, str], inp: Path, name: str
) -> tuple[float, float, Path]:
    """``pipeflow run --workers 1`` on ``inp``: wall and CPU seconds, and its output folder."""
    out, state = fresh(tmp / f"{name}_out"), fresh(tmp / f"{name}_state")
    config = write_config(template, tmp / f"w1_{name}.yaml", inp, out, state)
    secs, cpu, code, err = timed_cpu([pipeflow_bin(), "run", str(config), "--workers", "1", "--quiet"], env)
    if code:
        raise SystemExit(f"pipeflow run ({name}) exited {code}: {err}")
    return secs, cpu, out


def measure(inp: Path, n: int, args: argparse.Namespace, tmp: Path) -> tuple[dict[str, Series], list[Sent]]:
    """All rounds (floor, run, empty run, serve over N connections), then the single-connection round."""
    template: Path = args.config
    env = bytecode_cache(tmp, template)  # serve and run both start from compiled bytecode
    empty = tmp / "empty.ndjson"
    empty.write_bytes(b"")
    rows = {
        key: Series(name)
        for key, name in [
            ("floor", "floor_w1.py (file)"),
            ("run", "pipeflow run --workers 1 (file)"),
            ("empty", "pipeflow run, empty input"),
            ("serve", f"pipeflow serve, {args.connections} connections"),
        ]
    }
    sends: list[Sent] = []
    ref = fresh(tmp / "floor_ref")
    chunks: dict[str, list[list[bytes]]] = {}
    for rnd in range(args.rounds):
        floor_out = ref if rnd == 0 else fresh(tmp / "floor_out")
        secs, cpu, code, err = timed_cpu(
            [sys.executable, str(VENDOR / "floor_w1.py"), str(inp), str(floor_out)], env
        )
        if code:
            raise SystemExit(f"the floor failed: {err}")
        rows["floor"].seconds.append(secs)
        rows["floor"].cpu_s.append(cpu)
        if rnd == 0:
            chunks = expected_chunks(inp, n, args.lines, ref)
            rows["floor"].verdicts.append("reference")
        secs, cpu, out = run_round(template, tmp, env, inp, "run")
        rows["run"].seconds.append(secs)
        rows["run"].cpu_s.append(cpu)
        rows["run"].verdicts.append(
            f"{check(ref, out)}, {ordered_verdict(out, chunks, [range(len(chunks['rest']))])}"
        )
        starts = [run_round(template, tmp, env, empty, "empty")[:2] for _ in range(EMPTY_RUNS)]
        rows["empty"].seconds.append(statistics.median(secs for secs, _ in starts))
        rows["empty"].cpu_s.append(statistics.median(cpu for _, cpu in starts))
        sent = serve_round(template, tmp, env, inp, n, args, args.connections, ref, chunks)
        sends.append(sent)
        rows["serve"].seconds.append(sent.seconds)
        rows["serve"].cpu_s.append(sent.server_cpu_s)
        rows["serve"].verdicts.append(f"{sent.verdict}, {sent.ordered}")
    if args.single:
        sent = serve_round(template, tmp, env, inp, n, args, 1, ref, chunks)
        single = rows["single"] = Series("pipeflow serve, 1 connection, once")
        single.seconds.append(sent.seconds)
        single.cpu_s.append(sent.server_cpu_s)
        single.verdicts.append(f"{sent.verdict}, {sent.ordered}")
        sends.append(sent)
    return rows, sends


# -- the table -------------------------------------------------------------------------------------


def good(verdict: str) -> bool:
    """Whether a verdict is the strict one, in order (or the floor's own)."""
    return verdict == "reference" or (
        verdict.startswith("IDENTICAL(strict), in order") and "different" not in verdict
    )


def row(*cells: str) -> str:
    """One Markdown table row."""
    return "| " + " | ".join(cells) + " |"


def listed(values: Sequence[float], spec: str = ".2f", unit: str = "") -> str:
    """Values joined by commas, each formatted with ``spec`` and followed by ``unit``."""
    return ", ".join(f"{v:{spec}}{unit}" for v in values)


def render(rows: dict[str, Series], sends: list[Sent], n: int, args: argparse.Namespace) -> tuple[str, bool]:
    """The results as one Markdown table, and whether every check passed."""
    med = {key: statistics.median(s.cpu_s) for key, s in rows.items()}
    rounds = range(len(rows["serve"].cpu_s))
    run_net = [rows["run"].cpu_s[r] - rows["empty"].cpu_s[r] for r in rounds]
    serve_us = [rows["serve"].cpu_s[r] / n * 1e6 for r in rounds]
    run_us = [rows["run"].cpu_s[r] / n * 1e6 for r in rounds]
    net_us = [run_net[r] / n * 1e6 for r in rounds]
    ratio_in = [s / r for s, r in zip(serve_us, run_us, strict=True)]
    ratio_net = [s / r if r > 0 else float("inf") for s, r in zip(serve_us, net_us, strict=True)]
    when, py = time.strftime("%Y-%m-%d %H:%M"), sys.version.split()[0]
    title = (
        f"W1 over HTTP, {n:,} events in NDJSON bodies of {args.lines:,} lines to `/ingest/{SOURCE}` over "
        f"{args.connections} keep-alive connections, median of {args.rounds} round(s), {when}, "
        f"{os.cpu_count()} cores, Python {py}"
    )
    out = [
        title,
        "",
        row("what", "events/s", "CPU s", "CPU µs/event", "output", "target", "status"),
        "|---|---:|---:|---:|---|---|---|",
    ]
    verdicts_ok = True
    for key in ("floor", "run", "serve", "single"):
        if key not in rows:
            continue
        s = rows[key]
        verdict = s.verdicts[0] if len(set(s.verdicts)) == 1 else " / ".join(s.verdicts)
        verdicts_ok &= all(good(v) for v in s.verdicts)
        rate = f"{n / statistics.median(s.seconds):,.0f}"
        what = s.name + (" (server CPU)" if key in ("serve", "single") else "")
        out.append(row(what, rate, f"{med[key]:.2f}", f"{med[key] / n * 1e6:.2f}", verdict, "-", "-"))
        if key == "run":
            net = statistics.median(run_net)
            what = "pipeflow run --workers 1, minus the empty run"
            out.append(row(what, "-", f"{net:.2f}", f"{net / n * 1e6:.2f}", "-", "-", "-"))
            out.append(row("pipeflow run, empty input (start-up)", "-", f"{med['empty']:.2f}", *"----"))
    for label, ratios in (("start-up included", ratio_in), ("without start-up", ratio_net)):
        value = statistics.median(ratios)
        status = "met" if value <= TARGET_RATIO else "NOT met"
        what = f"serve CPU/event ÷ run CPU/event ({label})"
        out.append(row(what, "-", "-", f"{value:.2f}x", "-", f"<= {TARGET_RATIO}x", status))
    codes = [s.exit_code for s in sends]
    stopped = all(c == 0 for c in codes)
    exits = "exit " + ", ".join(map(str, sorted(set(codes))))
    what = f"serve stopped by SIGTERM ({len(codes)} times)"
    out.append(row(what, "-", "-", "-", exits, "exit 0", "met" if stopped else "NOT met"))
    out += [
        "",
        (
            f"Each round, CPU µs/event: serve {listed(serve_us)}; run {listed(run_us)}; "
            f"run without start-up {listed(net_us)}; ratio (start-up included) {listed(ratio_in, unit='x')}, "
            f"(without) {listed(ratio_net, unit='x')}. "
            f"Serve events/s: {listed([n / s for s in rows['serve'].seconds], ',.0f')}."
        ),
        "",
        (
            f"The load generator (another process, {args.connections} threads with an httpx client each) "
            f"used {listed([s.client_cpu_s for s in sends])} s of CPU per send; 429 answers resent: "
            f"{listed([s.retries for s in sends], 'd')}."
        ),
    ]
    return "\n".join(out) + "\n", verdicts_ok and stopped


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, run the rounds, print and save the table; exit 1 when a check failed."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("-n", type=int, default=200_000, help="events to send (default 200,000)")
    ap.add_argument("--rounds", type=int, default=3, help="rounds; medians are reported (default 3)")
    ap.add_argument("--connections", type=int, default=4, help="keep-alive connections (default 4)")
    ap.add_argument("--lines", type=int, default=1000, help="lines per body (default 1,000)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--no-single", dest="single", action="store_false", help="skip the 1-connection round")
    ap.add_argument("--config", type=Path, default=BENCH / "w1.yaml", help="the W1 config template")
    ap.add_argument("--data", type=Path, default=BENCH / "data", help="where the input is generated")
    ap.add_argument("--results", type=Path, default=BENCH / "results", help="where serve_last.md is written")
    args = ap.parse_args(argv)
    inp = ensure_input(args.n, args.seed, args.data)
    with tempfile.TemporaryDirectory(prefix="pipeflow-serve-w1-") as name:
        rows, sends = measure(inp, args.n, args, Path(name))
    table, ok = render(rows, sends, args.n, args)
    print(table)
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / "serve_last.md").write_text(table)
    if not ok:
        print("serve_w1: an output check or the server's exit failed (see the table)", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
