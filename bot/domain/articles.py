"""Article files: parsing, validation and the content identity of an article."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from urllib.parse import urlsplit

from bot.domain.labels import clean_label, fold_label


class ArticleError(ValueError):
    """An article file that cannot be read as an article; says where and what was expected."""

    def __init__(self, source: str, line: int | None, message: str) -> None:
        self.source = source
        self.line = line
        self.message = message
        where = f"{source}:{line}" if line is not None else source
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True, slots=True)
class Article:
    """One article as the file says it; `content_hash` is its identity."""

    title: str
    tags: tuple[str, ...]
    takeaways: tuple[str, ...]
    retelling: tuple[str, ...]  # paragraphs
    themes: tuple[str, ...] = ()
    entity_graph: str | None = None
    url: str | None = None
    published_at: datetime | None = None
    content_hash: str = field(default="", compare=False)

    def __post_init__(self) -> None:
        if not self.content_hash:
            object.__setattr__(self, "content_hash", content_hash(self))


def content_hash(article: Article) -> str:
    """Return the hex SHA-256 of an article's normalised content (title, labels, text)."""
    parts = [
        article.title,
        "\x1f".join(article.tags),
        "\x1f".join(article.takeaways),
        "\x1f".join(article.retelling),
        "\x1f".join(article.themes),
        article.entity_graph or "",
    ]
    return hashlib.sha256("\x1e".join(parts).encode("utf-8")).hexdigest()


# --- The file format -------------------------------------------------------------------------
#
#   Title line
#   #Tag one #Tag-two #Третій тег            (optional)
#   📌 Key Takeaways
#   - bullet                                 (one or more; "•" and "*" also work)
#   📖 Full Retelling
#   paragraph                                (one or more, one per line)
#   🏷️ Themes                                (optional)
#   Theme, Another theme
#   Entity Intersection Graph                (optional)
#   free text up to the end of the file
#
# Blank lines are allowed anywhere and mean nothing, except inside the graph's free text.

TAKEAWAYS_HEADER = "📌 Key Takeaways"
RETELLING_HEADER = "📖 Full Retelling"
THEMES_HEADER = "🏷️ Themes"
GRAPH_HEADER = "Entity Intersection Graph"

_TAKEAWAYS, _RETELLING, _THEMES, _GRAPH = range(4)
_HEADERS = (TAKEAWAYS_HEADER, RETELLING_HEADER, THEMES_HEADER, GRAPH_HEADER)
_HEADER_KEYS = {
    "key takeaways": _TAKEAWAYS,
    "full retelling": _RETELLING,
    "themes": _THEMES,
    "entity intersection graph": _GRAPH,
}
# The headers as the canonical file spells them, looked up before the slower general match.
_EXACT_HEADERS = {header: section for section, header in enumerate(_HEADERS)}
_ORDER = (
    "sections come in the order: Key Takeaways, Full Retelling, Themes, Entity Intersection Graph"
)
# Longer than any header with its emoji, colon and some spacing; longer lines are never headers.
_MAX_HEADER_LEN = 48
# Characters that may precede a header's name: its emoji (any pictograph, in fact), the emoji
# variation selectors, the zero-width joiner, and spaces.
_EMOJI_EXTRAS = frozenset("\ufe0f\ufe0e\u200d")
_BULLETS = frozenset("-•*")
# Characters no article may contain: C0/C1 controls other than tab and line ends, DEL, and lone
# surrogates (which cannot be encoded, stored or sent).
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# The UTF-8 bytes that cannot be part of a forbidden character. Deleting them from the encoded
# text is a much quicker first check than running _FORBIDDEN over every character; C1 controls
# are encoded as 0xC2 followed by 0x80-0x9F, hence the second check for 0xC2.
_PLAIN_BYTES = bytes([9, 10, 13, *range(32, 127), *range(128, 256)])
# Tags and themes repeat from article to article; folding them is the costliest step of a parse.
_fold = lru_cache(maxsize=16384)(fold_label)
_QUOTE_LEN = 60
_BOM = "\ufeff"


def _header_of(stripped: str) -> int | None:
    """Return which section a stripped line is the header of, or None."""
    if len(stripped) > _MAX_HEADER_LEN or not stripped:
        return None
    exact = _EXACT_HEADERS.get(stripped)
    if exact is not None:
        return exact
    start = 0
    for ch in stripped:
        if ch.isspace() or ch in _EMOJI_EXTRAS or unicodedata.category(ch) in ("So", "Sk"):
            start += 1
        else:
            break
    name = stripped[start:].rstrip(":").casefold()
    return _HEADER_KEYS.get(" ".join(name.split()))


