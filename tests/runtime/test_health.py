"""/healthz, /metrics and `digestbot healthcheck`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from bot.cli import main
from bot.runtime import metrics
from bot.runtime.ops import OpsServer
from storage.database import Database
from tests.runtime.conftest import free_port

NOW = 10_000.0  # the servers' time.monotonic() in these tests


@pytest.fixture
async def ops(db: Database) -> AsyncIterator[OpsServer]:
    server = OpsServer(db, "127.0.0.1", 0, monotonic=lambda: NOW)
    await server.start()
    yield server
    await server.stop()


async def get(server: OpsServer, path: str) -> tuple[int, str, Any]:
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"http://127.0.0.1:{server.port}{path}") as response,
    ):
        body = await response.text()
        report = await response.json() if path == "/healthz" else None
        return response.status, body, report


async def test_healthz_is_200_with_the_database_reachable_and_no_scheduler(
    ops: OpsServer,
) -> None:
    status, _, report = await get(ops, "/healthz")
    assert status == 200
    assert report["status"] == "ok"
    assert report["problems"] == []
    assert report["database"]["reachable"] is True
    assert report["scheduler"] == {
        "runs_here": False,
        "last_tick_age_seconds": None,
        "max_age_seconds": None,
        "on_time": True,
    }


async def test_healthz_reports_the_age_of_the_last_tick(ops: OpsServer) -> None:
    metrics.tick_scheduled(30)
    metrics.tick_finished(0.2, at=NOW - 12.5)
    status, _, report = await get(ops, "/healthz")
    assert status == 200
    assert report["scheduler"] == {
        "runs_here": True,
        "last_tick_age_seconds": 12.5,
        "max_age_seconds": 90.0,
        "on_time": True,
    }


async def test_healthz_is_503_when_ticks_stop(ops: OpsServer) -> None:
    metrics.tick_scheduled(30)
    metrics.tick_finished(0.2, at=NOW - 300)
    status, _, report = await get(ops, "/healthz")
    assert status == 503
    assert report["status"] == "unhealthy"
    assert report["problems"] == ["scheduler late: last tick 300 s ago (limit 90 s)"]
    assert report["database"]["reachable"] is True


async def test_healthz_is_503_when_the_database_is_unreachable() -> None:
    nowhere = Database(f"postgresql+asyncpg://digestbot:pw@127.0.0.1:{free_port()}/nothing")
    server = OpsServer(nowhere, "127.0.0.1", 0)
    await server.start()
    try:
        status, _, report = await get(server, "/healthz")
    finally:
        await server.stop()
        await nowhere.dispose()
    assert status == 503
    assert report["database"]["reachable"] is False
    assert report["problems"][0].startswith("database unreachable (")
    assert "pw" not in report["problems"][0]


async def test_metrics_lists_every_figure_in_prometheus_format(ops: OpsServer) -> None:
    before = metrics.REGISTRY.get_sample_value(
        "digestbot_messages_failed_total", {"reason": "blocked"}
    )
    metrics.message_sent("digest")
    metrics.message_failed("Blocked")
    metrics.flood_paused(3)
    metrics.deliveries_due(42)
    metrics.deliveries_claimed(7)
    metrics.digest_lag(75)
    metrics.tick_finished(0.5)
    status, body, _ = await get(ops, "/metrics")
    assert status == 200
    for line in (
        "# TYPE digestbot_messages_sent_total counter",
        'digestbot_messages_sent_total{kind="alert"}',
        "# TYPE digestbot_messages_failed_total counter",
        "# TYPE digestbot_flood_pauses_total counter",
        "# TYPE digestbot_flood_pause_seconds_total counter",
        "digestbot_deliveries_due 42.0",
        "# TYPE digestbot_deliveries_claimed_total counter",
        "# TYPE digestbot_digest_lag_seconds histogram",
        'digestbot_digest_lag_seconds_bucket{le="120.0"}',
        "# TYPE digestbot_update_handling_seconds histogram",
        "# TYPE digestbot_webhook_requests_total counter",
        "# TYPE digestbot_last_tick_timestamp_seconds gauge",
        "# TYPE digestbot_tick_duration_seconds histogram",
        "process_resident_memory_bytes",
    ):
        assert line in body, line
    after = metrics.REGISTRY.get_sample_value(
        "digestbot_messages_failed_total", {"reason": "blocked"}
    )
    assert after == (before or 0) + 1


def healthcheck(monkeypatch: pytest.MonkeyPatch, listen: str | None) -> int:
    if listen is None:
        monkeypatch.delenv("METRICS_LISTEN", raising=False)
    else:
        monkeypatch.setenv("METRICS_LISTEN", listen)
    with pytest.raises(SystemExit) as exit_info:
        main(["healthcheck"])
    code = exit_info.value.code
    assert isinstance(code, int)
    return code


async def test_healthcheck_exit_status_follows_healthz(
    ops: OpsServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)  # no .env from the working directory
    listen = f"127.0.0.1:{ops.port}"
    # urllib blocks: ask from a thread while this loop serves the answer.
    assert await asyncio.to_thread(healthcheck, monkeypatch, listen) == 0
    assert capsys.readouterr().out == "healthy: database reachable\n"

    metrics.tick_scheduled(60)
    metrics.tick_finished(1.0, at=NOW - 7200)
    assert await asyncio.to_thread(healthcheck, monkeypatch, listen) == 1
    assert capsys.readouterr().out == (
        "unhealthy: scheduler late: last tick 7200 s ago (limit 180 s)\n"
    )

    assert await asyncio.to_thread(healthcheck, monkeypatch, f"127.0.0.1:{free_port()}") == 1
    out = capsys.readouterr().out
    assert out.startswith("no answer from http://127.0.0.1:")
    assert out.count("\n") == 1

    assert await asyncio.to_thread(healthcheck, monkeypatch, None) == 1
    assert capsys.readouterr().out == "METRICS_LISTEN is not set, so there is no /healthz to ask\n"

    assert await asyncio.to_thread(healthcheck, monkeypatch, "nonsense") == 1
    assert capsys.readouterr().out.startswith("setting METRICS_LISTEN: must be host:port")


async def test_a_taken_metrics_port_is_one_clear_line_and_status_2(
    ops: OpsServer,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOT_TOKEN", "123456:TEST-token")
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("TELEGRAM_API_URL", "http://127.0.0.1:9")  # never reached
    monkeypatch.setenv("METRICS_LISTEN", f"127.0.0.1:{ops.port}")  # the ops fixture holds it

    def run() -> int:
        with pytest.raises(SystemExit) as exit_info:
            main(["run"])
        code = exit_info.value.code
        assert isinstance(code, int)
        return code

    assert await asyncio.to_thread(run) == 2
    err = capsys.readouterr().err
    assert err == (
        f"digestbot: cannot listen on 127.0.0.1:{ops.port} (METRICS_LISTEN): Address already "
        "in use. Free that port or set METRICS_LISTEN to another host:port.\n"
    )
