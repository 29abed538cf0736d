"""Label folding: how hashtags and themes compare, whatever way a person types them."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.domain.labels import LabelKind, clean_label, fold_label, hashtag_form

FOLD_EQUAL: list[tuple[str, ...]] = [
    ("КИЇВ", "Київ", "#київ", " #Київ "),
    ("peace-talks", "#Peace_talks", "PEACE TALKS", "Peace  talks", "Peace — talks"),
    ("Russia-Ukraine War", "#Russia_Ukraine_War", "russia ukraine war"),
    ("Energy Security", "energy-security", "ENERGY_SECURITY"),
    ("Straße", "STRASSE", "strasse"),
    ("Łódź", "ŁÓDŹ"),
    ("東京", "#東京"),
]


@pytest.mark.parametrize("spellings", FOLD_EQUAL, ids=[group[0] for group in FOLD_EQUAL])
def test_spellings_fold_equal(spellings: tuple[str, ...]) -> None:
    keys = {fold_label(spelling) for spelling in spellings}
    assert len(keys) == 1
    assert "" not in keys


FOLD_DIFFERENT: list[tuple[str, str]] = [
    ("Kyiv", "Київ"),
    ("Peace talks", "Peacetalks"),
    ("War", "Wars"),
]


@pytest.mark.parametrize(("one", "other"), FOLD_DIFFERENT)
def test_different_labels_fold_different(one: str, other: str) -> None:
    assert fold_label(one) != fold_label(other)


@pytest.mark.parametrize(
    ("label", "key"),
    [
        ("Russia-Ukraine War", "russia_ukraine_war"),
        ("#Київ", "київ"),
        ("  Power   grid  ", "power_grid"),
        ("🔥", ""),
        ("", ""),
    ],
)
def test_fold_label(label: str, key: str) -> None:
    assert fold_label(label) == key


@pytest.mark.parametrize(
    ("label", "hashtag"),
    [
        ("Russia-Ukraine War", "#Russia_Ukraine_War"),
        ("Київ", "#Київ"),
        ("Power grid", "#Power_grid"),
        ("#Peace talks", "#Peace_talks"),
        ("Donald Trump's visit", "#Donald_Trump_s_visit"),
    ],
)
def test_hashtag_form(label: str, hashtag: str) -> None:
    assert hashtag_form(label) == hashtag


@pytest.mark.parametrize(
    ("text", "cleaned"),
    [
        ("#Kyiv", "Kyiv"),
        ("  Power   grid ", "Power grid"),
        ("##Peace talks", "Peace talks"),
        ("Energy\tSecurity", "Energy Security"),
    ],
)
def test_clean_label(text: str, cleaned: str) -> None:
    assert clean_label(text) == cleaned


def test_clean_label_is_idempotent_for_hash_then_space() -> None:
    assert clean_label(clean_label("# #x")) == clean_label("# #x")


def test_label_kinds() -> None:
    assert {kind.value for kind in LabelKind} == {"tag", "theme"}


_labels = st.one_of(
    st.text(),
    st.text(st.sampled_from(list("aZ #-_ КиЇї’'.ßİΣς\u0301\u0345ﬀ①🔥\ufe0f"))),
)


@settings(max_examples=500)
@given(_labels)
def test_hashtag_form_folds_like_the_label(label: str) -> None:
    assert fold_label(hashtag_form(label)) == fold_label(label)


@settings(max_examples=500)
@given(_labels)
def test_fold_label_is_idempotent(label: str) -> None:
    assert fold_label(fold_label(label)) == fold_label(label)


@settings(max_examples=300)
@given(_labels)
def test_hashtag_form_is_one_tappable_word(label: str) -> None:
    hashtag = hashtag_form(label)
    assert hashtag.startswith("#")
    assert " " not in hashtag
    assert "#" not in hashtag[1:]
