"""What every long-running mode has around its work: its process lock, /healthz and /metrics.

`running_as(role, settings, db)` wraps every mode: `digestbot run`, `run --webhook` and
`worker` (through bot.runtime.lifecycle) and the sandbox, which turns METRICS_LISTEN off;
`digestbot healthcheck` (bot/runtime/healthcheck.py) asks /healthz from outside.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from bot.runtime import metrics
from bot.runtime.config import CannotListen, Settings, parse_listen
from bot.runtime.logs import redact
from bot.runtime.tasks import stop_task
from storage.database import Database
from storage.locks import ProcessLock, Role, process_lock

log = logging.getLogger(__name__)

# How long /healthz waits for the database before calling it unreachable.
DB_TIMEOUT_SECONDS = 3.0


class OpsServer:
    """Serves GET /healthz (JSON, 200 or 503) and GET /metrics (Prometheus text format)."""

    def __init__(
        self,
        db: Database,
        host: str,
        port: int,
        *,
        db_timeout: float = DB_TIMEOUT_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._host = host
        self._port = port
        self._db_timeout = db_timeout
        self._monotonic = monotonic
        self._runner: web.AppRunner | None = None

    @property
    def port(self) -> int:
        """The port listened on (the real one when 0 was asked for)."""
        return self._port

    async def start(self) -> None:
        """Start listening."""
        app = web.Application()
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/metrics", self._metrics)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        try:
            await site.start()
        except OSError as error:
            await self._runner.cleanup()
            raise CannotListen("METRICS_LISTEN", self._host, self._port, error) from None
        self._port = int(self._runner.addresses[0][1])

    async def stop(self) -> None:
        """Stop listening."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def health(self) -> tuple[bool, dict[str, Any]]:
        """Check the database and the scheduler's tick; return (healthy, the report)."""
        problems: list[str] = []
        database: dict[str, Any] = {"reachable": True}
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self._db_timeout):
                await self._db.ping()
            database["latency_ms"] = round((time.perf_counter() - started) * 1000, 1)
        except Exception as error:  # whatever the driver raises, the answer is "unreachable"
            reason = redact(f"{type(error).__name__}: {error}".rstrip(": "))[:200]
            if isinstance(error, TimeoutError):
                reason = f"no answer within {self._db_timeout:g} s"
            database = {"reachable": False, "error": reason}
            problems.append(f"database unreachable ({reason})")
        ticks = metrics.tick_health(self._monotonic())
        if not ticks.healthy:
            age = (
                "no tick yet"
                if ticks.last_tick_age is None
                else (f"last tick {ticks.last_tick_age:.0f} s ago")
            )
            problems.append(f"scheduler late: {age} (limit {ticks.max_age:.0f} s)")
        report = {
            "status": "ok" if not problems else "unhealthy",
            "problems": problems,
            "database": database,
            "scheduler": {
                "runs_here": ticks.runs_scheduler,
                "last_tick_age_seconds": (
                    None if ticks.last_tick_age is None else round(ticks.last_tick_age, 3)
                ),
                "max_age_seconds": ticks.max_age,
                "on_time": ticks.healthy,
            },
        }
        return not problems, report

    async def _healthz(self, _request: web.Request) -> web.Response:
        healthy, report = await self.health()
        return web.json_response(report, status=200 if healthy else 503)

    async def _metrics(self, _request: web.Request) -> web.Response:
        return web.Response(
            body=generate_latest(metrics.REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )


@contextlib.asynccontextmanager
async def serve_ops(settings: Settings, db: Database) -> AsyncIterator[OpsServer | None]:
    """Serve /healthz and /metrics on METRICS_LISTEN for the block (nothing if it is off)."""
    if settings.metrics_listen is None:
        yield None
        return
    host, port = parse_listen(settings.metrics_listen)
    server = OpsServer(db, host, port)
    await server.start()
    log.info("Serving /healthz and /metrics on %s:%d", host, server.port)
    try:
        yield server
    finally:
        await server.stop()


@contextlib.asynccontextmanager
async def running_as(role: Role, settings: Settings, db: Database) -> AsyncIterator[ProcessLock]:
    """Hold this process's lock on the database (see storage.locks) and serve /healthz and
    /metrics for the block. Raises storage.locks.AlreadyRunning if another process is in the
    way. If the lock is lost for good, the process sends itself SIGTERM to shut down."""
    async with process_lock(settings.database_url, role) as lock, serve_ops(settings, db):
        watcher = asyncio.create_task(_stop_when_lost(lock))
        try:
            yield lock
        finally:
            await stop_task(watcher)


async def _stop_when_lost(lock: ProcessLock) -> None:
    await lock.lost.wait()
    log.error("Lost the %s lock to another process; shutting down", lock.role)
    signal.raise_signal(signal.SIGTERM)
