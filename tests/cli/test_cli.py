"""The `digestbot` command as an operator uses it: ingest, search, settings errors."""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import sys
from pathlib import Path

import pytest

from bot.cli import build_parser, main
from bot.domain.articles import (
    QA,
    Analysis,
    Article,
    Connection,
    Entity,
    EntityKind,
    Graph,
    format_article,
)
from tests.processes import exit_status

GOOD = Article(
    title="Talks resume in Geneva after <b>strikes</b> & blackouts",
    tags=("Kyiv", "Peace talks", "Power grid", "Київ"),
    takeaways=("Delegations met for the first time in months.", "A truce is not agreed."),
    retelling=("The talks began on Monday.", 'Both sides said "progress" was slow.'),
    themes=("Diplomacy", "Energy Security"),
)
OTHER = Article(
    title="Grid repairs continue",
    tags=("Power grid",),
    takeaways=("Crews restored heat to most districts.",),
    retelling=("Repairs went on through the night.",),
)


def run_cli(
    args: list[str], monkeypatch: pytest.MonkeyPatch, db_url: str, stdin: bytes = b""
) -> int:
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    return exit_status(args)


@pytest.fixture
def articles(tmp_path: Path) -> Path:
    folder = tmp_path / "incoming"
    (folder / "nested").mkdir(parents=True)
    (folder / "good.txt").write_text(format_article(GOOD), encoding="utf-8")
    # The same article with a BOM and CRLF line ends is the same article.
    crlf = "\ufeff" + format_article(GOOD).replace("\n", "\r\n")
    (folder / "nested" / "same-again.txt").write_bytes(crlf.encode("utf-8"))
    (folder / "nested" / "other.txt").write_text(format_article(OTHER), encoding="utf-8")
    (folder / "notes.md").write_text("not an article, not picked up", encoding="utf-8")
    return folder


