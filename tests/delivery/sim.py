"""The pieces of the deterministic simulations (``test_simulation.py``, ``test_simulation_disk.py``).

An event loop on virtual time (a sleep advances the clock at once), in-memory sources, sinks and a
dead-letter store whose faults a seed draws, the route table the scenarios use, the counting of
deliveries their laws are stated with, and for disk buffers a disk that fills up (``SimDisk``) and
the tearing of a segment's tail after a crash (``tear``).
"""

from __future__ import annotations

import asyncio
import errno
import os
import random
import selectors
import stat
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio

from pipeflow.domain.dead_letters import DeadLetter
from pipeflow.domain.events import Event, EventId, EventMeta
from pipeflow.domain.ports import SourceBatch
from pipeflow.domain.record_framing import MAGIC, Decoded, decode_record
from pipeflow.domain.router import Router, build_router
from pipeflow.domain.routes import Route, RouteId, RouteTable, SinkName
from pipeflow.infrastructure.actors.dead_letter_actor import DeadLetterActor
from pipeflow.infrastructure.actors.disk_files import FileOps
from pipeflow.infrastructure.actors.retry import RetryPolicy
from pipeflow.infrastructure.actors.stats import RunStats

Written = list[tuple[float, str]]
"""A sink's log: (virtual time, event id) per event written, in order."""

Dead = list[tuple[float, str, str, str]]
"""The dead-letter store's log: (virtual time, event id, stage, reason) per record."""


class Deadlock(Exception):
    """Nothing is runnable and no timer is set: the simulated program waits forever."""


class _VirtualSelector(selectors.BaseSelector):
    """A selector with no I/O: ``select(t)`` advances the virtual clock by ``t`` and returns."""

    def __init__(self) -> None:
        self.now = 0.0
        self._keys: dict[Any, selectors.SelectorKey] = {}

    def register(self, fileobj: Any, events: int, data: Any = None) -> selectors.SelectorKey:
        fd = fileobj if isinstance(fileobj, int) else fileobj.fileno()
        key = selectors.SelectorKey(fileobj, fd, events, data)
        self._keys[fileobj] = key
        return key

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self._keys.pop(fileobj)

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        if timeout is None:
            raise Deadlock("no task can run and no timer is set")
        self.now += timeout
        return []

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        return self._keys

    def close(self) -> None:
        self._keys.clear()


class VirtualLoop(asyncio.SelectorEventLoop):
    """An asyncio loop on virtual time: runs callbacks in order, jumps to the next timer."""

    def __init__(self) -> None:
        self._virtual = _VirtualSelector()
        super().__init__(self._virtual)

    def time(self) -> float:
        return self._virtual.now


class SimClock:
    def now(self) -> float:
        return asyncio.get_running_loop().time()


class SimIds:
    def __init__(self) -> None:
        self.n = 0

    def new_id(self) -> EventId:
        self.n += 1
        return EventId(f"dl{self.n}")


@dataclass
class SimSource:
    """Draws 5 to 15 batches of 1 to 20 events; with ``replay``, sends those batches instead (a
    restarted source reading again what it had not had acknowledged)."""

    name: str
    rng: random.Random
    replay: list[list[Event]] | None = None
    read: list[list[Event]] = field(default_factory=list)
    acks: Counter[int] = field(default_factory=Counter)
    stopped: bool = False

    async def batches(self) -> AsyncIterator[SourceBatch]:
        n = 0
        count = len(self.replay) if self.replay is not None else self.rng.randint(5, 15)
        for b in range(count):
            await anyio.sleep(self.rng.uniform(0.0, 0.05))
            if self.stopped:
                return
            events = self.replay[b] if self.replay is not None else []
            for i in range(self.rng.randint(1, 20) if self.replay is None else 0):
                events.append(Event(EventId(f"e{b}.{i}"), EventMeta(self.name, 0.0), {"n": n}))
                n += 1
            self.read.append(events)
            yield SourceBatch(self.name, events, [], self._acker(b))

    def _acker(self, b: int) -> Any:
        return lambda: self.acks.update([b])

    def stop(self) -> None:
        self.stopped = True


@dataclass
class SimSink:
    name: str
    rng: random.Random
    fail_first: int = 0
    slow_up_to_s: float = 0.0
    log: Written = field(default_factory=list)
    writes: int = 0

    async def open(self) -> None:
        pass

    async def write(self, events: Sequence[Event]) -> None:
        self.writes += 1
        if self.slow_up_to_s:
            await anyio.sleep(self.rng.uniform(0.0, self.slow_up_to_s))  # may outlast the timeout
        if self.writes <= self.fail_first:
            raise OSError(f"{self.name}: injected failure {self.writes}")
        now = anyio.current_time()
        self.log.extend((now, e.id) for e in events)

    async def close(self) -> None:
        pass


@dataclass
class SimDeadLetters:
    fail_first: int
    records: Dead = field(default_factory=list)
    writes: int = 0

    async def write(self, records: Sequence[DeadLetter]) -> None:
        self.writes += 1
        if self.writes <= self.fail_first:
            raise OSError("dead-letter store: injected failure")
        now = anyio.current_time()
        self.records.extend((now, r.id, str(r.stage), r.reason) for r in records)

    async def close(self) -> None:
        pass


