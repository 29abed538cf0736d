"""Stems: the one form of a word that the index and a query share (`drones` -> `drone`).

English and Russian words go through the Snowball stemmers of the `snowballstemmer` package
(pure Python, the reference algorithms). Snowball has no Ukrainian stemmer (nor does
PyStemmer, which wraps the same C library), so a Cyrillic word holding a letter only Ukrainian
writes (і, ї, є, ґ) has its ending stripped by the small rule set below instead, in the manner
of Snowball's Russian: endings are looked for after the first vowel only and the longest one
goes. A Ukrainian word without those letters ("ремонти", "баржа") shares its endings with
Russian and is stemmed as Russian. Each word is stemmed on its own, so a word always has the
same stem, at ingest and in a query, on both databases.
"""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer  # type: ignore[import-untyped]

# Words longer than this are not words a stemmer knows (codes, run-together text): kept whole.
MAX_STEMMED_LENGTH = 40
# Distinct words whose stems are remembered. Ingest meets the same words over and over: the
# cache is what keeps stemming from slowing it down (see docs/search.md).
CACHE_SIZE = 200_000

_ENGLISH = snowballstemmer.stemmer("english")
_RUSSIAN = snowballstemmer.stemmer("russian")

_CYRILLIC = re.compile("[\u0400-\u04ff]")
_UKRAINIAN_ONLY = re.compile("[іїєґ]")
_LATIN = re.compile("^[a-z0-9\u00c0-\u024f]+$")

_UKRAINIAN_VOWELS = "аеиоуюяіїє"
# Reflexive verb endings, stripped first ("зустрілися" -> "зустріли").
_UKRAINIAN_REFLEXIVE = ("ся", "сь")
# Noun, adjective and verb endings; the longest found after the first vowel is stripped.
_UKRAINIAN_ENDINGS = tuple(
    sorted(
        {
            *("ами", "ями", "ові", "еві", "єві", "ому", "ого", "ими", "іми", "ать", "ять"),
            *("ати", "яти", "ити", "ють", "ують", "ала", "ало", "али", "ила", "или", "ило"),
            *("ах", "ях", "ів", "їв", "ою", "ею", "єю", "ам", "ям", "ом", "ем", "єм", "им"),
            *("ім", "их", "іх", "ий", "ій", "ої", "ти", "ть", "ну"),
            *("а", "я", "о", "е", "є", "и", "і", "ї", "у", "ю", "й", "ь"),
        },
        key=len,
        reverse=True,
    )
)
# A stem keeps at least this many letters: "її" and "ні" stay words.
_MIN_STEM = 2


def stem_ukrainian(word: str) -> str:
    """Return the stem of a Ukrainian word (folded, lower case): `баржі` -> `барж`."""
    first_vowel = next((i for i, ch in enumerate(word) if ch in _UKRAINIAN_VOWELS), None)
    if first_vowel is None:
        return word
    start = max(first_vowel + 1, _MIN_STEM)
    for ending in _UKRAINIAN_REFLEXIVE:
        if word.endswith(ending) and len(word) - len(ending) >= start:
            word = word[: -len(ending)]
            break
    for ending in _UKRAINIAN_ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= start:
            return word[: -len(ending)]
    return word


@lru_cache(maxsize=CACHE_SIZE)
def stem(word: str) -> str:
    """Return the stem of one folded word; words of other scripts and numbers stay as they
    are."""
    if len(word) > MAX_STEMMED_LENGTH or word.isdigit():
        return word
    if _CYRILLIC.search(word):
        if _UKRAINIAN_ONLY.search(word):
            return stem_ukrainian(word)
        return str(_RUSSIAN.stemWord(word))
    if _LATIN.match(word):
        return str(_ENGLISH.stemWord(word))
    return word
