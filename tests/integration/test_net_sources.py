from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable
from contextlib import aclosing

import anyio
import pytest

from pipeflow.domain.json import JsonObject
from pipeflow.domain.ports import SourceBatch
from pipeflow.infrastructure.sources.statsd import StatsdSource
from pipeflow.infrastructure.sources.syslog import SyslogProtocol, SyslogSource
from tests.fakes import CountingIds, FakeClock

Sender = Callable[[str, int], Awaitable[None]]

RFC5424 = b'<165>1 2003-10-11T22:14:15.003Z host1 app 42 ID7 [ex@1 k="v"] hello 5424'
RFC3164 = b"<34>Oct 11 22:14:15 host2 su: 'su root' failed"
LOGHUB = b"Dec 10 06:55:46 LabSZ sshd[24200]: Invalid user webmaster from 173.234.31.186"


async def collect(source: SyslogSource | StatsdSource, send: Sender, want: int) -> list[SourceBatch]:
    """Run the source, send, and stop it once ``want`` events plus rejects came out."""
    batches: list[SourceBatch] = []

    async def consume() -> None:
        async with aclosing(source.batches()) as stream:
            async for batch in stream:
                batches.append(batch)
                if sum(len(b.events) + len(b.rejected) for b in batches) >= want:
                    source.stop()

    with anyio.fail_after(10):
        async with anyio.create_task_group() as tg:
            tg.start_soon(consume)
            host, port = await source.bound_address()
            await send(host, port)
    return batches


def udp(*datagrams: bytes) -> Sender:
    async def send(host: str, port: int) -> None:
        async with await anyio.create_connected_udp_socket(host, port) as sock:
            for datagram in datagrams:
                await sock.send(datagram)

    return send


def tcp(*connections: list[bytes]) -> Sender:
    """Each connection sends its chunks in order; the connections run one after another."""

    async def send(host: str, port: int) -> None:
        for chunks in connections:
            async with await anyio.connect_tcp(host, port) as stream:
                for chunk in chunks:
                    await stream.send(chunk)

    return send


def syslog(
    protocol: SyslogProtocol = "udp",
    *,
    max_batch: int = 512,
    max_delay_s: float = 0.05,
    max_line_bytes: int = 1 << 20,
) -> SyslogSource:
    return SyslogSource(
        "sys",
        "127.0.0.1",
        0,
        protocol=protocol,
        ids=CountingIds(),
        clock=FakeClock(5.0),
        max_batch=max_batch,
        max_delay_s=max_delay_s,
        max_line_bytes=max_line_bytes,
    )


def events_of(batches: list[SourceBatch]) -> list[JsonObject]:
    return [e.fields for b in batches for e in b.events]


def rejects_of(batches: list[SourceBatch]) -> list[tuple[bytes, str]]:
    return [(r.raw, r.reason) for b in batches for r in b.rejected]


async def test_syslog_udp_parses_both_rfcs_and_rejects_the_rest() -> None:
    source = syslog()
    batches = await collect(source, udp(RFC5424, RFC3164 + b"\n", b"not syslog at all", b"\xff\xfe"), 4)
    fields = events_of(batches)
    assert [f["hostname"] for f in fields] == ["host1", "host2"]
    assert fields[0]["structured_data"] == {"ex@1": {"k": "v"}}
    assert fields[0]["message"] == "hello 5424"
    assert fields[1]["message"] == "'su root' failed"
    assert rejects_of(batches) == [
        (b"not syslog at all", "not syslog: no <PRI> and no timestamp"),
        (b"\xff\xfe", "invalid UTF-8: invalid start byte at byte 0"),
    ]
    first = batches[0].events[0]
    assert (first.id, first.meta.source, first.meta.received_at) == ("id-000001", "sys", 5.0)
    assert all(b.source == "sys" and b.ack is None for b in batches)


async def test_syslog_tcp_newline_framing_across_chunks_and_connections() -> None:
    send = tcp(
        [LOGHUB[:10], LOGHUB[10:] + b"\r\n" + RFC3164[:5], RFC3164[5:] + b"\n\n"],
        [b"garbage line\n" + RFC5424],  # the last line has no newline: ended by the close
    )
    batches = await collect(syslog("tcp"), send, 4)
    assert [f["hostname"] for f in events_of(batches)] == ["LabSZ", "host2", "host1"]
    assert events_of(batches)[0]["procid"] == "24200"
    assert rejects_of(batches) == [(b"garbage line", "not syslog: no <PRI> and no timestamp")]


