"""How one line of an article file reads: section headers in both languages, link labels,
bullets, graph rows; and the characters no article may contain."""

from __future__ import annotations

import re
import unicodedata
from enum import IntEnum
from functools import lru_cache

from bot.domain.articles.model import EntityKind


class Section(IntEnum):
    """The sections the source writes, in the order it writes them."""

    TAKEAWAYS = 0
    RETELLING = 1
    REACTIONS = 2
    DIALOGUE = 3
    THEMES = 4
    RELATED = 5
    GRAPH = 6
    ENTITIES = 7
    ANALYSIS = 8
    ORIGINAL = 9
    SOURCE = 10


class Part(IntEnum):
    """The parts of the deep analysis, each under its own header."""

    WHY = 0
    CONTEXT = 1
    NEXT = 2
    FAQ = 3


# The headers as the source writes them in English; format_article writes these.
HEADERS = {
    Section.TAKEAWAYS: "📌 Key Takeaways",
    Section.RETELLING: "📖 Full Retelling",
    Section.REACTIONS: "🐦 Character Reactions (Tweets)",
    Section.DIALOGUE: "💬 Character Dialogue",
    Section.THEMES: "🏷️ Themes",
    Section.RELATED: "📚 Related People & Topics",
    Section.GRAPH: "Entity Intersection Graph",
    Section.ENTITIES: "Mentioned Entities",
    Section.ANALYSIS: "Deep Analysis",
    Section.ORIGINAL: "Original Source",
    Section.SOURCE: "Source",
}
PART_HEADERS = {
    Part.WHY: "Why It Matters",
    Part.CONTEXT: "Context & Background",
    Part.NEXT: "What Happens Next",
    Part.FAQ: "Frequently Asked Questions",
}

# Every spelling of a header's name, case-folded, once its emoji, colon and extra spaces are
# gone. The Ukrainian names are those the source's Ukrainian pages use.
_NAMES: dict[str, Section | Part] = {
    "key takeaways": Section.TAKEAWAYS,
    "ключові висновки": Section.TAKEAWAYS,
    "головні тези": Section.TAKEAWAYS,
    "full retelling": Section.RETELLING,
    "переказ": Section.RETELLING,
    "character reactions (tweets)": Section.REACTIONS,
    "character reactions": Section.REACTIONS,
    "character dialogue": Section.DIALOGUE,
    "themes": Section.THEMES,
    "теми": Section.THEMES,
    "related people & topics": Section.RELATED,
    "related people and topics": Section.RELATED,
    "entity intersection graph": Section.GRAPH,
    "граф пересічень": Section.GRAPH,
    "граф перетину": Section.GRAPH,
    "mentioned entities": Section.ENTITIES,
    "згадані сутності": Section.ENTITIES,
    "deep analysis": Section.ANALYSIS,
    "original source": Section.ORIGINAL,
    "source": Section.SOURCE,
    "джерело": Section.SOURCE,
    "why it matters": Part.WHY,
    "чому це важливо": Part.WHY,
    "context & background": Part.CONTEXT,
    "context and background": Part.CONTEXT,
    "контекст і передумови": Part.CONTEXT,
    "what happens next": Part.NEXT,
    "що далі": Part.NEXT,
    "frequently asked questions": Part.FAQ,
    "часті запитання": Part.FAQ,
    "часті питання": Part.FAQ,
}
# The first letters of the names, case-folded.
_INITIALS = frozenset(name[0] for name in _NAMES)
# The headers as the canonical file spells them, looked up before the slower general match.
_EXACT: dict[str, Section | Part] = {
    **{header: section for section, header in HEADERS.items()},
    **{header: part for part, header in PART_HEADERS.items()},
}


class Unknown:
    """A line that reads as the header of a section the parser does not know."""


UNKNOWN = Unknown()
Header = Section | Part | Unknown

