"""`digestbot bench interactive`: how long people wait for /topic when many ask at once.

The local Bot API runs in a process of its own with Telegram's flood limits; the real bot long
polls it (getUpdates, as in production) with the default flood budget. N people each type
`/topic <label>` at the same moment, then each presses the "More" under the page they got. For
each round the bench prints, from each person's action to the last message of the reply in
their chat, the median, the 95th percentile and the maximum, beside the bound the budget sets
(all the round's messages at FLOOD__RATE) and the 429 answers the server gave. With
--digest-chats a digest run to that many chats is sending at the same time.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from bench.delivery import bench_settings, start_local_api
from bench.population import FIRST_CHAT as FIRST_POPULATED_CHAT
from bench.population import Population, populate, scratch_database
from bot.domain.articles import Article
from sandbox.localapi import FloodLimits
from storage.database import Database

LABELS = ("Kyiv", "Lviv", "Odesa", "Kharkiv", "Dnipro")
# Enough articles per label for a first page and a second one that still offers "More".
ARTICLES_PER_LABEL = 10
FIRST_CHAT = 20_000_000
FIRST_DIGEST_CHAT = FIRST_POPULATED_CHAT  # as bench.population.populate numbers them
# A round ends once nothing was sent to its chats for this long.
QUIET = 20.0
# Methods Telegram's flood limits count (what the bot sends or edits).
_COUNTED = ("sendmessage", "editmessagetext", "editmessagereplymarkup")


@dataclass(slots=True)
class Round:
    """One round: when each chat acted, when its reply ended, what the server saw."""

    name: str
    acted: dict[int, float] = field(default_factory=dict)  # chat -> time.monotonic()
    done: dict[int, float] = field(default_factory=dict)  # chat -> the last reply's arrival
    more: dict[int, tuple[int, str]] = field(default_factory=dict)  # the "More" to press next
    messages: int = 0
    refused: int = 0

    def waits(self) -> list[float]:
        return sorted(self.done[chat] - self.acted[chat] for chat in self.done)


def _percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile of sorted values."""
    return values[max(math.ceil(share * len(values)) - 1, 0)]


def _chat_of(call: dict[str, Any]) -> int | None:
    value = call["params"].get("chat_id")
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _more_button(call: dict[str, Any]) -> tuple[int, str] | None:
    """The "More" button of a message the bot sent, if it has one."""
    from bot.domain.callbacks import PATTERNS  # noqa: PLC0415
    from bot.domain.messages import Action  # noqa: PLC0415

    result = call.get("result")
    if call["method"] != "sendMessage" or not call["ok"] or not isinstance(result, dict):
        return None
    for row in result.get("reply_markup", {}).get("inline_keyboard", []):
        for button in row:
            data = button.get("callback_data", "")
            if PATTERNS[Action.MORE].match(data):
                return int(result["message_id"]), data
    return None


class Server:
    """The local Bot API's control surface, read incrementally."""

    def __init__(self, url: str, client: httpx.AsyncClient) -> None:
        self.url = url
        self.client = client
        self.seen = 0  # calls read so far

    async def control(self, action: str, **kwargs: Any) -> Any:
        response = await self.client.post(f"{self.url}/_local/{action}", json=kwargs)
        response.raise_for_status()
        return response.json()["result"]

    async def new_calls(self) -> list[dict[str, Any]]:
        calls: list[dict[str, Any]] = await self.control("calls", since=self.seen)
        self.seen += len(calls)
        return calls


async def _watch(server: Server, round_: Round, give_up_after: float) -> None:
    """Read the server's calls until every chat of the round has its last reply, or nothing
    was sent to the round's chats for QUIET seconds (a reply that failed never comes)."""
    deadline = time.monotonic() + give_up_after
    progress = time.monotonic()
    while len(round_.done) < len(round_.acted) and time.monotonic() < deadline:
        if time.monotonic() - progress > QUIET:
            break
        for call in await server.new_calls():
            if call["error_code"] == 429:
                round_.refused += 1
            chat = _chat_of(call)
            if chat not in round_.acted or call["method"].lower() not in _COUNTED:
                continue
            progress = time.monotonic()
            if call["ok"]:
                round_.messages += 1
            more = _more_button(call)
            if more is not None and chat not in round_.done:
                # The page's "More" comes with its last message.
                round_.done[chat] = call["at"]
                round_.more[chat] = more
        await asyncio.sleep(0.1)


async def _topic_round(server: Server, chats: list[int], give_up_after: float) -> Round:
    round_ = Round("/topic")
    await server.new_calls()  # start reading from here
    for number, chat in enumerate(chats):
        await server.control("send_text", chat_id=chat, text=f"/topic {LABELS[number % 5]}")
        round_.acted[chat] = time.monotonic()
    await _watch(server, round_, give_up_after)
    return round_


