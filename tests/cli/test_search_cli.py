"""`digestbot search` with labels and free text."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.domain.articles import Article, format_article
from tests.processes import exit_status

KYIV = Article(
    title="Київ відновив опалення",
    tags=("Energy",),
    takeaways=("Бригади працювали всю ніч.",),
    retelling=("Heating is back in most districts.",),
)
PORT = Article(
    title="Grain corridor reopens",
    tags=("Odesa",),
    takeaways=("Ships leave the port again.",),
    retelling=("The first convoy left on Monday.",),
)


def run_cli(args: list[str], monkeypatch: pytest.MonkeyPatch, db_url: str) -> int:
    monkeypatch.setenv("DATABASE_URL", db_url)
    return exit_status(args)


@pytest.fixture
def stored(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    db_url: str,
    capsys: pytest.CaptureFixture[str],
) -> str:
    for number, article in enumerate((KYIV, PORT)):
        (tmp_path / f"{number}.txt").write_text(format_article(article), encoding="utf-8")
    assert run_cli(["ingest", str(tmp_path)], monkeypatch, db_url) == 0
    capsys.readouterr()
    return db_url


CASES = [
    ("КИЇВ опалення", [KYIV.title]),
    ('"heating" + districts*', [KYIV.title]),
    ("#Odesa", [PORT.title]),  # a hashtag: its articles
    ("ships (port)", [PORT.title]),
    ("NEAR(", []),
]


def test_search_takes_labels_and_free_text(
    stored: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    found = {}
    for query, _ in CASES:
        assert run_cli(["search", query, "--json"], monkeypatch, stored) == 0
        found[query] = [item["title"] for item in json.loads(capsys.readouterr().out)]
    assert found == dict(CASES)