def sim_backends(
    seed: int, rng: random.Random, stats: RunStats
) -> tuple[SimDeadLetters, DeadLetterActor, dict[str, SimSink]]:
    """The dead-letter store, its actor and the sinks ``a``, ``b``, ``c`` of a scenario: ``a``
    fails its first writes, ``b`` may be slow, ``c`` (``dead_letter`` when full) is neither."""
    store = SimDeadLetters(fail_first=rng.randint(0, 2))
    dlq = DeadLetterActor(store, stats, RetryPolicy(5, 0.01, 0.1, rng=random.Random(seed + 1)))
    sinks = {
        "a": SimSink("a", random.Random(seed + 2), fail_first=rng.randint(0, 6)),
        "b": SimSink("b", random.Random(seed + 3), slow_up_to_s=rng.choice([0.0, 0.05, 0.2])),
        "c": SimSink("c", random.Random(seed + 4)),
    }
    return store, dlq, sinks


def sim_router() -> Router:
    """Every event to ``a``; the even ``n`` to ``b`` and ``c`` too."""
    table = RouteTable(
        (
            Route(RouteId("all"), "true", (SinkName("a"),), final=False),
            Route(RouteId("evens"), "n % 2 == 0", (SinkName("b"), SinkName("c"))),
        )
    )
    router = build_router(table, {})
    assert isinstance(router, Router)
    return router


def sinks_for(n: int) -> tuple[str, ...]:
    """Where the route table sends the event with this ``n``."""
    return ("a", "b", "c") if n % 2 == 0 else ("a",)


def routed(batch: Iterable[tuple[str, int]]) -> list[tuple[str, str]]:
    """The (event id, sink) pairs a batch of (event id, n) is routed to."""
    return [(event_id, sink) for event_id, n in batch for sink in sinks_for(n)]


def written_pairs(written: Mapping[str, Written]) -> Counter[tuple[str, str]]:
    """How many times each (event id, sink) pair was written."""
    got: Counter[tuple[str, str]] = Counter()
    for sink, log in written.items():
        got.update((event_id, sink) for _, event_id in log)
    return got


def dead_pairs(dead: Dead) -> Counter[tuple[str, str]]:
    """How many times each (event id, sink) pair was dead-lettered for that sink."""
    return Counter((event_id, stage.removeprefix("sink:")) for _, event_id, stage, _ in dead)


def summary(batches: list[list[Event]]) -> list[list[tuple[str, int]]]:
    """The (event id, n) of each batch read."""
    return [[(e.id, int(e.fields["n"])) for e in batch] for batch in batches]  # type: ignore[arg-type]


@dataclass
class SimDisk(FileOps):
    """The disk under the buffers: full during ``full`` (virtual time); an fsync records what it made
    durable (by inode) rather than calling ``os.fsync`` (a crash here kills the process, not the
    machine: the page cache survives it, and the run stays fast)."""

    rng: random.Random
    full: tuple[float, float] | None = None
    durable: dict[int, int] = field(default_factory=dict)
    refused: int = 0
    owed: bool = False  # a partial write was let through: the next write fails
    dead: bool = False  # the process crashed: what the cancelled run still does is not durable

    def is_full(self, longer: float = 0.0) -> bool:
        now = asyncio.get_running_loop().time()
        return self.full is not None and self.full[0] <= now < self.full[1] + longer

    def open(self, path: str, flags: int, mode: int = 0o644) -> int:
        if flags & os.O_CREAT and self.is_full(longer=0.2):  # no new file a while after (no inode)
            self.refused += 1
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)
        fd = super().open(path, flags, mode)
        self.durable[os.fstat(fd).st_ino] = 0
        return fd

    def write(self, fd: int, data: memoryview | bytes) -> int:
        if not self.owed and not self.is_full():
            return super().write(fd, data)
        self.refused += 1
        if not self.owed and len(data) > 1 and self.rng.random() < 0.5:
            self.owed = True
            return super().write(fd, data[: self.rng.randrange(1, len(data))])
        self.owed = False
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def fsync(self, fd: int) -> None:
        st = os.fstat(fd)
        if stat.S_ISREG(st.st_mode) and not self.dead:
            self.durable[st.st_ino] = st.st_size


def damaged(data: bytes) -> int:
    """1 when ``data`` does not end on a record boundary (a reader skips one damaged stretch), else 0."""
    offset = 0
    while offset < len(data):
        found = decode_record(data, offset)
        if not isinstance(found, Decoded):
            return 1
        offset = found.end
    return 0


def tear(original: Path, copy: Path, disk: SimDisk, rng: random.Random) -> tuple[str, int]:
    """Tear the newest segment in ``copy`` within what ``disk`` had not made durable in ``original``."""
    last = sorted(copy.glob("*.seg"))[-1]
    data = last.read_bytes()
    durable = min(disk.durable.get((original / last.name).stat().st_ino, 0), len(data))
    how = rng.choice(["none", "cut", "garbage", "cut+garbage"])
    if "cut" in how:
        data = data[: rng.randint(durable, len(data))]
    if "garbage" in how:
        data += rng.choice([MAGIC, b""]) + rng.randbytes(rng.randint(1, 40))
    last.write_bytes(data)
    return how, damaged(data)
