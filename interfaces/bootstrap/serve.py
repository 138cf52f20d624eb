"""``pipeflow serve``: the management API, HTTP ingest and the running topology, in one task group.

1. Open the management database (a SQLite file, or PostgreSQL shared by every worker:
   ``interfaces.bootstrap.database``) and build the services; every domain event goes to
   ``HotReload.on_change``, which swaps a new router into the ``RouterCell``. With PostgreSQL a
   task also reloads after every change any worker notifies.
2. Seed from ``--config``: each config pipeline is stored under its config name unless that id
   has a history already; the config's routes are stored unless a route table exists. Workers
   that start together may race to seed: a lost race means another one seeded, which is fine.
3. Build the router from what is stored, then the config's topology around it (``http`` sources
   become ingest sources of ``POST /ingest/{source}``), and bind the API's socket.
4. Run the API server and the topology until ``stop()`` (SIGINT/SIGTERM): the sources stop, what
   was queued drains (its requests get their 202), the ``GET /tap`` streams end, then the server
   stops. A second signal stops at once.
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, final

import anyio
from anyio.abc import TaskStatus
from returns.pipeline import is_successful
from returns.result import Failure

from pipeflow.application.pipelines import PipelineDraft
from pipeflow.application.services import Services, make_services
from pipeflow.domain.domain_events import PipelineCreated, PipelineDeleted, PipelineUpdated, RoutesUpdated
from pipeflow.domain.errors import ValidationError
from pipeflow.domain.filter import compile_filter
from pipeflow.infrastructure.metering import observe_buffers
from pipeflow.infrastructure.metrics import CONTENT_TYPE, Metrics
from pipeflow.infrastructure.sources.asgi_server import AsgiServer
from pipeflow.infrastructure.sources.ingest import DEFAULT_MAX_IN_FLIGHT
from pipeflow.infrastructure.tap import Tap
from pipeflow.interfaces.bootstrap import App
from pipeflow.interfaces.bootstrap.collector import collection_on_a_timer
from pipeflow.interfaces.bootstrap.console import console_routers
from pipeflow.interfaces.bootstrap.database import open_stores
from pipeflow.interfaces.bootstrap.engine import Engine, build_engine
from pipeflow.interfaces.bootstrap.reload import HotReload
from pipeflow.interfaces.bootstrap.state import make_state_dir
from pipeflow.interfaces.config.loader import LoadedConfig
from pipeflow.interfaces.http.app import create_app
from pipeflow.interfaces.http.ingest import IngestLimits, ingest_router
from pipeflow.interfaces.http.ingest_lane import IngestLane
from pipeflow.interfaces.http.ops import OpsView, RuntimeOut, ops_router
from pipeflow.interfaces.http.otlp import otlp_router
from pipeflow.interfaces.http.tap import TapView, tap_router

if TYPE_CHECKING:
    from pipeflow.infrastructure.postgres.db import PostgresDb

_log = logging.getLogger("pipeflow.serve")


class ServeError(Exception):
    """``serve`` could not start: the message says what is wrong (the CLI prints it, exit 1)."""


@final
@dataclass(frozen=True, slots=True)
class ServeOptions:
    """What ``pipeflow serve`` was asked for."""

    host: str = "127.0.0.1"
    port: int = 3000
    database: str = "pipeflow.db"
    token: str | None = None
    ingest_max_events: int = DEFAULT_MAX_IN_FLIGHT
    limits: IngestLimits = field(default_factory=IngestLimits)


@final
@dataclass(frozen=True, slots=True)
class Running:
    """A started server: where it listens, and how to stop it gracefully."""

    host: str
    port: int
    stop: Callable[[], None]

    @property
    def base_url(self) -> str:
        """``http://host:port``."""
        return f"http://{self.host}:{self.port}"


def _filter_problem(text: str) -> str | None:
    compiled = compile_filter(text)
    return str(compiled) if isinstance(compiled, ValidationError) else None


async def seed(services: Services, loaded: LoadedConfig) -> list[str]:
    """Store the config's pipelines (config names as ids) and routes unless already stored.

    A conflict means another worker seeded the same thing meanwhile: it counts as seeded.
    """
    problems: list[str] = []
    for pid, pipeline in loaded.pipelines.items():
        if not is_successful(await services.pipelines.history(pid)):
            made = await services.pipelines.create(
                PipelineDraft(pipeline.functions, pipeline.description), pid
            )
            match made:
                case Failure(ValidationError() as invalid):
                    problems.append(f"pipeline {pid!r}: {invalid}")
    if (await services.routes.get()).version == 0:
        match await services.routes.put(loaded.routes.routes, 0):
            case Failure(ValidationError() as invalid):
                problems.append(f"routes: {invalid}")
    return problems


async def _watch_signals(stop: anyio.Event, everything: anyio.CancelScope, own: anyio.CancelScope) -> None:
    with own, anyio.open_signal_receiver(signal.SIGINT, signal.SIGTERM) as signals:
        async for signum in signals:
            if stop.is_set():
                _log.warning("second signal: stopping now")
                everything.cancel()
                return
            _log.info("received %s: stopping sources, draining", signal.Signals(signum).name)
            stop.set()