def is_header_line(line: str) -> bool:
    """Return whether a line reads as one of the section headers of an article file."""
    return _header_of(line.strip()) is not None


def _quote(text: str) -> str:
    """Quote a piece of input for an error message: shortened, invisible characters escaped."""
    if len(text) > _QUOTE_LEN:
        text = text[: _QUOTE_LEN - 1] + "…"
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in text)
    return f'"{text}"'


def _describe(stripped: str) -> str:
    """Describe what was found on a line, for 'expected X, found Y' messages."""
    section = _header_of(stripped)
    if section is not None:
        return f'the "{_HEADERS[section]}" header'
    return _quote(stripped)


def _find_forbidden(text: str) -> re.Match[str] | None:
    """Return where the first character no article may contain is, if there is one."""
    try:
        encoded = text.encode("utf-8")
    except UnicodeEncodeError:
        return _FORBIDDEN.search(text)
    if encoded.translate(None, _PLAIN_BYTES) or b"\xc2" in encoded:
        return _FORBIDDEN.search(text)
    return None


def _forbidden_message(ch: str) -> str:
    if ch == "\x00":
        return "a NUL character is not allowed in an article"
    if "\ud800" <= ch <= "\udfff":
        return f"a lone surrogate U+{ord(ch):04X} is not allowed in an article (not valid Unicode)"
    return f"the control character U+{ord(ch):04X} is not allowed in an article"


def _unique_labels(labels: Iterable[str]) -> tuple[str, ...]:
    """Keep the first spelling of each label; drop labels with nothing to compare by."""
    seen: set[str] = set()
    kept: list[str] = []
    for label in labels:
        key = _fold(label)
        if key and key not in seen:
            seen.add(key)
            kept.append(label)
    return tuple(kept)


def _clean(text: str) -> str:
    """Return a label as displayed (see clean_label)."""
    return clean_label(text)


def _split_tags(line: str) -> list[str]:
    """Split a hashtag line: a tag runs from its '#' up to the next whitespace-and-'#'."""
    # Once the line's whitespace is single spaces, a part has no leading or doubled spaces and
    # no " #", so what _clean would do comes down to dropping its '#'s and the space after them.
    return [part.lstrip("#").lstrip(" ") for part in " ".join(line.split()).split(" #")]


def _split_themes(line: str) -> list[str]:
    return [_clean(part) for part in line.split(",")]


def parse_article(text: str, *, source: str = "<text>") -> Article:
    """Parse the text of an article file; raise ArticleError saying where and what was expected."""
    return _parse(text, source, checked=False)


