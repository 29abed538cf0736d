"""Checked values of one decoded JSON object; every refusal names the field it is about."""

from __future__ import annotations

from bot.domain.articles.lines import (
    describe,
    find_forbidden,
    forbidden_message,
    header_of,
    is_label,
    quote,
)
from bot.domain.articles.model import ArticleError

_TYPE_NAMES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "true/false",
    type(None): "null",
}


def type_name(value: object) -> str:
    """Name a decoded JSON value's type as a person writing JSON would."""
    return _TYPE_NAMES.get(type(value), type(value).__name__)


class JsonValues:
    """Check one JSON object's fields, raising ArticleError that names the field."""

    def __init__(self, obj: dict[str, object], source: str, line: int | None) -> None:
        self.obj = obj
        self.source = source
        self.line = line

    def fail(self, name: str, message: str) -> ArticleError:
        """Return the refusal of a field."""
        return ArticleError(self.source, self.line, f"{name}: {message}")

    def wrong_type(self, name: str, expected: str, value: object) -> ArticleError:
        """Return the refusal of a field whose value has the wrong JSON type."""
        return self.fail(name, f"expected {expected}, found {type_name(value)}")

    def text(self, name: str, value: object) -> str:
        """Return a string value, refusing other types and characters no article may hold."""
        if not isinstance(value, str):
            raise self.wrong_type(name, "a string", value)
        bad = find_forbidden(value)
        if bad is not None:
            raise self.fail(name, forbidden_message(bad.group()))
        return value

    def one_line(self, name: str, value: object) -> str:
        """Return a stripped, non-empty, single-line string value."""
        stripped = self.text(name, value).strip()
        if not stripped:
            raise self.fail(name, "must not be empty")
        if "\n" in stripped or "\r" in stripped:
            raise self.fail(name, "must be one line")
        return stripped

    def strings(self, name: str, value: object) -> list[tuple[str, str]]:
        """Return the items of a list of strings, each with the name it has in error messages."""
        if not isinstance(value, list):
            raise self.wrong_type(name, "an array of strings", value)
        return [(f"{name}[{k}]", self.text(f"{name}[{k}]", v)) for k, v in enumerate(value)]

    def objects(self, name: str, value: object) -> list[tuple[str, dict[str, object]]]:
        """Return the items of a list of objects, each with the name it has in error messages."""
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.wrong_type(name, "an array of objects", value)
        return [(f"{name}[{k}]", self.mapping(f"{name}[{k}]", v)) for k, v in enumerate(value)]

    def mapping(self, name: str, value: object) -> dict[str, object]:
        """Return an object value."""
        if not isinstance(value, dict):
            raise self.wrong_type(name, "an object", value)
        return value

    def content(
        self, name: str, line: str, *, in_graph: bool = False, labels: bool = False
    ) -> str:
        """Return a stripped line of a section, refusing one the text form would read as a
        header (or, where the page has link labels, as a label) rather than as this content."""
        if header_of(line, in_graph=in_graph) is not None:
            raise self.fail(name, f"a line reads as {describe(line, in_graph=in_graph)}")
        if labels and is_label(line):
            raise self.fail(name, f"a line reads as the link label {quote(line)}")
        return line

    def lines(
        self, name: str, value: object, *, labels: bool = False, expected: str = ""
    ) -> tuple[str, ...]:
        """Return the non-blank lines of a string or an array of strings, each checked as
        content of its section."""
        if value is None:
            return ()
        if isinstance(value, str):
            chunks = [(name, self.text(name, value))]
        elif isinstance(value, list):
            chunks = self.strings(name, value)
        else:
            raise self.wrong_type(name, expected or "a string or an array of strings", value)
        kept: list[str] = []
        for chunk_name, chunk in chunks:
            for line in chunk.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
                stripped = line.strip()
                if stripped:
                    kept.append(self.content(chunk_name, stripped, labels=labels))
        return tuple(kept)

    def optional_line(self, name: str, value: object, *, labels: bool = False) -> str:
        """Return a one-line string value, "" for null or blank, checked as content."""
        if value is None:
            return ""
        stripped = self.text(name, value).strip()
        if not stripped:
            return ""
        return self.content(name, self.one_line(name, stripped), labels=labels)
