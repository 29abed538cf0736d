"""The sample article file and what it parses to, shared by the article parser's tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from bot.domain.articles import GRAPH_HEADER, Article

DATA = Path(__file__).resolve().parents[2] / "data" / "articles"
SAMPLE_FILE = DATA / "danube-grain-barges.txt"
SAMPLE_TEXT = SAMPLE_FILE.read_text(encoding="utf-8")
SAMPLE_JSONL = DATA / "articles.jsonl"

EXPECTED = Article(
    title="Drought Strands Danube Grain Barges as River Falls to Record Low Near Izmail",
    tags=(
        "Danube",
        "Ізмаїл",
        "Grain exports",
        "Low-water shipping",
        "Black Sea",
        "EU-Ukraine trade",
        "Climate change",
    ),
    takeaways=(
        "Water levels on the lower Danube fell to the lowest point recorded since measurements "
        "began, halting most barge traffic near Izmail.",
        "More than 300 grain barges are waiting at anchor, and exporters warn of contract "
        "penalties if the delays last into next month.",
        "River authorities in Romania & Ukraine have started emergency dredging, but forecasters "
        "expect no significant rain for two weeks.",
        "The stoppage puts pressure on the Black Sea corridor, which now carries most of the "
        "region's grain on its own.",
    ),
    retelling=(
        "Barge traffic on the lower Danube came almost to a standstill on Tuesday after weeks of "
        "drought pushed the river to its lowest level on record near the Ukrainian port of "
        "Izmail. Harbour officials said the depth of the main channel had dropped below the 2.5 "
        "metres that fully loaded grain barges need, forcing operators either to wait at anchor "
        "or to sail with a third of their usual cargo. Shipping agents counted more than 300 "
        "barges waiting between Izmail and the Romanian port of Sulina by the end of the day.",
        "The delays come at the height of the harvest season, when Ukrainian and Moldovan "
        "exporters rely on the river to move wheat, maize and sunflower seeds to ports on the "
        'Black Sea. "Every day at anchor costs us money we will not get back," said the head of '
        "a grain traders' association in Odesa, adding that buyers in Egypt and Turkey had "
        "already asked about postponing deliveries. Freight rates for the short river stretch "
        "have nearly doubled in a week, according to brokers.",
        "Romanian and Ukrainian river authorities have started emergency dredging at the "
        "shallowest points of the channel, working around the clock with four dredgers borrowed "
        "from ports upstream. Engineers caution that dredging can only keep a narrow lane open "
        "and cannot make up for the missing water. National weather services in both countries "
        "expect no significant rain over the Danube basin for at least two more weeks, and water "
        "levels upstream in Hungary and Serbia are also falling.",
        "Analysts say the stoppage shows how much the region's grain trade now depends on a few "
        "routes. With the river slowed, more cargo is being sent by rail to Romania's port of "
        "Constanța & by road to Polish terminals, both of which were already near capacity. "
        "Climate researchers note that three of the last five summers have brought record-low "
        "water on the Danube, and they warn that low-water shipping may become a regular feature "
        "of the harvest season rather than a rare emergency.",
    ),
    themes=("Trade", "Climate", "Food Security", "Logistics"),
    entity_graph=(
        "Danube ↔ Grain exports: 4 shared articles\nІзмаїл ↔ Black Sea: 2 shared articles"
    ),
)

MINIMAL = """Minimal title
📌 Key Takeaways
- One point.
📖 Full Retelling
One paragraph.
"""
MINIMAL_ARTICLE = Article(
    title="Minimal title", tags=(), takeaways=("One point.",), retelling=("One paragraph.",)
)


def before_graph(transform: Callable[[str], str]) -> Callable[[str], str]:
    """Apply a line transform to the sample up to the graph, whose free text keeps its lines."""

    def apply(text: str) -> str:
        head, graph = text.split(GRAPH_HEADER)
        return transform(head) + GRAPH_HEADER + graph

    return apply


def each_line(change: Callable[[str], str]) -> Callable[[str], str]:
    return lambda text: "\n".join(change(line) for line in text.split("\n"))
