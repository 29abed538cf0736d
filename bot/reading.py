"""Reading article inputs: files, directories and standard input, into articles or refusals."""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from bot.domain.articles import Article, ArticleError, parse_article_bytes, parse_article_json

SUFFIXES = (".txt", ".jsonl")


@dataclass(frozen=True, slots=True)
class Source:
    """One input: a file path, or standard input."""

    name: str
    path: Path | None

    def read(self, stdin: IO[bytes] | None) -> bytes:
        """Return the whole content."""
        if self.path is not None:
            return self.path.read_bytes()
        if stdin is None:
            raise OSError("standard input is not available here")
        return stdin.read()

    @property
    def is_jsonl(self) -> bool:
        """True for JSON Lines files."""
        return self.path is not None and self.path.suffix.lower() == ".jsonl"


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
            yield Source(str(path), path)
        elif path.exists():
            yield ArticleError(raw, None, "not a regular file or directory")
        else:
            yield ArticleError(raw, None, "no such file or directory")


def read_articles(source: Source, stdin: IO[bytes] | None) -> Iterator[Article | ArticleError]:
    """Yield the articles of one input, or the reasons its parts were refused."""
    try:
        data = source.read(stdin)
    except OSError as error:
        yield ArticleError(source.name, None, f"cannot read: {error.strerror or error}")
        return
    if source.is_jsonl or (source.path is None and data.lstrip()[:1] == b"{"):
        yield from _read_jsonl(source.name, data)
        return
    try:
        yield parse_article_bytes(data, source=source.name)
    except ArticleError as error:
        yield error


def _read_jsonl(name: str, data: bytes) -> Iterator[Article | ArticleError]:
    for number, line in enumerate(data.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except (ValueError, UnicodeDecodeError) as error:
            yield ArticleError(name, number, f"not valid JSON ({error})")
            continue
        try:
            yield parse_article_json(obj, source=name, line=number)
        except ArticleError as error:
            yield error


def _walk(directory: Path) -> Iterator[Source]:
    # One directory at a time, in a stable order: memory stays flat for huge trees.
    for root, dirs, files in os.walk(directory):
        dirs.sort()
        for name in sorted(files):
            if name.lower().endswith(SUFFIXES):
                file = Path(root, name)
                if file.is_file():
                    yield Source(str(file), file)