async def test_syslog_tcp_octet_counted_frames_may_hold_newlines() -> None:
    multi = b"<13>Oct 11 22:14:15 h app: line one\nline two"
    framed = b"%d %s%d %s" % (len(multi), multi, len(RFC5424), RFC5424)
    batches = await collect(syslog("tcp"), tcp([framed[:3], framed[3:40], framed[40:]]), 2)
    fields = events_of(batches)
    assert fields[0]["message"] == "line one\nline two"
    assert fields[1]["appname"] == "app"
    assert rejects_of(batches) == []


async def test_syslog_tcp_oversized_line_is_rejected_and_the_next_line_survives() -> None:
    send = tcp([b"<13>" + b"x" * 300 + b"\n" + RFC3164 + b"\n"])
    batches = await collect(syslog("tcp", max_line_bytes=100), send, 2)
    assert [f["hostname"] for f in events_of(batches)] == ["host2"]
    [(raw, reason)] = rejects_of(batches)
    assert (len(raw), reason) == (100, "line over 100 bytes")


async def test_batches_are_bounded_in_size() -> None:
    source = syslog("tcp", max_batch=4, max_delay_s=0.2)
    batches = await collect(source, tcp([RFC3164 + b"\n"] * 10), 10)
    assert sum(len(b.events) for b in batches) == 10
    assert max(len(b.events) for b in batches) <= 4


async def test_stop_ends_a_source_waiting_for_input() -> None:
    for source in (
        syslog("udp"),
        syslog("tcp"),
        StatsdSource("m", "127.0.0.1", 0, ids=CountingIds(), clock=FakeClock()),
    ):
        with anyio.fail_after(5):
            async with anyio.create_task_group() as tg, aclosing(source.batches()) as stream:
                tg.start_soon(_stop_when_bound, source)
                assert [b async for b in stream] == []


async def _stop_when_bound(source: SyslogSource | StatsdSource) -> None:
    await source.bound_address()
    source.stop()


async def test_an_address_in_use_is_an_os_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        source = SyslogSource(
            "sys", "127.0.0.1", taken.getsockname()[1], protocol="tcp", ids=CountingIds(), clock=FakeClock()
        )
        with anyio.fail_after(5), pytest.raises(OSError, match="in use"):
            async with aclosing(source.batches()) as stream:
                await stream.__anext__()


async def test_statsd_udp_packets_become_metric_events() -> None:
    source = StatsdSource("m", "127.0.0.1", 0, ids=CountingIds(), clock=FakeClock())
    send = udp(b"hits:1|c|#env:prod\nlatency:12.5|ms|@0.5\nbroken", b"queue:-3|g")
    batches = await collect(source, send, 4)
    assert events_of(batches) == [
        {"name": "hits", "value": 1, "type": "counter", "tags": {"env": "prod"}, "sample_rate": 1.0},
        {"name": "latency", "value": 12.5, "type": "timer", "tags": {}, "sample_rate": 0.5},
        {"name": "queue", "value": -3, "type": "gauge", "tags": {}, "sample_rate": 1.0, "delta": True},
    ]
    assert rejects_of(batches) == [(b"broken", "missing ':' between name and value")]


async def test_a_consumer_that_breaks_out_closes_the_tcp_listener() -> None:
    source = syslog("tcp")
    with anyio.fail_after(5):
        async with anyio.create_task_group() as tg:
            tg.start_soon(_send_when_bound, source, RFC3164 + b"\n")
            async with aclosing(source.batches()) as stream:
                async for batch in stream:
                    assert len(batch.events) == 1
                    break
        _host, port = await source.bound_address()
        with pytest.raises(OSError, match="connection attempts failed"):
            await anyio.connect_tcp("127.0.0.1", port)


async def _send_when_bound(source: SyslogSource, data: bytes) -> None:
    await tcp([data])(*await source.bound_address())
