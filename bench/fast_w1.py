"""The fast path without the actor runtime: the bound of a run with no event loop around it.

Loads a config through the public path (``bootstrap().load``), compiles its routing snapshot once
(``infrastructure.fastpath``, encoding fused for the file sinks, as ``pipeflow run`` compiles it),
reads the input in 2 MiB reads cut at their last newline, routes each as one ``LineBlock`` (as the
file source hands blocks over, newlines counted), and appends each sink's encoded bytes in input
order. What it leaves out is what a synchronous runtime could leave out: the event loop and its
imports, actors, the state database, checkpoints, dead letters, the summary.
With ``--workers N`` the input is cut into N byte ranges at
line boundaries; each worker process compiles the config itself, routes its range in chunks and
sends back per-sink bytes (pickling bytes is cheap, pickling parsed dicts is not); the parent
writes them in input order. Only finite ``file`` sources and ``file`` sinks are handled: it is a
measurement of the engine core, not a second runtime.

Usage: ``.venv/bin/python bench/fast_w1.py CONFIG [--workers N]``
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import sys
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor

from returns.result import Failure

from pipeflow.domain.events import EventMeta
from pipeflow.domain.line_block import LineBlock
from pipeflow.infrastructure.fastpath import compile_snapshot, run_lines
from pipeflow.infrastructure.ids import UlidFactory
from pipeflow.interfaces.bootstrap import bootstrap

CHUNK = 1 << 20
BLOCK = 2 << 20


def _load(config: str) -> tuple[str, dict[str, str], object]:
    result = bootstrap().load(config)
    if isinstance(result, Failure):
        raise SystemExit(f"{config}: {len(result.failure())} problem(s)")
    loaded = result.unwrap()
    sources = [s for s in loaded.config.sources.values() if s.type == "file"]
    paths = {name: s.path for name, s in loaded.config.sinks.items() if s.type == "file"}
    return sources[0].path, paths, loaded.router


def _ranges(path: str, n: int) -> list[tuple[int, int]]:
    size = os.path.getsize(path)
    cuts = [0]
    with open(path, "rb") as f:
        for k in range(1, n):
            f.seek(max(size * k // n, cuts[-1]))
            f.readline()
            cuts.append(min(f.tell(), size))
    cuts.append(size)
    return [(a, b) for a, b in itertools.pairwise(cuts) if b > a]


def _chunks(path: str, start: int, end: int) -> Iterator[list[bytes]]:
    with open(path, "rb") as f:
        f.seek(start)
        rest, left = b"", end - start
        while left > 0:
            data = f.read(min(CHUNK, left))
            if not data:
                break
            left -= len(data)
            lines = (rest + data).split(b"\n")
            rest = lines.pop()
            yield lines
        if rest:
            yield [rest]


def _blocks(path: str) -> Iterator[LineBlock]:
    """The file's whole lines, one block per 2 MiB read (the unfinished last line carried over)."""
    with open(path, "rb", buffering=0) as f:
        rest = b""
        while data := f.read(BLOCK):
            if rest:
                data = rest + data
            cut = data.rfind(b"\n") + 1
            rest = data[cut:]
            if cut:
                yield LineBlock.of(data[:cut])
        if rest:
            yield LineBlock.of(rest)


_WORKER: dict[str, object] = {}


def _init_worker(config: str) -> None:
    inp, _, router = _load(config)
    _WORKER.update(inp=inp, snapshot=compile_snapshot(router), ids=UlidFactory())  # type: ignore[arg-type]


def _route_range(span: tuple[int, int]) -> dict[str, list[bytes]]:
    inp, snapshot, ids = _WORKER["inp"], _WORKER["snapshot"], _WORKER["ids"]
    meta = EventMeta("app", 0.0)
    out: dict[str, list[bytes]] = {}
    for lines in _chunks(inp, *span):  # type: ignore[arg-type]
        for sink, (data, _) in run_lines(snapshot, lines, meta, ids).encoded().items():  # type: ignore[arg-type]
            out.setdefault(sink, []).append(data)
    return out


def main() -> None:
    """Route the config's file source to its file sinks through the fast path."""
    ap = argparse.ArgumentParser()
    ap.add_argument("config")
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args()
    inp, paths, router = _load(args.config)
    files = {}
    for sink, path in paths.items():
        os.makedirs(os.path.dirname(path), exist_ok=True)
        files[sink] = open(path, "ab")  # noqa: SIM115 - closed below
    if args.workers <= 1:
        snapshot = compile_snapshot(router, paths)  # type: ignore[arg-type]
        meta, ids = EventMeta("app", 0.0), UlidFactory()
        gc.freeze()  # as ``pipeflow run``: the start-up heap is not scanned, events are acyclic
        gc.disable()
        for block in _blocks(inp):
            for sink, (data, _) in run_lines(snapshot, block, meta, ids).encoded().items():
                files[sink].write(data)
    else:
        # Ranges of ~4 MiB: workers stay busy and the parent holds only a few results at a time.
        spans = _ranges(inp, max(args.workers, os.path.getsize(inp) // (4 * CHUNK)))
        with ProcessPoolExecutor(args.workers, initializer=_init_worker, initargs=(args.config,)) as pool:
            for result in pool.map(_route_range, spans):  # in input order
                for sink, parts in result.items():
                    files[sink].write(b"".join(parts))
    for f in files.values():
        f.close()
    sys.stdout.flush()
    os._exit(0)  # as ``pipeflow run``: no teardown freeing every object one by one


if __name__ == "__main__":
    main()
