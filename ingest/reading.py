"""Reading article inputs: files, directories and standard input, into articles or refusals."""

from __future__ import annotations

import contextlib
import gc
import json
import os
import signal
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from bot.domain.articles import Article, ArticleError, parse_article_bytes, parse_article_json
from storage.rows import ArticleRows, article_rows
from storage.staging import Staged, write_stage

SUFFIXES = (".txt", ".jsonl")

# A parsed input as it crosses from a parser process: an article's rows, or a refusal's parts.
Parsed = ArticleRows | tuple[str, int | None, str]


@dataclass(frozen=True, slots=True)
class Source:
    """One input: a file path, or standard input."""

    name: str
    path: str | None

    def read(self, stdin: IO[bytes] | None) -> bytes:
        """Return the whole content."""
        if self.path is not None:
            with open(self.path, "rb") as file:
                return file.read()
        if stdin is None:
            raise OSError("standard input is not available here")
        return stdin.read()

    @property
    def is_jsonl(self) -> bool:
        """True for JSON Lines files."""
        return self.path is not None and self.path.lower().endswith(".jsonl")


def expand_paths(paths: Iterable[str]) -> Iterator[Source | ArticleError]:
    """Yield every input named: files as given, directories recursively (*.txt, *.jsonl)."""
    for raw in paths:
        if raw == "-":
            yield Source("<stdin>", None)
            continue
        path = Path(raw)
        if path.is_dir():
            yield from _walk(path)
        elif path.is_file():
            yield Source(str(path), str(path))
        elif path.exists():
            yield ArticleError(raw, None, "not a regular file or directory")
        else:
            yield ArticleError(raw, None, "no such file or directory")


def read_articles(
    source: Source, stdin: IO[bytes] | None, *, strict: bool = False
) -> Iterator[Article | ArticleError]:
    """Yield the articles of one input, or the reasons its parts were refused; `strict`
    refuses sections the parser does not know too."""
    try:
        data = source.read(stdin)
    except OSError as error:
        yield ArticleError(source.name, None, f"cannot read: {error.strerror or error}")
        return
    if source.is_jsonl or (source.path is None and data.lstrip()[:1] == b"{"):
        yield from _read_jsonl(source.name, data, strict)
        return
    try:
        yield parse_article_bytes(data, source=source.name, strict=strict)
    except ArticleError as error:
        yield error


def parse_files(paths: list[str], dialect: str, strict: bool = False) -> list[Parsed]:
    """Read and parse files into the rows `dialect` stores (in a parser process: see
    ingest.pipeline); refusals become tuples."""
    parsed: list[Parsed] = []
    with _collector_paused():
        for path in paths:
            for item in read_articles(Source(path, path), None, strict=strict):
                parsed.append(
                    article_rows(dialect, item) if isinstance(item, Article) else error_parts(item)
                )
    return parsed


def stage_files(paths: list[str], stage: str, strict: bool = False) -> tuple[Staged, list[Parsed]]:
    """Read and parse files into a staging file for SQLite (in a parser process: see
    storage.staging); return it, and the refusals as tuples, in file order."""
    rows: list[ArticleRows] = []
    refused: list[Parsed] = []
    with _collector_paused():
        for item in parse_files(paths, "sqlite", strict):
            if isinstance(item, ArticleRows):
                rows.append(item)
            else:
                refused.append(item)
        staged = write_stage(stage, rows)
        rows.clear()  # freed before the collector is back, which would go over them all
    return staged, refused


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector for one parse job. A job builds many small objects and
    keeps them to its end (an article's entities, graph rows and values), so the collector
    would run again and again over all of them, and find nothing: parsing makes no cycles.
    Freed by reference counting as before; the collector runs when the job is over."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def quiet_parser() -> None:
    """Start a parser process: Ctrl-C is for the ingest process, which stops the parsers, and
    a parser whose ingest process was killed outright stops within a second."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


def error_parts(error: ArticleError) -> tuple[str, int | None, str]:
    """Return what rebuilds a refusal: ArticleError(*parts)."""
    return (error.source, error.line, error.message)


def _read_jsonl(name: str, data: bytes, strict: bool) -> Iterator[Article | ArticleError]:
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except (ValueError, UnicodeDecodeError) as error:
            yield ArticleError(name, number, f"not valid JSON ({error})")
            continue
        try:
            yield parse_article_json(obj, source=name, line=number, strict=strict)
        except ArticleError as error:
            yield error


def _walk(directory: str | Path) -> Iterator[Source | ArticleError]:
    # One directory at a time, in a stable order (a directory's files, then its
    # subdirectories): memory stays flat for huge trees. A directory entry says whether it is a
    # file, so a file costs no stat call of its own. Symbolic links to directories are not
    # followed, as os.walk does not follow them.
    try:
        with os.scandir(directory) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
    except OSError as error:
        yield ArticleError(str(directory), None, f"cannot read: {error.strerror or error}")
        return
    for entry in entries:
        if entry.name.lower().endswith(SUFFIXES) and entry.is_file():
            yield Source(entry.path, entry.path)
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(entry.path)