def test_ingest_stores_good_files_and_names_each_refused_one(
    tmp_path: Path,
    articles: Path,
    monkeypatch: pytest.MonkeyPatch,
    db_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    broken = tmp_path / "broken.txt"
    broken.write_text("A title only\n#Tag\n", encoding="utf-8")
    binary = tmp_path / "image.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("Caf\xe9 news\n".encode("latin-1"))

    code = run_cli(
        ["ingest", str(articles), str(broken), str(binary), str(latin), "missing.txt"],
        monkeypatch,
        db_url,
    )
    out, err = capsys.readouterr()
    assert code == 1
    assert out.strip().endswith("2 new, 0 updated, 1 already known, 4 refused")
    refused = [line for line in err.splitlines() if line.startswith("refused ")]
    assert len(refused) == 4
    assert any(str(broken) in line and "Key Takeaways" in line for line in refused)
    assert any(str(binary) in line and "binary" in line for line in refused)
    assert any(str(latin) in line and "UTF-8" in line for line in refused)
    assert any("missing.txt" in line and "no such file" in line for line in refused)
    assert "Traceback" not in err
    assert broken.exists()  # refused files are left where they are

    assert run_cli(["ingest", str(articles)], monkeypatch, db_url) == 0
    assert capsys.readouterr().out.strip() == "0 new, 0 updated, 3 already known, 0 refused"


def test_a_large_batch_is_stored_whole_and_refusals_come_in_file_order(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    db_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Enough files that other processes parse them (ingest.pipeline.PARALLEL_FROM).
    folder = tmp_path / "bulk"
    (folder / "z-nested").mkdir(parents=True)
    for number in range(90):
        story = Article(
            title=f"Story {number}",
            tags=("Bulk", f"Tag {number % 7}"),
            takeaways=(f"Takeaway of story {number}.",),
            retelling=(f"Retelling of story {number}.",),
        )
        (folder / f"story-{number:03d}.txt").write_text(format_article(story), encoding="utf-8")
    (folder / "story-010.txt").write_text("A title only\n", encoding="utf-8")
    (folder / "story-070.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00")
    (folder / "z-nested" / "late.txt").write_text("", encoding="utf-8")
    (folder / "z-nested" / "again.txt").write_text(format_article(GOOD), encoding="utf-8")
    (folder / "z-nested" / "same.txt").write_text(format_article(GOOD), encoding="utf-8")

    assert run_cli(["ingest", str(folder)], monkeypatch, db_url) == 1
    out, err = capsys.readouterr()
    assert out.strip() == "89 new, 0 updated, 1 already known, 3 refused"
    refused = [line for line in err.splitlines() if line.startswith("refused ")]
    assert [line.split(":")[0] for line in refused] == [
        f"refused {folder / 'story-010.txt'}",
        f"refused {folder / 'story-070.txt'}",
        f"refused {folder / 'z-nested' / 'late.txt'}",
    ]
    assert run_cli(["search", "bulk", "--limit", "100", "--json"], monkeypatch, db_url) == 0
    titles = {found["title"] for found in json.loads(capsys.readouterr().out)}
    assert titles == {f"Story {n}" for n in range(90)} - {"Story 10", "Story 70"}


def test_ingest_reads_standard_input(
    monkeypatch: pytest.MonkeyPatch, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_cli(["ingest", "-"], monkeypatch, db_url, stdin=format_article(OTHER).encode())
    assert code == 0
    assert capsys.readouterr().out.strip() == "1 new, 0 updated, 0 already known, 0 refused"


def test_ingest_json_lines_keeps_url_and_date_and_refuses_bad_lines(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    db_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    feed = tmp_path / "feed.jsonl"
    lines = [
        {
            "title": "Older story",
            "tags": ["Peace talks"],
            "takeaways": ["First."],
            "retelling": "Paragraph one.\nParagraph two.",
            "url": "https://example.com/older",
            "published_at": "2026-11-20T08:00:00+02:00",
        },
        {"title": "No takeaways", "tags": ["Peace talks"], "retelling": "Text."},
        {
            "title": "Newer story",
            "tags": "#Peace talks #Kyiv",
            "takeaways": ["Second."],
            "retelling": ["Only paragraph."],
            "published_at": "2026-11-23T08:00:00Z",
        },
    ]
    feed.write_text(
        "\n".join(json.dumps(line) for line in lines) + "\n{not json\n", encoding="utf-8"
    )
    assert run_cli(["ingest", str(feed)], monkeypatch, db_url) == 1
    out, err = capsys.readouterr()
    assert out.strip() == "2 new, 0 updated, 0 already known, 2 refused"
    assert f"{feed}:2" in err
    assert f"{feed}:4" in err

    assert run_cli(["search", "peace talks", "--json"], monkeypatch, db_url) == 0
    found = json.loads(capsys.readouterr().out)
    assert [item["title"] for item in found] == ["Newer story", "Older story"]
    assert found[1]["url"] == "https://example.com/older"
    assert found[1]["published_at"] == "2026-11-20T06:00:00+00:00"


@pytest.mark.parametrize("query", ["peace-talks", "#Peace_talks", "PEACE TALKS", "КИЇВ"])
def test_search_finds_the_same_articles_however_the_label_is_typed(
    query: str,
    articles: Path,
    monkeypatch: pytest.MonkeyPatch,
    db_url: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    run_cli(["ingest", str(articles)], monkeypatch, db_url)
    capsys.readouterr()
    assert run_cli(["search", query, "--json"], monkeypatch, db_url) == 0
    found = json.loads(capsys.readouterr().out)
    assert [item["title"] for item in found] == [GOOD.title]
    item = found[0]
    assert item["tags"] == list(GOOD.tags)
    assert item["themes"] == list(GOOD.themes)
    assert item["takeaways"] == list(GOOD.takeaways)
    assert isinstance(item["id"], int)


def test_search_without_match_says_so(
    monkeypatch: pytest.MonkeyPatch, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(["search", "nothing here"], monkeypatch, db_url) == 0
    assert "No articles" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("DATABASE_URL", "mysql://localhost/db", "setting DATABASE_URL: must start with"),
        ("LOG_LEVEL", "loud", "setting LOG_LEVEL: must be one of"),
        ("ADMIN_IDS", "12,abc", "setting ADMIN_IDS: must be Telegram user ids"),
        ("DEFAULT_TIMEZONE", "Mars/Olympus", "setting DEFAULT_TIMEZONE: must be an IANA"),
        ("TELEGRAM_API_URL", "ftp://x", "setting TELEGRAM_API_URL: must be an http"),
    ],
)
def test_a_bad_setting_is_one_clear_line_and_status_2(
    name: str,
    value: str,
    expected: str,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exit_info:
        main(["search", "kyiv"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(expected)
    assert len(err.strip().splitlines()) == 1


def test_settings_come_from_a_dot_env_file_and_the_token_is_never_printed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("BOT_TOKEN", raising=False)
    monkeypatch.delenv("TELEGRAM_API_URL", raising=False)
    token = "123456789:AAH-secret-token-value-abcdefghijklmno"
    # Nothing listens on the discard port: the bot gets as far as calling the Bot API.
    (tmp_path / ".env").write_text(
        f"BOT_TOKEN={token}\nDATABASE_URL=sqlite:///{tmp_path}/x.db\nLOG_LEVEL=debug\n"
        "TELEGRAM_API_URL=http://127.0.0.1:9\n",
        encoding="utf-8",
    )
    with pytest.raises(SystemExit) as exit_info:
        main(["run"])
    out, err = capsys.readouterr()
    assert exit_info.value.code == 1
    assert "Cannot reach http://127.0.0.1:9" in err
    assert token not in out + err
    assert token.split(":")[1] not in out + err


@pytest.mark.parametrize(
    "command",
    [
        [],
        ["run"],
        ["start"],
        ["ingest"],
        ["search"],
        ["db"],
        ["db", "upgrade"],
        ["bench", "ingest"],
    ],
)
def test_every_command_has_help(command: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        build_parser().parse_args([*command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: digestbot" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args", [["ingest"], ["search"], ["search", "x", "--limit", "0"], ["frobnicate"]]
)
def test_usage_errors_exit_with_status_2(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    assert "usage:" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["bench", "delivery", "--postgres", "mysql://db"], "expected a PostgreSQL URL"),
        (["bench", "plan", "--postgres", "sqlite:///x.db"], "expected a PostgreSQL URL"),
        (["bench", "search", "--database", "db.sqlite"], "must start with sqlite+aiosqlite"),
    ],
)
def test_a_bench_database_url_that_is_not_one_is_a_usage_error(
    args: list[str], expected: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(args)
    assert exit_info.value.code == 2
    assert expected in capsys.readouterr().err


def test_a_bench_takes_the_postgresql_url_an_operator_has_at_hand() -> None:
    args = build_parser().parse_args(
        ["bench", "memory", "--postgres", "postgresql://postgres@127.0.0.1/test"]
    )
    assert args.postgres == "postgresql+asyncpg://postgres@127.0.0.1/test"


def _store_dump(path: Path) -> dict[str, list[tuple[object, ...]]]:
    """What an ingest left in a SQLite store, ids replaced by what they stand for (the
    ingest time, and the sort key of an article without a date, are left out)."""
    connection = sqlite3.connect(path)
    connection.execute(
        "CREATE VIRTUAL TABLE temp.words USING fts5vocab(main, article_search, 'instance')"
    )
    queries = {
        "articles": "SELECT content_hash, title, takeaways, retelling, entity_graph, url,"
        " published_at, CASE WHEN published_at IS NULL THEN NULL ELSE sort_at END"
        " FROM articles ORDER BY id",
        "labels": "SELECT kind, key, name FROM labels ORDER BY id",
        "links": "SELECT a.content_hash, l.kind, l.key, k.position,"
        " CASE WHEN a.published_at IS NULL THEN NULL ELSE k.sort_key END"
        " FROM article_labels k JOIN articles a ON a.id = k.article_id"
        " JOIN labels l ON l.id = k.label_id ORDER BY a.id, k.position",
        "alerts": "SELECT a.content_hash FROM alert_queue q JOIN articles a"
        " ON a.id = q.article_id ORDER BY a.id",
        "search index": "SELECT a.content_hash, w.term, w.col, w.offset FROM temp.words w"
        " JOIN articles a ON a.id = w.doc ORDER BY a.id, w.col, w.offset",
        "sections": "SELECT content_hash, identity_key, source, analysis, sections"
        " FROM articles ORDER BY id",
        "entities": "SELECT a.content_hash, e.role, e.position, e.name, e.description"
        " FROM article_entities e JOIN articles a ON a.id = e.article_id"
        " ORDER BY a.id, e.role, e.position",
        "connections": "SELECT a.content_hash, c.position, c.main, c.name, c.kind, c.shared"
        " FROM article_connections c JOIN articles a ON a.id = c.article_id"
        " ORDER BY a.id, c.position",
    }
    try:
        return {name: connection.execute(sql).fetchall() for name, sql in queries.items()}
    finally:
        connection.close()


def test_parser_processes_store_exactly_what_one_process_stores(
    tmp_path: Path,
    sqlite_template: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # On SQLite, parser processes hand over staging files copied in with SQL; in one
    # process the rows are inserted from Python. Both must leave the same store.
    folder = tmp_path / "bulk"
    folder.mkdir()
    for number in range(80):
        story = Article(
            title=f"Story {number}: «Київ» and café",
            tags=("KYIV" if number == 3 else "Kyiv", f"Тема {number % 5}", f"Tag-{number % 9}"),
            takeaways=(f"Takeaway {number}.", "Ünïcode ß and ё."),
            retelling=(f"Retelling of story {number}.", "Second paragraph."),
            themes=("Energy Security",) if number % 2 else (),
        )
        (folder / f"story-{number:03d}.txt").write_text(format_article(story), encoding="utf-8")
    for number in range(80, 90):
        # Every section, with names and texts JSON has to escape.
        story = Article(
            title=f"Rich story {number}",
            tags=("Kyiv",),
            takeaways=("One.",),
            retelling=(f"Retelling of rich story {number}.",),
            related=(Entity('Sean "Puffy" O\\Brien', "A name with quotes."), Entity("Київ")),
            graph=Graph(
                "Volodymyr Zelensky",
                (
                    Connection("Naftogaz \\ Ukrenergo", EntityKind.ORGANISATION, number),
                    Connection("Ursula von der Leyen", EntityKind.PERSON, 3),
                    Connection("Європейський союз 🇪🇺", EntityKind.OTHER, 1),
                ),
            ),
            entities=(Entity("Tab\tname", "Описание «в кавычках»."),),
            analysis=Analysis(why_it_matters="Because.", faq=(QA("Why?", "So."),)),
            source=f"https://example.com/rich/{number}",
        )
        (folder / f"story-{number:03d}.txt").write_text(format_article(story), encoding="utf-8")
    (folder / "story-011.txt").write_text(format_article(GOOD), encoding="utf-8")
    (folder / "story-012.txt").write_text(format_article(GOOD), encoding="utf-8")  # repeat
    (folder / "story-013.txt").write_text("A title only\n", encoding="utf-8")
    (folder / "story-014.txt").write_text(format_article(OTHER), encoding="utf-8")  # known
    feed = {
        "title": "Dated story",
        "tags": ["Peace talks", "Kyiv"],
        "takeaways": ["First."],
        "retelling": "Paragraph one.",
        "url": "https://example.com/dated",
        "published_at": "2026-11-20T08:00:00+02:00",
    }
    (folder / "story-050.jsonl").write_text(json.dumps(feed) + "\n{no\n", encoding="utf-8")

    results = []
    for name, extra in (("one.db", ["--parsers", "0"]), ("staged.db", [])):
        path = tmp_path / name
        shutil.copyfile(sqlite_template, path)
        url = f"sqlite+aiosqlite:///{path}"
        lone = tmp_path / "other.txt"
        lone.write_text(format_article(OTHER), encoding="utf-8")
        assert run_cli(["ingest", str(lone)], monkeypatch, url) == 0
        capsys.readouterr()
        assert run_cli(["ingest", *extra, str(folder)], monkeypatch, url) == 1
        out, err = capsys.readouterr()
        refused = [line for line in err.splitlines() if line.startswith("refused ")]
        results.append((out, refused, _store_dump(path)))
    (one_out, one_refused, one), (staged_out, staged_refused, staged) = results
    assert one_out.strip() == "88 new, 0 updated, 2 already known, 2 refused"
    assert staged_out == one_out
    assert staged_refused == one_refused
    for table in one:
        assert staged[table] == one[table], table
    assert len(one["articles"]) == 89
    assert len(one["entities"]) == 30
    assert len(one["connections"]) == 30
    assert ("tag", "kyiv", "Kyiv") in one["labels"]