# Longer than any header with its emoji, colon and some spacing; longer lines are never headers.
MAX_HEADER_LEN = 48
# A header we do not know has a short name: "🗺️ Timeline", not "🔥 Fire broke out at the plant".
_MAX_UNKNOWN_WORDS = 5
# Characters that may precede a header's name: its emoji (any pictograph, in fact), the emoji
# variation selectors, the zero-width joiner, and spaces.
_EMOJI_EXTRAS = frozenset("\ufe0f\ufe0e\u200d")
# No header ends with one of these: a line that does is text.
SENTENCE_ENDS = frozenset(".!?…;,")
BULLETS = frozenset("-•*")
ROW_KINDS = {"👤": EntityKind.PERSON, "🏢": EntityKind.ORGANISATION, "🌐": EntityKind.OTHER}

# The page's link texts, which carry no content: ignored where the page puts them.
_LABELS = frozenset(
    ("view profile", "wikipedia", "view full profile", "read full article at source")
)
_LABEL_TAILS = " →↗›»>"
_MAX_LABEL_LEN = 32


def _is_pictograph(ch: str) -> bool:
    """Return whether a character is an emoji-like pictograph (not a box-drawing or arrow)."""
    code = ord(ch)
    return (
        code >= 0x1F000
        or 0x2300 <= code <= 0x23FF
        or 0x2600 <= code <= 0x27BF
        or (0x2B00 <= code <= 0x2BFF)
    )


def _name_start(stripped: str) -> int:
    """Return where a header's name starts, past its emoji and spacing."""
    start = 0
    for ch in stripped:
        if ch.isspace() or ch in _EMOJI_EXTRAS or unicodedata.category(ch) in ("So", "Sk"):
            start += 1
        else:
            break
    return start


def known_header(stripped: str) -> Section | Part | None:
    """Return which known section or analysis part a stripped line is the header of, if any."""
    if len(stripped) > MAX_HEADER_LEN or not stripped:
        return None
    exact = _EXACT.get(stripped)
    if exact is not None:
        return exact
    name = stripped[_name_start(stripped) :].rstrip(":").casefold()
    return _NAMES.get(" ".join(name.split()))


def header_of(stripped: str, *, in_graph: bool = False) -> Header | None:
    """Return what header a stripped line is, if any: a known one, or UNKNOWN for one that
    reads as a header (an emoji, then a short name) the parser does not know."""
    if len(stripped) > MAX_HEADER_LEN or not stripped:
        return None
    return short_header(stripped, in_graph)


# Short lines repeat from file to file (headers, labels, counts), so remember recent answers.
@lru_cache(maxsize=8192)
def short_header(stripped: str, in_graph: bool) -> Header | None:
    """header_of for a non-empty line of at most MAX_HEADER_LEN characters."""
    exact = _EXACT.get(stripped)
    if exact is not None:
        return exact
    # Most short lines are names, sentences, counts and URLs, told from headers by their ends:
    # no header ends a sentence, and one starts with its emoji or its name's first letter.
    first = stripped[0]
    if stripped[-1] in SENTENCE_ENDS or (
        first.casefold()[0] not in _INITIALS
        and first not in _EMOJI_EXTRAS
        and not _is_pictograph(first)
        and unicodedata.category(first) not in ("So", "Sk")
    ):
        return None
    known = known_header(stripped)
    if known is not None:
        return known
    if not _is_pictograph(first) or (in_graph and first in ROW_KINDS):
        return None
    name = stripped[_name_start(stripped) :]
    if name.endswith(":"):
        name = name[:-1].rstrip()
    if (
        not name
        or not name[0].isalpha()
        or name[-1] in SENTENCE_ENDS
        or ":" in name
        or len(name.split()) > _MAX_UNKNOWN_WORDS
    ):
        return None
    return UNKNOWN


def is_label(stripped: str) -> bool:
    """Return whether a stripped line is one of the page's link labels ("View Profile →")."""
    return len(stripped) <= _MAX_LABEL_LEN and _label(stripped)


