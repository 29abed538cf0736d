"""The synthetic articles of the search benchmark: Zipf-distributed words, retold sentences,
a popular hashtag and a long tail of rare ones."""

from __future__ import annotations

import functools
import itertools
import random
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.domain.labels import fold_label
from bot.domain.search import query_words

# Bump when the generated data changes, or when a migration would rebuild much of a cached
# load, so cached databases are loaded afresh (2: SQLite's search index became contentless).
GENERATOR_VERSION = 2
CACHE_DIR = Path(tempfile.gettempdir()) / "digestbot-bench-search"
POPULAR_LABEL = "Ukraine"
POPULAR_SHARE = 0.3
RARE_LABELS = 50
# One article in this many carries one of the rare labels.
RARE_EVERY = 1000
TAIL_LABELS = 20_000
THEMES = 40
VOCABULARY = 40_000
SENTENCES = 100_000
# /topic shows this many cards at a time (handlers.topics.PAGE_SIZE).
DEFAULT_LIMIT = 3
CHUNK = 20_000
START = datetime(2023, 1, 1, tzinfo=UTC)
SPAN = timedelta(days=3 * 365)

# Syllables of the made-up words, Latin and Cyrillic.
_LATIN_SYLLABLES = "ka ro mi te lo vin gar del son pra bri nek tor val mos chi zen dar lu fe an"
_CYRILLIC_SYLLABLES = "ко ра ми те ло вин гар дел сон пра бри нек тор вал мос чі зен дар лу фе ї"
_LATIN = _LATIN_SYLLABLES.split()
_CYRILLIC = _CYRILLIC_SYLLABLES.split()


@dataclass(frozen=True, slots=True)
class Corpus:
    """What articles are made of: sentences, hashtags and themes."""

    words: list[str]
    sentences: list[str]
    tail_labels: list[str]
    rare_labels: list[str]
    themes: list[str]


def _zipf_rank(rng: random.Random, size: int) -> int:
    """Return a rank in [0, size) with probability falling as 1 / rank (log-uniform)."""
    return min(int(size ** rng.random()) - 1, size - 1)


@functools.cache
def build_corpus(sentence_count: int = SENTENCES, seed: int = 11) -> Corpus:
    """Return the deterministic vocabulary, sentence pool and labels of the benchmark."""
    rng = random.Random(seed)
    words: list[str] = []
    seen: set[str] = set()
    while len(words) < VOCABULARY:
        syllables = _CYRILLIC if rng.random() < 0.25 else _LATIN
        word = "".join(rng.choice(syllables) for _ in range(rng.randint(1, 4)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    sentences = []
    for _ in range(sentence_count):
        picked = [words[_zipf_rank(rng, VOCABULARY)] for _ in range(rng.randint(6, 18))]
        if rng.random() < 0.3:
            at = rng.randrange(len(picked))
            picked[at] = rng.choice(("«{}»", "“{}”", "{},", "({})")).format(picked[at])
        sentences.append(" ".join(picked).capitalize() + rng.choice(".....!?"))
    labels: list[str] = []
    keys = {fold_label(POPULAR_LABEL)}
    while len(labels) < TAIL_LABELS + RARE_LABELS + THEMES:
        name = " ".join(rng.choice(words).capitalize() for _ in range(rng.randint(1, 2)))
        if fold_label(name) not in keys:
            keys.add(fold_label(name))
            labels.append(name)
    return Corpus(
        words=words,
        sentences=sentences,
        tail_labels=labels[:TAIL_LABELS],
        rare_labels=labels[TAIL_LABELS : TAIL_LABELS + RARE_LABELS],
        themes=labels[TAIL_LABELS + RARE_LABELS :],
    )


@dataclass(frozen=True, slots=True)
class Generated:
    """One article as rows: its fields, its labels (kind, name) in order, and its times."""

    id: int
    title: str
    takeaways: list[str]
    retelling: list[str]
    labels: list[tuple[str, str]]
    published_at: datetime
    ingested_at: datetime


def generate(corpus: Corpus, start: int, stop: int, count: int) -> Iterator[Generated]:
    """Yield articles start..stop-1 (ids from 1) of a corpus of `count`, deterministically."""
    step = SPAN / count
    sentences = corpus.sentences
    for number in range(start, stop):
        rng = random.Random(number)
        picks = rng.choices(sentences, k=12)
        tags = [("tag", POPULAR_LABEL)] if rng.random() < POPULAR_SHARE else []
        tags += [
            ("tag", corpus.tail_labels[_zipf_rank(rng, TAIL_LABELS)])
            for _ in range(rng.randint(3, 5))
        ]
        if number % RARE_EVERY == 0:
            tags.append(("tag", corpus.rare_labels[(number // RARE_EVERY) % RARE_LABELS]))
        tags += [("theme", corpus.themes[_zipf_rank(rng, THEMES)]) for _ in range(2)]
        published = START + step * number + timedelta(minutes=rng.uniform(-360, 360))
        yield Generated(
            id=number + 1,
            title=picks[0].rstrip(".!?"),
            takeaways=picks[1:4],
            retelling=[" ".join(picks[4:8]), " ".join(picks[8:12])],
            labels=list(dict.fromkeys(tags)),
            published_at=published,
            ingested_at=published + timedelta(minutes=rng.uniform(1, 120)),
        )


def label_ids(corpus: Corpus) -> dict[tuple[str, str], int]:
    """Return the id of every label the articles use, keyed by (kind, name)."""
    names = [("tag", POPULAR_LABEL)]
    names += [("tag", name) for name in corpus.tail_labels + corpus.rare_labels]
    names += [("theme", name) for name in corpus.themes]
    return {label: number for number, label in enumerate(names, start=1)}


def _label_keys(corpus: Corpus) -> set[str]:
    names = [POPULAR_LABEL, *corpus.tail_labels, *corpus.rare_labels, *corpus.themes]
    return {fold_label(name) for name in names}


def free_text_queries(corpus: Corpus, count: int, how_many: int = 20) -> list[str]:
    """Return queries a reader types: two neighbouring words of a stored article's sentence,
    in any case."""
    rng = random.Random(3)
    common = set(corpus.words[:30])
    labels = _label_keys(corpus)
    queries: list[str] = []
    while len(queries) < how_many:
        number = rng.randrange(count)
        article = next(generate(corpus, number, number + 1, count))
        words = query_words(rng.choice([article.title, *article.takeaways, *article.retelling]))
        pairs = [
            (a, b)
            for a, b in itertools.pairwise(words)
            if not {a, b} & common and fold_label(f"{a} {b}") not in labels
        ]
        if pairs:
            first, second = rng.choice(pairs)
            queries.append(f"{first.upper()} {second.capitalize()}")
    return queries


def single_words(corpus: Corpus, how_many: int = 20) -> list[str]:
    """Return words of every frequency, from one in six articles down to one in a thousand,
    spread evenly over their rank's logarithm."""
    labels = _label_keys(corpus)
    words = []
    for step in range(how_many):
        rank = round(20 * 1000 ** (step / (how_many - 1)))
        word = next(word for word in corpus.words[rank:] if fold_label(word) not in labels)
        words.append(word.capitalize())
    return words


def common_word(corpus: Corpus) -> str:
    """Return one of the most frequent words (in nearly every article) that names no label."""
    labels = _label_keys(corpus)
    return next(word for word in corpus.words[2:] if fold_label(word) not in labels).upper()
