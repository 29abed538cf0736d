"""Search folding: article text and a person's query become the same words."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.search import (
    MAX_QUERY_WORDS,
    MAX_WORD_LENGTH,
    fold_text,
    query_words,
    search_words,
)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("«Київ» — столиця!", ["київ", "столиця"]),
        ("КИЇВ Київ київ", ["київ", "київ", "київ"]),
        ("Café, CAFÉ; cafe", ["cafe", "cafe", "cafe"]),
        ("Straße STRASSE", ["strasse", "strasse"]),
        ("Ёлка ёжик", ["елка", "ежик"]),
        ("Łódź", ["lodz"]),
        ("İstanbul ISTANBUL", ["istanbul", "istanbul"]),
        ("ﬁnance ２０２６", ["finance", "2026"]),  # compatibility forms (NFKC)
        ("power_grid e-mail x2", ["power", "grid", "e", "mail", "x2"]),
        ('NEAR(grid "power") OR x*', ["near", "grid", "power", "or", "x"]),
        ("東京 Ελλάδα", ["東京", "ελλάδα"]),
        ("🔥 & %", []),
    ],
)
def test_search_words_fold_case_and_drop_punctuation(text: str, words: list[str]) -> None:
    assert search_words(text) == words


def test_decomposed_and_composed_text_fold_alike() -> None:
    composed = "Йод і їжак у Києві"
    assert search_words(unicodedata.normalize("NFD", composed)) == search_words(composed)


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ('"peace talks" AND "peace"', ("peace", "talks", "and")),
        ("", ()),
        ('"*"', ()),
        (" ".join(f"w{n}" for n in range(40)), tuple(f"w{n}" for n in range(MAX_QUERY_WORDS))),
        ("x" * (MAX_WORD_LENGTH + 1) + " kept", ("kept",)),
    ],
)
def test_query_words_are_distinct_bounded_words(query: str, words: tuple[str, ...]) -> None:
    assert query_words(query) == words


@given(st.text())
def test_any_text_gives_only_plain_words(text: str) -> None:
    words = query_words(text)
    assert len(words) <= MAX_QUERY_WORDS
    assert len(set(words)) == len(words)
    for word in words:
        assert 0 < len(word) <= MAX_WORD_LENGTH
        assert all(ch.isalnum() for ch in word)
        # A word folds to itself: the index and the query meet on the same form.
        assert search_words(word) == [word]


@given(st.text())
def test_folding_is_idempotent(text: str) -> None:
    assert fold_text(fold_text(text)) == fold_text(text)
