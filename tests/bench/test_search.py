"""`digestbot bench search` on a small load: loads once, reports every kind of query."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from bench.search import search_benchmark
from bot.cli import build_parser
from tests.conftest import postgres_admin


def test_bench_search_has_help(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args(["bench", "search", "--help"])
    assert exit_info.value.code == 0
    assert "--database" in capsys.readouterr().out


def test_bench_search_loads_once_and_reports_every_kind(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for _ in range(2):
        assert search_benchmark(2000, repeat=3, scan_repeat=1, cache_dir=tmp_path) == 0
    out = capsys.readouterr().out
    assert out.count("loaded in") == 1
    assert "reused the cached load" in out
    assert "cores:" in out
    for row in ("popular label #Ukraine", "rare labels", "free text, 2 words"):
        assert row in out
    assert "(found nothing)" not in out


@pytest.mark.postgres
def test_bench_search_loads_postgresql_once_and_refuses_other_loads(
    postgres_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    url = make_url(postgres_url).set(database=f"digestbot_bench_{uuid.uuid4().hex[:12]}")
    database = url.render_as_string(hide_password=False)
    try:
        for _ in range(2):
            assert search_benchmark(2000, database, repeat=3, scan_repeat=1) == 0
        out = capsys.readouterr().out
        assert out.count("loaded in") == 1
        assert "reused the earlier load" in out
        assert "(found nothing)" not in out
        assert search_benchmark(3000, database, repeat=3, scan_repeat=1) == 2
        assert "refusing to load" in capsys.readouterr().out
    finally:
        asyncio.run(
            postgres_admin(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)', postgres_url)
        )
