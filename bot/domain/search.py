"""Free-text search: how article text and what a person types become the same words.

Both databases index text folded here, so matching never depends on a database's locale or
Unicode tables: `КИЇВ`, `Київ` and a decomposed `Київ` are one word everywhere. The index
then holds each word's stem (bot.domain.stems), so `drone` finds `drones` and `баржі` finds
`баржа`; a query's stems are looked up the same way on both databases.
"""

from __future__ import annotations

import re
import unicodedata

from bot.domain.stems import stem

# A query longer than this is pasted text, not a search; the first words are enough to find it.
MAX_QUERY_WORDS = 16
# A whole question is a query; longer text is pasted, and gets asked to be shorter.
MAX_QUERY_CHARS = 500
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


# ASCII punctuation and controls as spaces: splitting on them then finds most words at C
# speed, where the regex alone costs more than ingest can spare (see docs/search.md).
_ASCII_SEPARATORS = str.maketrans({chr(c): " " for c in range(128) if not chr(c).isalnum()})


def search_words(text: str) -> list[str]:
    """Return the folded words of a text, in order: `«Київ», café!` -> `[київ, cafe]`."""
    folded = fold_text(text)
    rough = folded.translate(_ASCII_SEPARATORS).split()
    if folded.isascii() or all(map(str.isalnum, rough)):
        return rough
    # Some other script's punctuation (« », —) is left: the regex splits those parts. Both
    # agree on what a word is: `[^\W_]` is exactly the characters str.isalnum() accepts.
    return [word for part in rough for word in _WORD.findall(part)]


def query_words(text: str) -> tuple[str, ...]:
    """Return the distinct folded words of a person's query: syntax and punctuation dropped."""
    words = dict.fromkeys(word for word in search_words(text) if len(word) <= MAX_WORD_LENGTH)
    return tuple(words)[:MAX_QUERY_WORDS]


# Words too common to tell articles apart, in English, Ukrainian and Russian (folded). A query
# drops them unless it holds nothing else ("the who" is still searched), so a question reads
# as its content words: "what happened to the grain barges" -> happened, grain, barges.
_STOP_WORDS = """
a an and are as at be been but by can did do does for from had has have how i if in into
is it its me my no not of on or our so than that the their them then there these they this
to up us was we were what when where which who why will with would you your about after
also any all more most new news over said says some such only out
і й та але а або в у на до з із зі за по про від для що як це цей ця ці той ті
не ні чи же ж є був була було були бути він вона воно вони ми ви я ти його її їх їм
нам вам там тут так також вже ще де коли чому хто який яка яке які після під над між
и в во на до с со за по про от для что как это этот эта эти тот те не ни ли же есть был
была было были быть он она оно они мы вы я ты его ее их им нам вам там тут так также уже
еще где когда почему кто какой какая какое какие после под над между или но а
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())


def index_text(text: str) -> str:
    """Return text as the index holds it: the distinct stems of its words, space-separated."""
    # Distinct words first: a word recurs in an article, and each stem() call costs.
    return " ".join(dict.fromkeys(map(stem, dict.fromkeys(search_words(text)))))


def query_stems(text: str) -> tuple[str, ...]:
    """Return the distinct stems a query looks for: its words but the stop words (all of them
    if nothing else is left), at most MAX_QUERY_WORDS."""
    words = [word for word in search_words(text) if len(word) <= MAX_WORD_LENGTH]
    content = [word for word in words if word not in STOP_WORDS] or words
    return tuple(dict.fromkeys(map(stem, content)))[:MAX_QUERY_WORDS]