async def serve(
    app: App,
    loaded: LoadedConfig | None,
    options: ServeOptions,
    *,
    handle_signals: bool = True,
    task_status: TaskStatus[Running] = anyio.TASK_STATUS_IGNORED,
) -> None:
    """Run ``pipeflow serve`` until stopped; see the module doc.

    :raises ServeError: when it cannot start (seeding failed, stored state does not compile,
        the address cannot be bound).
    """
    opened = await open_stores(options.database)
    if not is_successful(opened):
        raise ServeError(opened.failure().message)
    stores = opened.unwrap()
    engine: Engine | None = None
    try:
        pipelines, routes = stores.pipelines, stores.routes
        sinks = frozenset(loaded.config.sinks) if loaded is not None else frozenset[str]()
        hot = HotReload(pipelines, routes, app.factories, sinks)
        kinds = (PipelineCreated, PipelineUpdated, PipelineDeleted, RoutesUpdated)
        services = make_services(
            pipelines=pipelines,
            routes=routes,
            idempotency=stores.idempotency,
            factories=app.factories,
            known_sinks=sinks,
            filter_check=_filter_problem,
            handlers={kind: [hot.on_change] for kind in kinds},
            ids=app.ids,
            clock=app.clock,
        )
        problems = await seed(services, loaded) if loaded is not None else []
        first = await hot.rebuild()
        problems.extend(str(p) for p in first.swap().map(lambda e: e.problems).value_or(()))
        if problems:
            raise ServeError("the stored pipelines and routes cannot run: " + "; ".join(problems))
        metrics, tap = Metrics(), Tap()
        if loaded is not None:
            problem = make_state_dir(loaded.config.state_dir)
            if problem is not None:
                raise ServeError(problem)
            engine = await build_engine(
                app,
                loaded,
                hot.cell,
                metrics,
                ingest_max_events=options.ingest_max_events,
                tap=tap,
                limits=options.limits,
            )
        ingest = engine.ingest if engine is not None else {}
        actors = engine.sinks if engine is not None else {}

        def render() -> bytes:
            observe_buffers(metrics, actors)
            return metrics.render()

        def runtime() -> RuntimeOut:
            return RuntimeOut(
                routes_version=hot.cell.router.version,
                pipelines=hot.versions(),
                ingest_sources=sorted(ingest),
                sinks=sorted(sinks),
            )

        api = create_app(
            services,
            token=options.token,
            routers=[
                ingest_router(ingest, options.limits),
                otlp_router(engine.otlp if engine is not None else {}, options.limits),
                ops_router(OpsView(render, CONTENT_TYPE, runtime)),
                tap_router(TapView(tap, lambda: {r.route.name for r in hot.cell.router.routes}, sinks)),
                *console_routers(app, loaded, stores, engine, options.limits.ack_timeout_s),
            ],
        )
        lane = IngestLane(api, ingest, options.limits, token=options.token)
        server = AsgiServer(lane, options.host, options.port, graceful_s=options.limits.ack_timeout_s + 1)
        try:
            host, port = server.bind()
        except OSError as exc:
            raise ServeError(
                f"cannot listen on {options.host}:{options.port}: {exc.strerror or exc}"
            ) from None
        stop, drained, watcher, follower = (
            anyio.Event(),
            anyio.Event(),
            anyio.CancelScope(),
            anyio.CancelScope(),
        )
        # The server, config and compiled pipelines live as long as serve: frozen, cycles on a timer.
        async with collection_on_a_timer(), anyio.create_task_group() as tg:
            tg.start_soon(server.serve)
            if stores.postgres is not None:
                tg.start_soon(_follow, stores.postgres, hot, follower)
            if handle_signals:
                tg.start_soon(_watch_signals, stop, tg.cancel_scope, watcher)
            if engine is not None:
                tg.start_soon(_run_engine, engine, hot, drained)
            else:
                drained.set()
            _log.info("pipeflow serve listening on %s:%d", host, port)
            task_status.started(Running(host, port, stop.set))
            await stop.wait()
            if engine is not None:
                engine.topology.stop()
            await drained.wait()
            tap.close()  # a tap streams until its client leaves: end them, or the stop would wait
            server.stop()  # answers what is in flight, then ``serve`` returns
            watcher.cancel()
            follower.cancel()
    finally:
        with anyio.CancelScope(shield=True):
            if engine is not None:
                await engine.aclose()  # when it never ran (the port could not be bound)
            await stores.close()


async def _follow(db: PostgresDb, hot: HotReload, own: anyio.CancelScope) -> None:
    from pipeflow.interfaces.bootstrap.database_postgres import follow_changes  # the postgres extra

    with own:
        await follow_changes(db, hot.reload)


async def _run_engine(engine: Engine, hot: HotReload, drained: anyio.Event) -> None:
    try:
        await engine.run(lambda: hot.compiled)
    finally:
        drained.set()


def serve_sync(app: App, loaded: LoadedConfig | None, options: ServeOptions) -> None:
    """Run from synchronous code (the CLI) until SIGINT/SIGTERM."""
    anyio.run(serve, app, loaded, options)


__all__ = ["Running", "ServeError", "ServeOptions", "seed", "serve", "serve_sync"]