def _parse(text: str, source: str, *, checked: bool) -> Article:
    """Parse article text; `checked` says the text is known to hold no forbidden character."""
    if text.startswith(_BOM):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    bad = None if checked else _find_forbidden(text)
    if bad is not None:
        line_no = text.count("\n", 0, bad.start()) + 1
        raise ArticleError(source, line_no, _forbidden_message(bad.group()))
    lines = text.split("\n")
    count = len(lines)

    def fail(line_index: int, message: str) -> ArticleError:
        return ArticleError(source, line_index + 1, message)

    i = 0
    while i < count and not lines[i].strip():
        i += 1
    if i == count:
        message = "the file is empty" if not text else "the file has only blank lines"
        raise ArticleError(source, None, message)

    last = i  # index of the last non-blank line seen, for errors at the end of the file
    title = lines[i].strip()
    if _header_of(title) is not None:
        raise fail(i, f"expected the title, found {_describe(title)}")
    if title.startswith("#"):
        raise fail(i, f"expected the title, found a hashtag line {_quote(title)}")

    i += 1
    while i < count and not lines[i].strip():
        i += 1
    tags: tuple[str, ...] = ()
    expected = f'the hashtag line or the "{TAKEAWAYS_HEADER}" header'
    if i < count and lines[i].lstrip().startswith("#"):
        last = i
        tags = _unique_labels(_split_tags(lines[i]))
        expected = f'the "{TAKEAWAYS_HEADER}" header'
        i += 1
        while i < count and not lines[i].strip():
            i += 1
    if i == count:
        raise fail(last, f"expected {expected} after this line, found the end of the file")
    stripped = lines[i].strip()
    if _header_of(stripped) != _TAKEAWAYS:
        raise fail(i, f"expected {expected}, found {_describe(stripped)}")

    section = _TAKEAWAYS
    header_at = [i, -1, -1, -1]
    takeaways: list[str] = []
    paragraphs: list[str] = []
    themes_line = ""
    graph: list[str] = []

    for j in range(i + 1, count):
        raw = lines[j]
        stripped = raw.strip()
        if not stripped:
            if section == _GRAPH and graph:
                graph.append("")
            continue
        last = j
        found = _header_of(stripped) if len(stripped) <= _MAX_HEADER_LEN else None
        if found is not None:
            if section == _TAKEAWAYS and not takeaways:
                raise fail(
                    header_at[_TAKEAWAYS],
                    f'the "{TAKEAWAYS_HEADER}" header has no bullet under it',
                )
            if section == _RETELLING and not paragraphs:
                raise fail(
                    header_at[_RETELLING],
                    f'the "{RETELLING_HEADER}" header has no paragraph under it',
                )
            if found == section or header_at[found] >= 0:
                raise fail(
                    j,
                    f'a second "{_HEADERS[found]}" header (the first is on line '
                    f"{header_at[found] + 1})",
                )
            if found < section:
                raise fail(j, f'the "{_HEADERS[found]}" header is out of order ({_ORDER})')
            if section == _TAKEAWAYS and found != _RETELLING:
                raise fail(
                    j,
                    f'expected a bullet or the "{RETELLING_HEADER}" header, '
                    f"found {_describe(stripped)}",
                )
            section = found
            header_at[found] = j
        elif section == _TAKEAWAYS:
            if stripped[0] not in _BULLETS or (len(stripped) > 1 and not stripped[1].isspace()):
                raise fail(
                    j,
                    f'expected a "- " bullet or the "{RETELLING_HEADER}" header, '
                    f"found {_quote(stripped)}",
                )
            if len(stripped) == 1:
                raise fail(j, "empty bullet: a bullet needs text after its marker")
            takeaways.append(stripped[2:].lstrip())
        elif section == _RETELLING:
            paragraphs.append(stripped)
        elif section == _THEMES:
            if themes_line:
                raise fail(
                    j,
                    f'expected the "{GRAPH_HEADER}" header or the end of the file after the '
                    f"themes line, found {_quote(stripped)}",
                )
            themes_line = stripped
        else:
            graph.append(raw.rstrip())

    if not takeaways:
        raise fail(
            header_at[_TAKEAWAYS], f'the "{TAKEAWAYS_HEADER}" header has no bullet under it'
        )
    if section == _TAKEAWAYS:
        raise fail(last, f'expected the "{RETELLING_HEADER}" header, found the end of the file')
    if not paragraphs:
        raise fail(
            header_at[_RETELLING], f'the "{RETELLING_HEADER}" header has no paragraph under it'
        )

    while graph and not graph[-1]:
        graph.pop()
    return Article(
        title=title,
        tags=tags,
        takeaways=tuple(takeaways),
        retelling=tuple(paragraphs),
        themes=_unique_labels(_split_themes(themes_line)) if themes_line else (),
        entity_graph="\n".join(graph) if graph else None,
    )


# --- Bytes ------------------------------------------------------------------------------------

_UTF8_BOM = b"\xef\xbb\xbf"
_BINARY_SAMPLE = 8192
_BINARY_RATIO = 0.10
# Bytes that occur in text: tab, line feed, form feed, carriage return, printable ASCII and every
# byte of a multi-byte UTF-8 sequence. Whatever is left after deleting them is a control byte.
_TEXT_BYTES = bytes([9, 10, 12, 13, *range(32, 127), *range(128, 256)])


def _line_of_offset(data: bytes, offset: int) -> int:
    """Return the 1-based line of a byte offset, counting CRLF, CR and LF as line ends."""
    head = data[:offset]
    return head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n") + 1


