"""`digestbot ingest --strict` and `digestbot search --json` with rich article files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.test_cli import run_cli

DATA = Path(__file__).parents[1] / "data" / "articles"


def test_search_json_gives_every_section_as_data(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    db_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("zelensky-energy-ministers.txt", "energy-strikes-kyiv.txt"):
        (folder / name).write_bytes((DATA / name).read_bytes())
    assert run_cli(["ingest", str(folder)], monkeypatch, db_url) == 0
    assert capsys.readouterr().out.strip() == "2 new, 0 updated, 0 already known, 0 refused"
    assert run_cli(["search", "Kyiv", "--json"], monkeypatch, db_url) == 0
    found = {item["title"]: item for item in json.loads(capsys.readouterr().out)}
    rich = found["Zelensky Meets Energy Ministers as Grid Repairs Race Winter"]
    assert rich["source"] == "https://www.example-news.com/world/zelensky-energy-ministers-grid"
    assert rich["entities"][0] == {
        "name": "Volodymyr Zelensky",
        "description": "President of Ukraine since 2019.",
        "role": "related",
    }
    assert {e["role"] for e in rich["entities"]} == {"related", "mentioned"}
    assert rich["connections"][0] == {
        "main": "Volodymyr Zelensky",
        "name": "Donald Trump",
        "kind": "person",
        "shared": 14,
    }
    assert rich["analysis"]["faq"] == [
        {
            "question": "How much of the grid is restored?",
            "answer": "About 40% of damaged substations, according to Ukrenergo.",
        }
    ]
    simple = found["Russia Resumes Attacks on Ukraine’s Energy System Ahead of Peace Talks"]
    assert (simple["source"], simple["entities"], simple["connections"], simple["analysis"]) == (
        None,
        [],
        [],
        None,
    )


def test_strict_ingest_refuses_unknown_sections_that_are_kept_otherwise(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    db_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = (DATA / "energy-strikes-kyiv.txt").read_text(encoding="utf-8")
    odd = tmp_path / "odd.txt"
    odd.write_text(text + "\n📊 Market Impact\nPrices rose.\n", encoding="utf-8")
    assert run_cli(["ingest", "--strict", str(odd)], monkeypatch, db_url) == 1
    out, err = capsys.readouterr()
    assert out.strip() == "0 new, 0 updated, 0 already known, 1 refused"
    assert "unknown section" in err
    assert run_cli(["ingest", str(odd)], monkeypatch, db_url) == 0
    assert capsys.readouterr().out.strip() == "1 new, 0 updated, 0 already known, 0 refused"
