"""Label folding: how hashtags and themes compare, whatever way a person types them."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache


class LabelKind(StrEnum):
    """A hashtag (`#Kyiv`) and a theme (`Energy Security`) are separate kinds of label."""

    TAG = "tag"
    THEME = "theme"


def _words(text: str) -> list[str]:
    # Letters, combining marks and digits belong to a word in every script; everything else
    # (spaces, hyphens, underscores, punctuation, symbols, emoji) separates words.
    words: list[str] = []
    current: list[str] = []
    for ch in text:
        if unicodedata.category(ch)[0] in "LMN":
            current.append(ch)
        elif current:
            words.append("".join(current))
            current = []
    if current:
        words.append("".join(current))
    return words


# Labels repeat across articles and messages; folding is pure, so remember recent results.
@lru_cache(maxsize=65_536)
def fold_label(text: str) -> str:
    """Return the comparison key of a label: case-folded, separators unified, no leading '#'."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    # casefold() can leave a string that is no longer NFC (combining marks in some scripts).
    return unicodedata.normalize("NFC", "_".join(_words(folded)))


def hashtag_form(label: str) -> str:
    """Return the tappable Telegram hashtag of a label: `Power grid` -> `#Power_grid`."""
    return "#" + "_".join(_words(unicodedata.normalize("NFKC", label)))


def clean_label(text: str) -> str:
    """Return a label as it is displayed: no leading '#', single spaces, trimmed."""
    # Strip '#' and spaces together, so "# #x" is "x" and cleaning twice changes nothing.
    return " ".join(text.split()).lstrip("# ")


@dataclass(frozen=True, slots=True)
class Label:
    """A stored hashtag or theme: `key` is its folded form, `name` how it is displayed."""

    id: int
    kind: LabelKind
    key: str
    name: str
    # Followed before any article carried it ("/subscribe #Football" ahead of the season).
    provisional: bool = False
