"""Article files as text: one pass over the lines, each section read by bot.domain.articles
.sections; a file is refused only for what makes it no article (see the module's tests)."""

from __future__ import annotations

from typing import TypeVar

from bot.domain.articles.lines import (
    HEADERS,
    MAX_HEADER_LEN,
    PLAIN_BYTES,
    SENTENCE_ENDS,
    UNKNOWN,
    Header,
    Part,
    Section,
    Unknown,
    bullet_text,
    describe,
    find_forbidden,
    forbidden_message,
    header_name,
    header_of,
    is_label,
    quote,
    short_header,
)
from bot.domain.articles.model import Article, ArticleError
from bot.domain.articles.sections import (
    analysis_of,
    entities_of,
    graph_line,
    graph_text,
    read_graph,
    split_tags,
    split_themes,
    unique_labels,
    without_labels,
)

_BOM = "\ufeff"
_TAKEAWAYS_HEADER = HEADERS[Section.TAKEAWAYS]
_RETELLING_HEADER = HEADERS[Section.RETELLING]
_EXTRA = -1  # the section being read is one the parser does not know
# The sections as plain ints: enum members are slow to look up in the loop over lines.
_TAKEAWAYS = int(Section.TAKEAWAYS)
_RETELLING = int(Section.RETELLING)
_REACTIONS = int(Section.REACTIONS)
_DIALOGUE = int(Section.DIALOGUE)
_THEMES = int(Section.THEMES)
_RELATED = int(Section.RELATED)
_GRAPH = int(Section.GRAPH)
_ENTITIES = int(Section.ENTITIES)
_ANALYSIS = int(Section.ANALYSIS)
_ORIGINAL = int(Section.ORIGINAL)
_SOURCE = int(Section.SOURCE)
_HEADER_NAMES = tuple(HEADERS[section] for section in Section)
# The sections whose lines are kept as they are, into the list their header chose, to be read
# when the file ends.
_BUCKETED = frozenset(
    (_RETELLING, _REACTIONS, _DIALOGUE, _THEMES, _RELATED, _ENTITIES, _ANALYSIS, _ORIGINAL, _EXTRA)
)
# What short lines are as headers (short_header, outside the graph), looked up in the loop
# over lines with one dict lookup: short lines repeat from file to file. Emptied when full.
_header_memo: dict[str, Header | None] = {}
_MEMO_SIZE = 8192
_UNSEEN = Unknown()  # not UNKNOWN: marks a line the memo has not seen


# The same for graph lines (sections.graph_line), which no line is None for.
_graph_memo: dict[str, object] = {}
_V = TypeVar("_V")


def _remember(memo: dict[str, _V], line: str, value: _V) -> _V:
    if len(memo) >= _MEMO_SIZE:
        memo.clear()
    memo[line] = value
    return value


def _remember_header(stripped: str) -> Header | None:
    if stripped[-1] in SENTENCE_ENDS or ":" in stripped.rstrip(":"):
        # A short sentence (a description, a question) or a URL, seldom seen twice: no header
        # ends a sentence, and none has a colon but at its end.
        return None
    return _remember(_header_memo, stripped, short_header(stripped, False))


def parse_article(text: str, *, source: str = "<text>", strict: bool = False) -> Article:
    """Parse the text of an article file; raise ArticleError saying where and what was expected.

    Sections the parser does not know are kept in `extra`; `strict` refuses them instead.
    """
    return _parse(text, source, checked=False, strict=strict)


def _parse(text: str, source: str, *, checked: bool, strict: bool) -> Article:
    """Parse article text; `checked` says the text is known to hold no forbidden character."""
    if text.startswith(_BOM):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    bad = None if checked else find_forbidden(text)
    if bad is not None:
        line_no = text.count("\n", 0, bad.start()) + 1
        raise ArticleError(source, line_no, forbidden_message(bad.group()))
    lines = text.split("\n")
    title, tags, at = _head(lines, text, source)
    return _Body(lines, source, at, strict=strict).read(title, tags)


def _head(lines: list[str], text: str, source: str) -> tuple[str, tuple[str, ...], int]:
    """Read the title and the hashtag line; return them and the index of the takeaways header."""
    count = len(lines)
    i = 0
    while i < count and not lines[i].strip():
        i += 1
    if i == count:
        message = "the file is empty" if not text else "the file has only blank lines"
        raise ArticleError(source, None, message)
    last = i  # the last non-blank line seen, for errors at the end of the file
    title = lines[i].strip()
    if header_of(title) not in (None, UNKNOWN):
        raise ArticleError(source, i + 1, f"expected the title, found {describe(title)}")
    if title.startswith("#"):
        message = f"expected the title, found a hashtag line {quote(title)}"
        raise ArticleError(source, i + 1, message)
    i += 1
    while i < count and not lines[i].strip():
        i += 1
    tags: tuple[str, ...] = ()
    expected = f'the hashtag line or the "{_TAKEAWAYS_HEADER}" header'
    if i < count and lines[i].lstrip().startswith("#"):
        last = i
        tags = unique_labels(split_tags(lines[i]))
        expected = f'the "{_TAKEAWAYS_HEADER}" header'
        i += 1
        while i < count and not lines[i].strip():
            i += 1
    if i == count:
        raise ArticleError(
            source, last + 1, f"expected {expected} after this line, found the end of the file"
        )
    stripped = lines[i].strip()
    if header_of(stripped) != _TAKEAWAYS:
        raise ArticleError(source, i + 1, f"expected {expected}, found {describe(stripped)}")
    return title, tags, i