@lru_cache(maxsize=4096)
def _label(stripped: str) -> bool:
    return " ".join(stripped.rstrip(_LABEL_TAILS).casefold().split()) in _LABELS


def header_name(header: Section | Part) -> str:
    """Return the canonical spelling of a known header."""
    return HEADERS[header] if isinstance(header, Section) else PART_HEADERS[header]


def bullet_text(stripped: str) -> str | None:
    """Return the text of a bullet line ("- text"), "" for a bare marker, None for no bullet."""
    if stripped[0] not in BULLETS:
        return None
    if len(stripped) == 1:
        return ""
    if not stripped[1].isspace():
        return None
    return stripped[2:].lstrip()


_SHARED_TAILS = (" shared articles", " shared article", " shared")
_COUNT_SEPARATORS = " \t:·•—–-,("


# Not cached here: graph lines are read through sections.graph_line, whose answers are kept.
def split_count(text: str) -> tuple[str, int] | None:
    """Split "Donald Trump · 14 shared" into ("Donald Trump", 14); None without a count.

    String operations rather than a regular expression, so no line can make it backtrack.
    """
    body = text.rstrip(") ")
    lowered = body.casefold()
    for tail in _SHARED_TAILS:
        if lowered.endswith(tail):
            body = body[: -len(tail)].rstrip()
            break
    else:
        return None
    end = len(body)
    start = end
    while start > 0 and "0" <= body[start - 1] <= "9":
        start -= 1
    if start == end or end - start > 9:
        return None
    head = body[:start]
    if head and head[-1] not in _COUNT_SEPARATORS:
        return None  # "Area51 shared" is a name, not a count
    return head.rstrip(_COUNT_SEPARATORS), int(body[start:end])


# --- Characters ------------------------------------------------------------------------------

_QUOTE_LEN = 60
# Characters no article may contain: C0/C1 controls other than tab and line ends, DEL, and lone
# surrogates (which cannot be encoded, stored or sent).
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# The UTF-8 bytes that cannot be part of a forbidden character. Deleting them from the encoded
# text is a much quicker first check than running _FORBIDDEN over every character; C1 controls
# are encoded as 0xC2 followed by 0x80-0x9F, hence the second check for 0xC2.
PLAIN_BYTES = bytes([9, 10, 13, *range(32, 127), *range(128, 256)])


def find_forbidden(text: str) -> re.Match[str] | None:
    """Return where the first character no article may contain is, if there is one."""
    try:
        encoded = text.encode("utf-8")
    except UnicodeEncodeError:
        return _FORBIDDEN.search(text)
    if encoded.translate(None, PLAIN_BYTES) or b"\xc2" in encoded:
        return _FORBIDDEN.search(text)
    return None


def forbidden_message(ch: str) -> str:
    """Say why a forbidden character is refused."""
    if ch == "\x00":
        return "a NUL character is not allowed in an article"
    if "\ud800" <= ch <= "\udfff":
        return f"a lone surrogate U+{ord(ch):04X} is not allowed in an article (not valid Unicode)"
    return f"the control character U+{ord(ch):04X} is not allowed in an article"


def quote(text: str) -> str:
    """Quote a piece of input for an error message: shortened, invisible characters escaped."""
    if len(text) > _QUOTE_LEN:
        text = text[: _QUOTE_LEN - 1] + "…"
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else f"\\u{ord(ch):04x}" for ch in text)
    return f'"{text}"'


def describe(stripped: str, *, in_graph: bool = False) -> str:
    """Describe what was found on a line, for 'expected X, found Y' messages."""
    header = header_of(stripped, in_graph=in_graph)
    if isinstance(header, Section | Part):
        return f'the "{header_name(header)}" header'
    if header is UNKNOWN:
        return f"the header of a section not known here {quote(stripped)}"
    return quote(stripped)
