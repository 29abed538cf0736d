"""What /topic answers when it searches the articles' text: the line under the cards.

Its "More" button carries only the offset of the next page (`tm:<offset>`); the query is read
back from the text of the message the button is on, which quotes it whole. Nothing is kept
on the server per search, and the button fits Telegram's 64 bytes whatever was asked: a
question may be MAX_QUERY_CHARS long, and its words are not ids. The next page runs the same
search again, so it is as fresh as the first.
"""

from __future__ import annotations

import re

from bot.domain.messages import Action, Button, Message
from bot.domain.search import MAX_QUERY_CHARS
from bot.domain.text import escape

# The first line of the footer, up to the query's closing quote. Greedy: the query itself
# may hold quotes; it never holds a line break (see shown_query). The footer rides on a page's
# last card, so it is found at the start of a line, and the last such line is the footer.
_FIRST_LINE = "🔎 No topic is called “{query}”, so "
_QUERY_BACK = re.compile(r"^🔎 No topic is called “(.*)”, so ", re.MULTILINE)

RESULTS_GONE = "That search is no longer shown. Send it again."


def shown_query(query: str) -> str:
    """Return a query as a footer quotes it: its words one space apart, on one line."""
    return " ".join(query.split())


def text_results(query: str, shown: int, total: int) -> Message:
    """Return the line under a page of free-text results, with "More" if any are left."""
    text = _footer(query, shown, total)
    if shown >= total:
        return Message(text)
    more = Button(f"⏬ More ({total - shown} left)", Action.TEXT_MORE, (shown,))
    return Message(text, ((more,),))


def searched_query(footer: str | None) -> str | None:
    """Return the query a free-text footer quotes (its plain text), or None if it is not one."""
    found = _QUERY_BACK.findall(footer or "")
    return found[-1] if found else None


def query_too_long(length: int) -> Message:
    """Return the answer to a search longer than MAX_QUERY_CHARS."""
    return Message(
        f"That is {length} characters, too long to search. Ask in at most "
        f"{MAX_QUERY_CHARS}: the main words are enough, e.g. /topic grain barges"
    )


def _footer(query: str, shown: int, total: int) -> str:
    best = "here is the best match" if total == 1 else "here are the best matches"
    first = _FIRST_LINE.format(query=escape(shown_query(query)))
    count = "" if total == 1 else f" Showing {shown} of {total}."
    return (
        f"{first}{best} for those words in the articles.{count}\n"
        "For the newest on a topic, try a hashtag, e.g. /topic Kyiv"
    )