class _Body:
    """The sections after the title: split into sections in one pass, then each read whole."""

    def __init__(self, lines: list[str], source: str, at: int, *, strict: bool) -> None:
        self.lines = lines
        self.source = source
        self.strict = strict
        self.at = at  # the takeaways header
        self.last = at  # the last non-blank line, for errors at the end of the file
        self.section: int = _TAKEAWAYS
        self.known = _TAKEAWAYS  # the last known section opened
        self.header_at = [-1] * len(_HEADER_NAMES)  # the line of each known section's header
        self.header_at[_TAKEAWAYS] = at
        self.part_at: dict[Part, int] = {}  # apart: a Part and a Section can be equal ints
        self.takeaways: list[str] = []
        self.content: list[list[str]] = [[] for _ in _HEADER_NAMES]
        self.graph: list[str] = []  # its lines, stripped, blank lines left out
        self.graph_kinds: list[object] = []  # what each is (sections.graph_line)
        self.graph_end = len(lines)  # the line after the graph's last (the next header)
        self.parts: dict[Part | None, list[str]] = {}
        self.bucket: list[str] = self.takeaways  # where the section's lines go (see read)
        self.source_line = -1
        self.extra: list[tuple[str, list[str]]] = []

    def known_line(self) -> int:
        """Return the line of the last known section's header."""
        return self.header_at[self.known] + 1

    def fail(self, index: int, message: str) -> ArticleError:
        return ArticleError(self.source, index + 1, message)

    def read(self, title: str, tags: tuple[str, ...]) -> Article:
        # The hot loop of an ingest: the retelling's long paragraphs, the bulk of a file, and
        # the lines of sections read whole later take a branch without a call, into the list
        # `bucket` the section's header chose; the takeaways and the source go through line(),
        # headers through header().
        lines = self.lines
        graph = self.graph
        graph_kinds = self.graph_kinds
        section = self.section
        bucket = self.takeaways
        last = self.last  # kept here, stored once: only the end of the file needs it
        for j in range(self.at + 1, len(lines)):
            raw = lines[j]
            stripped = raw.strip()
            if not stripped:
                continue
            last = j
            if section == _GRAPH:
                # A score of rows and counts, each read once for what it is in the graph
                # (see sections.graph_line): one lookup a line once the line has been seen.
                kind = _graph_memo.get(stripped)
                if kind is None:
                    found = (
                        short_header(stripped, True) if len(stripped) <= MAX_HEADER_LEN else None
                    )
                    if found is None:
                        kind = _remember(_graph_memo, stripped, graph_line(stripped))
                if kind is not None:
                    graph.append(stripped)
                    graph_kinds.append(kind)
                    continue
                self.graph_end = j
            elif len(stripped) > MAX_HEADER_LEN:
                found = None
            else:
                found = _header_memo.get(stripped, _UNSEEN)
                if found is _UNSEEN:
                    found = _remember_header(stripped)
            if found is not None:
                self.header(j, stripped, found)
                section = self.section
                bucket = self.bucket
            elif section in _BUCKETED:
                bucket.append(stripped)
            else:
                self.line(j, stripped)
        self.last = last
        self.close_required(len(lines))
        return self.article(title, tags)

    def line(self, j: int, stripped: str) -> None:
        """Take one line of the takeaways or the source."""
        if self.section == _TAKEAWAYS:
            text = bullet_text(stripped)
            if text is None:
                raise self.fail(
                    j,
                    f'expected a "- " bullet or the "{_RETELLING_HEADER}" header, '
                    f"found {quote(stripped)}",
                )
            if not text:
                raise self.fail(j, "empty bullet: a bullet needs text after its marker")
            self.takeaways.append(text)
            return
        if is_label(stripped):
            return
        if self.source_line >= 0:
            raise self.fail(
                j,
                f'expected one line (a URL or a host) under the "{_HEADER_NAMES[_SOURCE]}" '
                f"header, found a second line {quote(stripped)}",
            )
        self.source_line = j
        self.content[_SOURCE].append(stripped)

    def header(self, j: int, stripped: str, found: Header) -> None:
        """Open the section a header line starts, refusing what makes the file ambiguous."""
        if _TAKEAWAYS <= self.section <= _RETELLING:
            if found is UNKNOWN and self.section == _TAKEAWAYS:
                raise self.fail(
                    j,
                    f'expected a "- " bullet or the "{_RETELLING_HEADER}" header, '
                    f"found {quote(stripped)}",
                )
            self.close_required(j)
        if type(found) is Section:  # the usual case first: a rich file has a dozen headers
            self.open(j, stripped, found)
            return
        if found is UNKNOWN:
            if self.strict:
                raise self.fail(j, f"an unknown section {quote(stripped)} (refused when strict)")
            self.bucket = []
            self.extra.append((stripped, self.bucket))
            self.section = _EXTRA
            return
        if isinstance(found, Part):
            if self.known > _ANALYSIS:
                raise self.fail(
                    j,
                    f'the "{header_name(found)}" header is out of order: it belongs under the '
                    f'"{_HEADER_NAMES[_ANALYSIS]}" header, before the '
                    f'"{_HEADER_NAMES[self.known]}" header (line {self.known_line()})',
                )
            if self.known != _ANALYSIS:
                self.open(j, stripped, _ANALYSIS)
            first = self.part_at.get(found)
            if first is not None:
                raise self.fail(
                    j, f'a second "{header_name(found)}" header (the first is on line {first + 1})'
                )
            self.part_at[found] = j
            self.bucket = self.parts[found] = []
            self.section = _ANALYSIS

    def open(self, j: int, stripped: str, found: int) -> None:
        """Open a known section (for an analysis part, the analysis it belongs to)."""
        first = self.header_at[found]
        if first >= 0:
            raise self.fail(
                j, f'a second "{_HEADER_NAMES[found]}" header (the first is on line {first + 1})'
            )
        if self.section == _TAKEAWAYS and found != _RETELLING:
            raise self.fail(
                j,
                f'expected a bullet or the "{_RETELLING_HEADER}" header, '
                f"found {describe(stripped)}",
            )
        if found < self.known:
            raise self.fail(
                j,
                f'the "{_HEADER_NAMES[found]}" header is out of order: it comes before the '
                f'"{_HEADER_NAMES[self.known]}" header (line {self.known_line()})',
            )
        self.header_at[found] = j
        self.section = self.known = found
        # Lines under the analysis header before its first part are its summary.
        self.bucket = (
            self.parts.setdefault(None, []) if found == _ANALYSIS else self.content[found]
        )

    def close_required(self, j: int) -> None:
        """Refuse a takeaways or retelling section that ends empty (at line j or the end)."""
        if self.section == _TAKEAWAYS and not self.takeaways:
            raise self.fail(self.at, f'the "{_TAKEAWAYS_HEADER}" header has no bullet under it')
        if self.section == _RETELLING and not self.content[_RETELLING]:
            raise self.fail(
                self.header_at[_RETELLING],
                f'the "{_RETELLING_HEADER}" header has no paragraph under it',
            )
        if self.section == _TAKEAWAYS and j == len(self.lines):
            raise self.fail(
                self.last, f'expected the "{_RETELLING_HEADER}" header, found the end of the file'
            )

    def graph_text(self) -> str:
        """Return the graph section as written, for a graph not in the source's structure."""
        return graph_text(self.lines[self.header_at[_GRAPH] + 1 : self.graph_end])

    def article(self, title: str, tags: tuple[str, ...]) -> Article:
        content = self.content
        # Only the sections a file has are read: most files have few, and ingest reads many.
        graph, entity_graph = (
            read_graph(self.graph, self.graph_kinds, self.graph_text)
            if self.graph
            else (None, None)
        )
        return Article(
            title=title,
            tags=tags,
            takeaways=tuple(self.takeaways),
            retelling=tuple(content[_RETELLING]),
            themes=split_themes(content[_THEMES]) if content[_THEMES] else (),
            entity_graph=entity_graph,
            reactions=tuple(content[_REACTIONS]),
            dialogue=tuple(content[_DIALOGUE]),
            related=entities_of(content[_RELATED]) if content[_RELATED] else (),
            graph=graph,
            entities=entities_of(content[_ENTITIES]) if content[_ENTITIES] else (),
            analysis=analysis_of(self.parts) if self.parts else None,
            original=without_labels(content[_ORIGINAL]) if content[_ORIGINAL] else (),
            source=content[_SOURCE][0] if content[_SOURCE] else None,
            extra=tuple((header, "\n".join(text)) for header, text in self.extra)
            if self.extra
            else (),
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


def parse_article_bytes(data: bytes, *, source: str, strict: bool = False) -> Article:
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
    clean = not data.translate(None, PLAIN_BYTES) and b"\xc2" not in data
    return _parse(text, source, checked=clean, strict=strict)
