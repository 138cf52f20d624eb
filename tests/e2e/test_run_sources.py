"""Every source, end to end: files (ndjson, lines, glob) in process; stdin, http, syslog and statsd
through the real ``pipeflow run`` process, stopped by SIGTERM where the input never ends."""

from __future__ import annotations

import gzip
import json
import socket
from pathlib import Path

import httpx

from tests.e2e.conftest import (
    Proto,
    cli,
    count_lines,
    free_port,
    read_ndjson,
    run_in_process,
    started,
    terminate,
    wait_listening,
    wait_until,
    write_config,
    write_ndjson,
)


async def test_file_source_reads_ndjson_lines_and_globs(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    write_ndjson(tmp_path / "app.ndjson", [{"n": i, "level": "info"} for i in range(5)])
    (tmp_path / "plain.log").write_text("first line\nsecond line\nlast line without newline", "utf-8")
    for part in ("a", "b", "c"):
        write_ndjson(logs / f"{part}.ndjson", [{"part": part, "i": i} for i in range(3)])
    (logs / "ignored.txt").write_text('{"part": "x"}\n', "utf-8")
    config = write_config(
        tmp_path,
        """
        sources:
          app: {type: file, path: app.ndjson}
          plain: {type: file, path: plain.log, format: lines}
          many: {type: file, path: "logs/*.ndjson"}
        sinks:
          app: {type: file, path: out/app.ndjson}
          plain: {type: file, path: out/plain.ndjson}
          many: {type: file, path: out/many.ndjson}
        routes:
          - {name: app, filter: 'exists(n)', sink: app}
          - {name: plain, filter: 'exists(message)', sink: plain}
          - {name: many, sink: many}
        """,
    )

    outcome = await run_in_process(config)

    assert read_ndjson(tmp_path / "out/app.ndjson") == [{"n": i, "level": "info"} for i in range(5)]
    assert read_ndjson(tmp_path / "out/plain.ndjson") == [
        {"message": "first line"},
        {"message": "second line"},
        {"message": "last line without newline"},
    ]
    many = read_ndjson(tmp_path / "out/many.ndjson")
    assert sorted((r["part"], r["i"]) for r in many) == [(p, i) for p in "abc" for i in range(3)]
    summary = outcome.summary()
    assert summary["events_in"] == 17
    assert summary["events_out"] == {"app": 5, "many": 9, "plain": 3}
    assert (summary["dropped"], summary["unmatched"], summary["dead_lettered"]) == (0, 0, 0)
    assert outcome.failures == []


def test_stdin_source_reads_piped_input_until_eof(tmp_path: Path) -> None:
    config = write_config(
        tmp_path,
        """
        sources:
          in: {type: stdin}
        sinks:
          out: {type: file, path: out.ndjson}
        routes:
          - {name: all, sink: out}
        """,
    )
    lines = b"".join(json.dumps({"i": i}).encode() + b"\n" for i in range(200))

    done = cli("run", str(config), "--summary-file", str(tmp_path / "summary.json"), input=lines)

    assert done.returncode == 0, done.stderr.decode()
    assert read_ndjson(tmp_path / "out.ndjson") == [{"i": i} for i in range(200)]
    summary = json.loads((tmp_path / "summary.json").read_text("utf-8"))
    assert summary["events_in"] == 200
    assert summary["events_out"] == {"out": 200}


def _send_udp(port: int, payloads: list[bytes]) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for payload in payloads:
            sock.sendto(payload, ("127.0.0.1", port))


def _send_tcp(port: int, data: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(data)


SYSLOG_5424 = b"<34>1 2024-06-01T12:00:00Z host1 sshd 4242 ID47 - Failed password for root"
SYSLOG_3164 = b"<13>Jun  1 12:00:00 host2 cron[77]: job done"


def test_network_sources_deliver_and_stop_cleanly_on_sigterm(tmp_path: Path) -> None:
    """http, syslog (UDP and TCP) and statsd in one ``pipeflow run``: send, SIGTERM, exit 0."""
    http, syslog_udp, syslog_tcp, statsd = (
        free_port("tcp"),
        free_port("udp"),
        free_port("tcp"),
        free_port("udp"),
    )
    config = write_config(
        tmp_path,
        f"""
        sources:
          web: {{type: http, address: "127.0.0.1:{http}"}}
          sys_udp: {{type: syslog, address: "127.0.0.1:{syslog_udp}", protocol: udp}}
          sys_tcp: {{type: syslog, address: "127.0.0.1:{syslog_tcp}", protocol: tcp}}
          metrics: {{type: statsd, address: "127.0.0.1:{statsd}"}}
        sinks:
          web: {{type: file, path: out/web.ndjson}}
          syslog: {{type: file, path: out/syslog.ndjson}}
          metrics: {{type: file, path: out/metrics.ndjson}}
        routes:
          - {{name: web, filter: 'exists(user)', sink: web}}
          - {{name: metrics, filter: 'exists(value)', sink: metrics}}
          - {{name: syslog, sink: syslog}}
        """,
    )
    out = tmp_path / "out"
    with started("run", str(config), "--summary-file", str(tmp_path / "summary.json")) as proc:
        listeners: list[tuple[int, Proto]] = [
            (http, "tcp"),
            (syslog_udp, "udp"),
            (syslog_tcp, "tcp"),
            (statsd, "udp"),
        ]
        for port, proto in listeners:
            wait_listening(proc, port, proto)
        body = b'{"user": "ada", "n": 1}\n{"user": "bob", "n": 2}\n'
        gzipped = httpx.post(
            f"http://127.0.0.1:{http}/", content=gzip.compress(body), headers={"Content-Encoding": "gzip"}
        )
        assert (gzipped.status_code, gzipped.json()["error"]) == (
            415,
            "unsupported Content-Encoding 'gzip': send the NDJSON uncompressed",
        )
        answer = httpx.post(f"http://127.0.0.1:{http}/", content=body, timeout=10)
        assert answer.status_code == 202
        assert answer.json() == {"accepted": 2, "rejected": 0}
        _send_udp(syslog_udp, [SYSLOG_5424, SYSLOG_3164])
        _send_tcp(syslog_tcp, SYSLOG_5424 + b"\n" + SYSLOG_3164 + b"\n")
        _send_udp(statsd, [b"api.requests:1|c|#env:prod", b"api.latency:12.5|ms\nmem.free:512|g"])
        wait_until(
            lambda: count_lines(out / "syslog.ndjson") == 4 and count_lines(out / "metrics.ndjson") == 3,
            "syslog and statsd events in their sinks",
            proc=proc,
        )
        code, _, err = terminate(proc)

    assert code == 0, err.decode()
    assert read_ndjson(out / "web.ndjson") == [{"user": "ada", "n": 1}, {"user": "bob", "n": 2}]
    syslog = read_ndjson(out / "syslog.ndjson")
    assert sorted(r["hostname"] for r in syslog) == ["host1", "host1", "host2", "host2"]
    assert sorted(r["message"] for r in syslog) == [
        "Failed password for root",
        "Failed password for root",
        "job done",
        "job done",
    ]
    metrics = read_ndjson(out / "metrics.ndjson")
    assert sorted((m["name"], m["value"], m["type"]) for m in metrics) == [
        ("api.latency", 12.5, "timer"),
        ("api.requests", 1, "counter"),
        ("mem.free", 512, "gauge"),
    ]
    assert next(m for m in metrics if m["name"] == "api.requests")["tags"] == {"env": "prod"}
    summary = json.loads((tmp_path / "summary.json").read_text("utf-8"))
    assert summary["events_in"] == 9
    assert summary["events_out"] == {"metrics": 3, "syslog": 4, "web": 2}
    assert b"Traceback" not in err


def test_an_http_batch_whose_dead_letters_cannot_be_stored_is_answered_503_with_why(tmp_path: Path) -> None:
    """The dead-letter store fails (its file is a folder): the client hears why once the store gave
    up, not after the 30 s acknowledgement timeout; a good body after it is delivered."""
    http = free_port()
    (tmp_path / "dead").mkdir()
    config = write_config(
        tmp_path,
        f"""
        sources:
          web: {{type: http, address: "127.0.0.1:{http}"}}
        sinks:
          out: {{type: file, path: out.ndjson}}
        routes:
          - {{name: all, sink: out}}
        dead_letter: {{type: file, path: dead}}
        """,
    )
    with started("run", str(config)) as proc:
        wait_listening(proc, http, "tcp")
        failed = httpx.post(f"http://127.0.0.1:{http}/", content=b'{"n": 1}\n{not json\n', timeout=20)
        assert failed.status_code == 503
        assert failed.headers["retry-after"] == "1"
        assert failed.json()["error"].startswith("not delivered: 1 dead letters could not be stored")
        good = httpx.post(f"http://127.0.0.1:{http}/", content=b'{"n": 2}\n', timeout=20)
        assert (good.status_code, good.json()) == (202, {"accepted": 1, "rejected": 0})
        code, _, err = terminate(proc)
    assert code == 1, err.decode()  # the run says its dead letters could not be stored
    assert b"dead letters could not be stored" in err
