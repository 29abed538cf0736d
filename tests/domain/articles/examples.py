"""The two real example files and the articles they hold, shared by the section tests."""

from __future__ import annotations

from pathlib import Path

from bot.domain.articles import QA, Analysis, Article, Connection, Entity, EntityKind, Graph

DATA = Path(__file__).resolve().parents[2] / "data" / "articles"
FULL_FILE = DATA / "zelensky-energy-ministers.txt"
FULL_TEXT = FULL_FILE.read_text(encoding="utf-8")
SIMPLE_FILE = DATA / "energy-strikes-kyiv.txt"

PERSON, ORGANISATION, OTHER = EntityKind.PERSON, EntityKind.ORGANISATION, EntityKind.OTHER
ZELENSKY = Entity("Volodymyr Zelensky", "President of Ukraine since 2019.")
UKRENERGO = Entity("Ukrenergo", "Ukrainian state-owned electricity transmission system operator.")
FULL_GRAPH = Graph(
    "Volodymyr Zelensky",
    (
        Connection("Donald Trump", PERSON, 14),
        Connection("Kyiv", OTHER, 9),
        Connection("Ukrenergo", ORGANISATION, 4),
        Connection("European Union", OTHER, 3),
        Connection("Vladimir Putin", PERSON, 3),
    ),
)
FULL_ANALYSIS = Analysis(
    why_it_matters="Winter grid stability decides whether millions of people keep heat and water.",
    context=(
        "Russia has struck Ukraine's energy system in waves since October 2022.",
        "EU states have supplied equipment through the Ukraine Energy Support Fund.",
    ),
    what_next="Ministers will meet again in January to review deliveries.",
    faq=(
        QA(
            "How much of the grid is restored?",
            "About 40% of damaged substations, according to Ukrenergo.",
        ),
    ),
)
FULL = Article(
    title="Zelensky Meets Energy Ministers as Grid Repairs Race Winter",
    tags=("Kyiv", "Volodymyr Zelensky", "Ukrenergo", "Power grid", "Energy infrastructure"),
    takeaways=(
        "Zelensky met energy ministers from five EU states to coordinate emergency equipment "
        "deliveries.",
        "Ukrenergo says 40% of damaged high-voltage substations have been restored since October.",
    ),
    retelling=(
        "President Volodymyr Zelensky hosted energy ministers from five European Union member "
        "states in Kyiv on Monday to coordinate deliveries of transformers and mobile generators.",
        "Ukrenergo, the national grid operator, said crews had restored roughly 40 percent of the "
        "high-voltage substations damaged since October.",
    ),
    themes=("Energy Security", "Diplomacy", "War"),
    related=(ZELENSKY, UKRENERGO),
    graph=FULL_GRAPH,
    entities=(ZELENSKY, UKRENERGO),
    analysis=FULL_ANALYSIS,
    original=(
        "KYIV, Dec 7 - President Volodymyr Zelensky met energy ministers from five European "
        "Union member states on Monday...",
    ),
    source="https://www.example-news.com/world/zelensky-energy-ministers-grid",
)

MINIMAL = "Title\n📌 Key Takeaways\n- One point.\n📖 Full Retelling\nOne paragraph.\n"
BASE = Article(title="Title", tags=(), takeaways=("One point.",), retelling=("One paragraph.",))