def parse_article_bytes(data: bytes, *, source: str) -> Article:
    """Parse the bytes of an article file: UTF-8 text, BOM optional; binary files are refused."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ArticleError(source, None, "the file is UTF-16; save it as UTF-8")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise ArticleError(source, None, f"a binary file, not text (a NUL byte at offset {nul})")
    sample = data[:_BINARY_SAMPLE]
    if sample and len(sample.translate(None, _TEXT_BYTES)) > _BINARY_RATIO * len(sample):
        raise ArticleError(source, None, "a binary file, not text (mostly control bytes)")
    skip = len(_UTF8_BOM) if data.startswith(_UTF8_BOM) else 0
    try:
        text = data[skip:].decode("utf-8")
    except UnicodeDecodeError as error:
        offset = skip + error.start
        line = _line_of_offset(data, offset)
        raise ArticleError(
            source,
            line,
            f"not UTF-8: the byte 0x{data[offset]:02X} at offset {offset} cannot be decoded "
            "(save the file as UTF-8)",
        ) from None
    # Valid UTF-8 holds no surrogates; without control bytes or 0xC2 it holds no control
    # characters either, and the text need not be checked again character by character.
    clean = not data.translate(None, _PLAIN_BYTES) and b"\xc2" not in data
    return _parse(text, source, checked=clean)


# --- JSON Lines -------------------------------------------------------------------------------

_JSON_TYPE_NAMES = {
    dict: "an object",
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "true/false",
    type(None): "null",
}


class _JsonReader:
    """Check one JSON object's fields, raising ArticleError that names the field."""

    def __init__(self, obj: dict[str, object], source: str, line: int | None) -> None:
        self.obj = obj
        self.source = source
        self.line = line

    def fail(self, field_name: str, message: str) -> ArticleError:
        return ArticleError(self.source, self.line, f"{field_name}: {message}")

    def wrong_type(self, field_name: str, expected: str, value: object) -> ArticleError:
        found = _JSON_TYPE_NAMES.get(type(value), type(value).__name__)
        return self.fail(field_name, f"expected {expected}, found {found}")

    def text(self, field_name: str, value: object) -> str:
        """Return a string value, refusing other types and characters no article may hold."""
        if not isinstance(value, str):
            raise self.wrong_type(field_name, "a string", value)
        bad = _find_forbidden(value)
        if bad is not None:
            raise self.fail(field_name, _forbidden_message(bad.group()))
        return value

    def one_line(self, field_name: str, value: object) -> str:
        """Return a stripped, non-empty, single-line string value."""
        stripped = self.text(field_name, value).strip()
        if not stripped:
            raise self.fail(field_name, "must not be empty")
        if "\n" in stripped or "\r" in stripped:
            raise self.fail(field_name, "must be one line")
        return stripped

    def strings(self, field_name: str, value: object) -> list[tuple[str, str]]:
        """Return the items of a list of strings, each with the name it has in error messages."""
        if not isinstance(value, list):
            raise self.wrong_type(field_name, "an array of strings", value)
        return [
            (f"{field_name}[{k}]", self.text(f"{field_name}[{k}]", v)) for k, v in enumerate(value)
        ]

    def title(self) -> str:
        if "title" not in self.obj:
            raise self.fail("title", "missing")
        title = self.one_line("title", self.obj["title"])
        if title.startswith("#"):
            raise self.fail("title", 'must not start with "#" (it would read as a hashtag line)')
        if _header_of(title) is not None:
            raise self.fail("title", f"reads as {_describe(title)}")
        return title

    def tags(self) -> tuple[str, ...]:
        if "tags" in self.obj and "hashtags" in self.obj:
            raise self.fail("tags", 'give "tags" or "hashtags", not both')
        name = "tags" if "tags" in self.obj else "hashtags"
        value = self.obj.get(name)
        if value is None:
            return ()
        if isinstance(value, str):
            line = self.text(name, value).strip()
            return _unique_labels(_split_tags(line if line.startswith("#") else "#" + line))
        labels: list[str] = []
        for item_name, item in self.strings(name, value):
            label = _clean(item)
            if " #" in label:
                raise self.fail(item_name, f'a tag cannot contain " #": {_quote(label)}')
            labels.append(label)
        return _unique_labels(labels)

    def takeaways(self) -> tuple[str, ...]:
        value = self.obj.get("takeaways")
        if value is None:
            raise self.fail("takeaways", "missing")
        items = self.strings("takeaways", value)
        if not items:
            raise self.fail("takeaways", "must have at least one item")
        return tuple(self.one_line(item_name, item) for item_name, item in items)

    def retelling(self) -> tuple[str, ...]:
        value = self.obj.get("retelling")
        if value is None:
            raise self.fail("retelling", "missing")
        if isinstance(value, str):
            chunks = [("retelling", self.text("retelling", value))]
        elif isinstance(value, list):
            chunks = self.strings("retelling", value)
        else:
            raise self.wrong_type("retelling", "a string or an array of strings", value)
        paragraphs: list[str] = []
        for chunk_name, chunk in chunks:
            for line in chunk.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
                paragraph = line.strip()
                if paragraph:
                    if _header_of(paragraph) is not None:
                        raise self.fail(chunk_name, f"a paragraph reads as {_describe(paragraph)}")
                    paragraphs.append(paragraph)
        if not paragraphs:
            raise self.fail("retelling", "must have at least one paragraph")
        return tuple(paragraphs)

    def themes(self) -> tuple[str, ...]:
        value = self.obj.get("themes")
        if value is None:
            return ()
        if isinstance(value, str):
            labels = _split_themes(self.text("themes", value))
        else:
            labels = []
            for item_name, item in self.strings("themes", value):
                label = _clean(item)
                if "," in label:
                    raise self.fail(item_name, f'a theme cannot contain ",": {_quote(label)}')
                labels.append(label)
        themes = _unique_labels(labels)
        line = ", ".join(themes)
        if _header_of(line) is not None:
            raise self.fail("themes", f"reads as {_describe(line)}")
        return themes

    def entity_graph(self) -> str | None:
        value = self.obj.get("entity_graph")
        if value is None:
            return None
        text = self.text("entity_graph", value).replace("\r\n", "\n").replace("\r", "\n")
        lines = [line.rstrip() for line in text.split("\n")]
        while lines and not lines[-1]:
            lines.pop()
        while lines and not lines[0]:
            lines.pop(0)
        for line in lines:
            if _header_of(line.strip()) is not None:
                raise self.fail("entity_graph", f"a line reads as {_describe(line.strip())}")
        return "\n".join(lines) if lines else None

    def url(self) -> str | None:
        value = self.obj.get("url")
        if value is None:
            return None
        url = self.text("url", value).strip()
        if not url:
            return None
        message = f"expected an http(s) URL, found {_quote(url)}"
        if any(ch.isspace() for ch in url):
            raise self.fail("url", message)
        try:
            parts = urlsplit(url)
            _ = parts.port  # raises ValueError for a port that is not a number in range
        except ValueError:
            raise self.fail("url", message) from None
        if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
            raise self.fail("url", message)
        return url

    def published_at(self) -> datetime | None:
        value = self.obj.get("published_at")
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.wrong_type("published_at", "an ISO-8601 date-time string", value)
        text = value.strip()
        if not text:
            return None
        message = f"expected an ISO-8601 date-time, found {_quote(text)}"
        try:
            moment = datetime.fromisoformat(text)
            if moment.utcoffset() is None:
                return moment.replace(tzinfo=UTC)
            return moment.astimezone(UTC)
        except (ValueError, OverflowError):
            raise self.fail("published_at", message) from None


