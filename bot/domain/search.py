"""Free-text search: how article text and what a person types become the same words.

Both databases index text folded here, so matching never depends on a database's locale or
Unicode tables: `КИЇВ`, `Київ` and a decomposed `Київ` are one word everywhere.
"""

from __future__ import annotations

import re
import unicodedata

# A query longer than this is pasted text, not a search; the first words are enough to find it.
MAX_QUERY_WORDS = 16
# No word a person searches for is longer; longer runs are noise (and PostgreSQL ignores
# lexemes over 2 KiB anyway).
MAX_WORD_LENGTH = 200
# Characters of one article field that are indexed. Keeps every PostgreSQL tsvector far under
# its 1 MiB limit whatever an article holds; real fields are a few KiB.
MAX_INDEXED_CHARS = 50_000

# Letters and digits of any script; everything else, the underscore too, separates words.
# Combining marks separate words as well, as they do in SQLite's unicode61 tokenizer.
_WORD = re.compile(r"[^\W_]+")


def _latin_base_letters() -> dict[str, str]:
    """Map each precomposed Latin letter with diacritics to its base letter ("é" -> "e")."""
    table: dict[str, str] = {}
    for code in (*range(0x00C0, 0x0250), *range(0x1E00, 0x1F00)):
        char = chr(code)
        base = "".join(
            part for part in unicodedata.normalize("NFD", char) if not unicodedata.combining(part)
        )
        if base != char and base.isascii() and base.isalpha():
            table[char] = base
    # Letters with a stroke have no decomposition, but readers type them without it too.
    table.update({"ł": "l", "ø": "o", "đ": "d", "ħ": "h", "ŧ": "t", "ı": "i"})
    # Russian text mostly writes "е" for "ё": readers search either way.
    table["ё"] = "е"
    return table


_BASE_LETTER = _latin_base_letters()
# An accented letter, and any further marks on it that no precomposed letter holds.
_ACCENTED = re.compile("([" + "".join(sorted(_BASE_LETTER)) + "])[\u0300-\u036f]*")


def fold_text(text: str) -> str:
    """Return text as the index stores it: NFKC, case-folded, Latin diacritics removed."""
    normal = unicodedata.normalize("NFKC", text[:MAX_INDEXED_CHARS])
    if normal.isascii():
        return normal.lower()
    # casefold() turns Turkish "İ" into "i" plus a combining dot, which would split the word,
    # and can leave letters and marks that compose again ("ß̂" -> "ss" + mark -> "sŝ").
    folded = unicodedata.normalize("NFKC", normal.replace("\u0130", "i").casefold())
    # Only the accented letters cost a call; most text has few or none.
    return _ACCENTED.sub(lambda match: _BASE_LETTER[match.group(1)], folded)


def search_words(text: str) -> list[str]:
    """Return the folded words of a text, in order: `«Київ», café!` -> `[київ, cafe]`."""
    return _WORD.findall(fold_text(text))


def query_words(text: str) -> tuple[str, ...]:
    """Return the distinct folded words of a person's query: syntax and punctuation dropped."""
    words = dict.fromkeys(word for word in search_words(text) if len(word) <= MAX_WORD_LENGTH)
    return tuple(words)[:MAX_QUERY_WORDS]