async def _more_round(server: Server, previous: Round, give_up_after: float) -> Round:
    round_ = Round("More")
    await server.new_calls()
    for chat, (message_id, data) in previous.more.items():
        await server.control("press_button", chat_id=chat, message_id=message_id, data=data)
        round_.acted[chat] = time.monotonic()
    await _watch(server, round_, give_up_after)
    return round_


async def _store_articles(db: Database, now: datetime) -> None:
    articles = [
        Article(
            title=f"{label}: story {number}",
            tags=(label,),
            takeaways=(f"What happened in {label}, part {number}.",),
            retelling=("One paragraph.",),
        )
        for label in LABELS
        for number in range(ARTICLES_PER_LABEL)
    ]
    async with db.transaction() as repos:
        await repos.articles.add_many(articles, now - timedelta(hours=1))


def _report(round_: Round, users: int, rate: float) -> None:
    waits = round_.waits()
    bound = round_.messages / rate if rate > 0 else 0.0
    if not waits:
        print(f"{round_.name:<7} no chat got its reply in time; 429 answers: {round_.refused}")
        return
    p95 = _percentile(waits, 0.95)
    print(
        f"{round_.name:<7} users {users:>4}  answered {len(waits):>4} of {users:<4}  messages "
        f"{round_.messages:>5}  p50 {_percentile(waits, 0.5):6.2f} s  p95 {p95:6.2f} s  "
        f"max {waits[-1]:6.2f} s  bound {bound:6.2f} s  p95/bound "
        f"{p95 / bound if bound else float('nan'):5.2f}  429 answers: {round_.refused}"
    )


async def _run(users: int, postgres_url: str | None, digest_chats: int) -> None:
    from bot.app import build_application  # noqa: PLC0415
    from bot.runtime.deps import Deps  # noqa: PLC0415
    from bot.runtime.lifecycle import POLL_TIMEOUT, running  # noqa: PLC0415

    process, url = await start_local_api()
    kind = "postgresql" if postgres_url else "sqlite"
    try:
        async with (
            httpx.AsyncClient(timeout=120) as client,
            scratch_database(kind, postgres_url) as db,
        ):
            server = Server(url, client)
            await server.control("flood", **dataclasses.asdict(FloodLimits.telegram()))
            now = datetime.now(UTC)
            await _store_articles(db, now)
            chats = [FIRST_CHAT + n for n in range(users)]
            if digest_chats:
                await populate(db, Population(digest_chats, 3, 40, 3, 60), now)
                chats_to_add = chats + [FIRST_DIGEST_CHAT + n for n in range(digest_chats)]
            else:
                chats_to_add = chats
            for chat in chats_to_add:
                await server.control("add_chat", chat_id=chat)
            settings = bench_settings(db.url, telegram_api_url=url)
            flood = settings.flood
            print(
                f"cores: {os.cpu_count()}  database: {kind}  local Bot API: {url} (its own "
                f"process, Telegram's flood limits)  budget: FLOOD__RATE={flood.rate:g}/s, "
                f"{', '.join(f'{k}={v}' for k, v in flood.model_dump().items() if k != 'rate')}"
            )
            app = build_application(
                Deps(settings=settings, db=db, clock=lambda: datetime.now(UTC))
            )
            give_up_after = 60.0 + 8.0 * users
            async with running(app, poll_timeout=POLL_TIMEOUT):
                if digest_chats:
                    await _wait_for_digests(server)
                    print(f"a digest run to {digest_chats} chats is sending meanwhile")
                first = await _topic_round(server, chats, give_up_after)
                _report(first, users, flood.rate)
                second = await _more_round(server, first, give_up_after)
                _report(second, users, flood.rate)
                if digest_chats:
                    print("(waiting for the digest run to end before stopping)")
    finally:
        process.terminate()
        await process.wait()


async def _wait_for_digests(server: Server) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        for call in await server.new_calls():
            chat = _chat_of(call)
            if call["method"] == "sendMessage" and chat is not None and chat < FIRST_CHAT:
                return
        await asyncio.sleep(0.1)
    raise SystemExit("the digest run did not start")


def interactive_benchmark(*, users: int, postgres_url: str | None, digest_chats: int = 0) -> int:
    """Print how long people wait for /topic and "More" (see the module doc)."""
    load_before = os.getloadavg()[0]
    asyncio.run(_run(users, postgres_url, digest_chats))
    print(f"load average (1 min): {load_before:.2f} before, {os.getloadavg()[0]:.2f} after")
    return 0