def parse_article_json(obj: object, *, source: str, line: int | None = None) -> Article:
    """Build an article from one decoded JSON Lines object; ArticleError names the bad field."""
    if not isinstance(obj, dict):
        found = _JSON_TYPE_NAMES.get(type(obj), type(obj).__name__)
        raise ArticleError(source, line, f"expected a JSON object, found {found}")
    for key in obj:
        if not isinstance(key, str):
            raise ArticleError(source, line, f"expected string keys, found {key!r}")
    reader = _JsonReader(obj, source, line)
    return Article(
        title=reader.title(),
        tags=reader.tags(),
        takeaways=reader.takeaways(),
        retelling=reader.retelling(),
        themes=reader.themes(),
        entity_graph=reader.entity_graph(),
        url=reader.url(),
        published_at=reader.published_at(),
    )


# --- Writing ----------------------------------------------------------------------------------


def format_article(article: Article) -> str:
    """Render an article in the canonical file format (url and published_at are not part of it)."""
    lines = [article.title]
    if article.tags:
        lines.append(" ".join("#" + tag for tag in article.tags))
    lines += ["", TAKEAWAYS_HEADER]
    lines += ["- " + takeaway for takeaway in article.takeaways]
    lines += ["", RETELLING_HEADER, *article.retelling]
    if article.themes:
        lines += ["", THEMES_HEADER, ", ".join(article.themes)]
    if article.entity_graph:
        lines += ["", GRAPH_HEADER, article.entity_graph]
    return "\n".join(lines) + "\n"
