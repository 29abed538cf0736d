"""The daily digest as a person gets it: at their local time, exactly the span since the last
one, ranked, with buttons; /digest now; silence when nothing is new; alerts instead."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.domain.deliveries import DeliveryState
from storage.models import DeliveryRow
from tests.delivery.conftest import ALICE, BOB, MONDAY, Bot, article, titles_in

MON_SLOT = MONDAY + timedelta(hours=6)  # 08:00 in Kyiv
TUE_SLOT = MON_SLOT + timedelta(days=1)


async def ledger(bot: Bot, chat_id: int) -> list[DeliveryRow]:
    async with bot.db.transaction() as repos:
        rows = await repos.session.scalars(
            select(DeliveryRow).where(DeliveryRow.chat_id == chat_id).order_by(DeliveryRow.id)
        )
        return list(rows)


# Long for a reason: one scenario told start to finish, each step relying on the one before.
async def test_digest_comes_at_local_time_with_its_exact_span_ranked_with_buttons(
    bot: Bot,
) -> None:
    await bot.chat(ALICE, ["Kyiv", "Power grid"])
    await bot.tick()  # works out Alice's first slot: 08:00 Kyiv, 06:00 UTC
    lookback_start = MON_SLOT - timedelta(hours=24)
    await bot.ingest(article("Too old", "Kyiv"), at=lookback_start - timedelta(microseconds=1))
    await bot.ingest(article("First in the span", "Kyiv"), at=lookback_start)
    await bot.ingest(
        article("Matches both", "Kyiv", "Power grid"), at=lookback_start + timedelta(hours=4)
    )
    await bot.ingest(article("Newer", "Kyiv"), at=MON_SLOT - timedelta(hours=1))
    await bot.ingest(article("Not followed", "Sports"), at=MON_SLOT - timedelta(hours=2))
    last = MON_SLOT - timedelta(microseconds=1)
    await bot.ingest(article("Last moment <b>&</b>", "Power grid"), at=last)
    await bot.ingest(article("At the slot", "Kyiv"), at=MON_SLOT)

    bot.clock.set(MON_SLOT - timedelta(minutes=1))
    await bot.tick()
    assert bot.digests(ALICE) == []

    bot.clock.set(MON_SLOT)
    await bot.tick()
    (digest,) = bot.digests(ALICE)
    assert digest.text.startswith("📰 Your digest: 4 new articles since Sun 22 Nov, 08:00")
    # Most matching labels first, then newest first.
    assert titles_in(digest) == [
        "Matches both",
        "Last moment <b>&</b>",
        "Newer",
        "First in the span",
    ]
    assert "Matches both: the first takeaway." in digest.text
    assert "#Kyiv · #Power_grid" in digest.text
    async with bot.db.transaction() as repos:
        ids = {s.article.title: s.id for s in await repos.articles.search("Kyiv", limit=20)}
        ids.update(
            {s.article.title: s.id for s in await repos.articles.search("Power grid", limit=20)}
        )
    assert [b["text"] for b in digest.buttons()] == ["1", "2", "3", "4"]
    assert [b["callback_data"] for b in digest.buttons()] == [
        f"dg:o:{ids[title]}" for title in titles_in(digest)
    ]

    # A button opens the article's card as a new message.
    answer, (card,) = await bot.press(digest, text="2")
    assert answer is not None
    assert card.text.startswith("Last moment <b>&</b>")
    # Its short retelling is in the card, as a quote Telegram opens in the app.
    assert any(e["type"] == "expandable_blockquote" for e in card.entities)

    # The same tick again sends nothing more.
    await bot.tick()
    assert len(bot.digests(ALICE)) == 1

    # The next digest starts exactly where this one ended.
    bot.clock.set(TUE_SLOT)
    await bot.tick()
    assert [titles_in(d) for d in bot.digests(ALICE)][1] == ["At the slot"]
    rows = [row for row in await ledger(bot, ALICE) if row.kind == "digest"]
    assert [(r.span_start, r.span_end, r.state) for r in rows] == [
        (lookback_start, MON_SLOT, "sent"),
        (MON_SLOT, TUE_SLOT, "sent"),
    ]


async def test_more_shows_the_rest_of_a_long_digest(bot: Bot) -> None:
    await bot.chat(ALICE, ["Kyiv"])
    await bot.tick()
    for number in range(14):
        await bot.ingest(
            article(f"Story {number:02d}", "Kyiv", takeaway="word " * 40),
            at=MON_SLOT - timedelta(hours=14 - number),
        )
    bot.clock.set(MON_SLOT)
    await bot.tick()
    (digest,) = bot.digests(ALICE)
    assert titles_in(digest) == [f"Story {n:02d}" for n in range(13, 3, -1)]
    assert "…and 4 more: tap More." in digest.text
    assert digest.buttons()[-1]["text"] == "More (4) ▸"
    _, new = await bot.press(digest, text="More (4) ▸")
    # The next page takes the first one's place: nothing new is posted.
    assert new == []
    page = bot.current(digest)
    assert page.text.startswith("📰 Your digest, continued (11–14 of 14)")
    assert titles_in(page) == ["Story 03", "Story 02", "Story 01", "Story 00"]
    assert [b["text"] for b in page.buttons()] == ["11", "12", "13", "14", "◂ Back"]
    _, new = await bot.press(page, text="◂ Back")
    assert new == []
    assert bot.current(digest).text == digest.text
    assert bot.current(digest).buttons()[-1]["text"] == "More (4) ▸"


async def test_the_digests_more_cannot_repeat(bot: Bot) -> None:
    await bot.chat(ALICE, ["Kyiv"])
    await bot.tick()
    for number in range(12):
        await bot.ingest(
            article(f"Story {number:02d}", "Kyiv"), at=MON_SLOT - timedelta(hours=12 - number)
        )
    bot.clock.set(MON_SLOT)
    await bot.tick()
    (digest,) = bot.digests(ALICE)
    # Pressed twice before the first press is answered, as a quick double tap does.
    taps = [
        bot.api.press_button(ALICE, digest.message_id, text="More (2) ▸", deliver=False)
        for _ in range(2)
    ]
    for tap in taps:
        await bot.deliver_update(tap)
    answers = [bot.api.callback_answer(tap["callback_query"]["id"]) for tap in taps]
    assert answers[1] is not None
    assert answers[1]["text"] == "This page is already shown."
    assert bot.digests(ALICE) == [bot.current(digest)]
    page = bot.current(digest)
    assert titles_in(page) == ["Story 01", "Story 00"]
    # The page shown has no More: there is nothing further to press.
    assert "More (2) ▸" not in [b["text"] for b in page.buttons()]


async def test_the_ledger_forgets_old_digests_and_keeps_recent_ones(bot: Bot) -> None:
    await bot.chat(ALICE, ["Kyiv"])
    await bot.tick()

    async def long_digest(slot: Any, name: str) -> Any:
        for number in range(12):
            await bot.ingest(
                article(f"{name} {number:02d}", "Kyiv"), at=slot - timedelta(hours=12 - number)
            )
        bot.clock.set(slot)
        await bot.tick()
        digest = bot.digests(ALICE)[-1]
        assert digest.buttons()[-1]["text"] == "More (2) ▸"
        return digest

    old = await long_digest(MON_SLOT, "Old")
    # DELIVERY__KEEP_DAYS is 30: a digest finished 29 days ago is kept.
    bot.clock.set(MON_SLOT + timedelta(days=29))
    assert await bot.pipeline.prune() == 0
    recent = await long_digest(MON_SLOT + timedelta(days=31), "Recent")
    assert await bot.pipeline.prune() >= 1

    answer, new = await bot.press(old, text="More (2) ▸")
    assert answer is not None
    assert answer["text"] == "That is all there was in this digest."
    assert new == []
    _, new = await bot.press(recent, text="More (2) ▸")
    assert new == []
    assert titles_in(bot.current(recent)) == ["Recent 01", "Recent 00"]
    async with bot.db.read() as repos:
        states = await repos.ledger.states(ALICE)
    assert states == {"sent": 1}


async def test_digest_now_sends_at_once_and_counts_as_the_days_digest(bot: Bot) -> None:
    await bot.chat(ALICE, ["Kyiv"])
    await bot.tick()
    await bot.ingest(article("Early news", "Kyiv"), at=MON_SLOT - timedelta(hours=3))
    bot.clock.set(MON_SLOT - timedelta(hours=1))  # 07:00 in Kyiv
    (digest,) = await bot.send("/digest now")
    assert titles_in(digest) == ["Early news"]

    # Asked again: nothing new since that digest.
    (reply,) = await bot.send("/digest now")
    assert reply.text == "📭 Nothing new on your topics since Mon 23 Nov, 07:00."

    # 08:00 comes: today's digest was the one asked for, so nothing is sent...
    await bot.ingest(article("Later news", "Kyiv"), at=MON_SLOT - timedelta(minutes=30))
    bot.clock.set(MON_SLOT)
    await bot.tick()
    assert len(bot.digests(ALICE)) == 1
    # ...and tomorrow's covers everything since the one sent on demand.
    bot.clock.set(TUE_SLOT)
    await bot.tick()
    assert titles_in(bot.digests(ALICE)[-1]) == ["Later news"]
    assert bot.digests(ALICE)[-1].text.startswith(
        "📰 Your digest: 1 new article since Mon 23 Nov, 07:00"
    )


async def test_no_message_when_nothing_is_new(bot: Bot) -> None:
    await bot.chat(ALICE, ["Kyiv"])
    await bot.tick()
    await bot.ingest(article("Elsewhere", "Sports"), at=MON_SLOT - timedelta(hours=1))
    bot.clock.set(MON_SLOT)
    await bot.tick()
    assert bot.reports[-1].empty == 1
    assert bot.pushed(ALICE) == []
    assert [(r.kind, r.state) for r in await ledger(bot, ALICE)] == [("digest", "empty")]


async def test_alerts_send_each_matching_article_once_as_a_card(bot: Bot) -> None:
    await bot.chat(BOB, ["Kyiv"], alerts=True)
    await bot.tick()
    bot.clock.set(MONDAY + timedelta(hours=2))
    await bot.ingest(article("Breaking in Kyiv", "Kyiv"), article("Sports results", "Sports"))
    await bot.tick()
    (card,) = bot.pushed(BOB)
    assert card.text.startswith("Breaking in Kyiv")
    assert card.buttons() == []
    assert "📖 Full retelling" in card.text
    await bot.tick()
    bot.clock.set(MON_SLOT)
    await bot.tick()  # the digest would hold only the alerted article: none is sent
    assert len(bot.pushed(BOB)) == 1
    assert [(r.kind, r.state) for r in await ledger(bot, BOB)] == [
        ("alert", "sent"),
        ("digest", "empty"),
    ]


async def test_no_article_is_both_an_alert_and_in_a_digest(bot: Bot) -> None:
    await bot.chat(ALICE, ["Kyiv"])
    await bot.tick()
    titles = []

    async def arrive(title: str, at_hours: float) -> None:
        bot.clock.set(MONDAY + timedelta(hours=at_hours))
        await bot.ingest(article(title, "Kyiv"))
        titles.append(title)
        await bot.tick()

    await arrive("Before alerts", 1)
    bot.clock.set(MONDAY + timedelta(hours=1, minutes=30))
    await bot.send("/alerts on")
    await arrive("Alerted one", 2)
    # Ingested before the digest slot but only planned after it: the digest has it.
    await bot.ingest(article("Just before the slot", "Kyiv"), at=MON_SLOT - timedelta(seconds=1))
    titles.append("Just before the slot")
    bot.clock.set(MON_SLOT)
    await bot.tick()
    await arrive("After the digest", 7)
    await bot.send("/alerts off")
    await arrive("Alerts off again", 8)
    bot.clock.set(TUE_SLOT)
    await bot.tick()

    alerted = [
        m.text.split("\n", 1)[0] for m in bot.pushed(ALICE) if "📖 Full retelling" in m.text
    ]
    digested = [title for d in bot.digests(ALICE) for title in titles_in(d)]
    assert sorted(alerted) == ["After the digest", "Alerted one"]
    assert digested == ["Just before the slot", "Before alerts", "Alerts off again"]
    assert sorted(alerted + digested) == sorted(titles)


async def test_ledger_states_after_a_run(bot: Bot) -> None:
    await bot.chat(ALICE, ["Kyiv"])
    await bot.tick()
    await bot.ingest(article("One", "Kyiv"), at=MON_SLOT - timedelta(hours=1))
    bot.clock.set(MON_SLOT)
    await bot.tick()
    async with bot.db.transaction() as repos:
        assert await repos.ledger.states() == {DeliveryState.SENT.value: 1}
        assert await repos.ledger.pending() == 0


async def test_ingesting_files_queues_alerts(bot: Bot, tmp_path: Path) -> None:
    from bot.domain.articles import format_article
    from ingest.pipeline import ingest

    await bot.chat(BOB, ["Kyiv"], alerts=True)
    (tmp_path / "news.txt").write_text(format_article(article("From a file", "Kyiv")))
    report = await ingest(bot.db, [str(tmp_path)], bot.clock)
    assert report.new == 1
    await bot.tick()
    assert [m.text.split("\n", 1)[0] for m in bot.pushed(BOB)] == ["From a file"]


def test_the_tick_is_one_repeating_job_that_runs_late_rather_than_never(bot: Bot) -> None:
    assert bot.app.job_queue is not None
    (job,) = bot.app.job_queue.get_jobs_by_name("digest-tick")
    assert job.job.trigger.interval == timedelta(seconds=30)
    assert job.job.misfire_grace_time is None  # however late
    assert job.job.coalesce  # several missed runs run once
    assert job.job.max_instances == 1


@pytest.fixture
def overrides(request: pytest.FixtureRequest) -> dict[str, Any]:
    marker = request.node.get_closest_marker("settings")
    return dict(marker.kwargs) if marker else {}


@pytest.mark.settings(digest={"send_empty": True})
async def test_a_setting_sends_nothing_new_instead_of_silence(bot: Bot) -> None:
    await bot.chat(ALICE, ["Kyiv"])
    await bot.tick()
    bot.clock.set(MON_SLOT)
    await bot.tick()
    (message,) = bot.pushed(ALICE)
    assert message.text == "📭 Nothing new on your topics since Sun 22 Nov, 08:00."


@pytest.mark.settings(digest={"settle_seconds": 10})
async def test_digest_now_right_after_an_ingest_includes_the_fresh_article(bot: Bot) -> None:
    await bot.chat(ALICE, ["Kyiv"])
    await bot.tick()
    bot.clock.set(MON_SLOT - timedelta(hours=1))
    # Ingested this very second: a scheduled digest would wait out DIGEST__SETTLE_SECONDS.
    await bot.ingest(article("Fresh news", "Kyiv"))
    (digest,) = await bot.send("/digest now")
    assert titles_in(digest) == ["Fresh news"]
    # Asked again: it is not repeated, and nor is it in the next digest or an alert.
    (reply,) = await bot.send("/digest now")
    assert reply.text.startswith("📭 Nothing new on your topics since")
    bot.clock.advance(seconds=5)
    await bot.ingest(article("Later news", "Kyiv"))
    bot.clock.set(TUE_SLOT + timedelta(seconds=10))
    await bot.tick()
    assert [titles_in(d) for d in bot.digests(ALICE)] == [["Fresh news"], ["Later news"]]


@pytest.mark.settings(digest={"settle_seconds": 10})
async def test_the_scheduled_digest_still_waits_out_the_settle_time(bot: Bot) -> None:
    await bot.chat(ALICE, ["Kyiv"])
    await bot.tick()
    bot.clock.set(MON_SLOT + timedelta(seconds=10))
    await bot.ingest(article("Just in", "Kyiv"), at=MON_SLOT - timedelta(seconds=1))
    await bot.tick()
    assert titles_in(bot.digests(ALICE)[-1]) == ["Just in"]


async def test_digest_now_without_subscriptions_points_to_subscribe(bot: Bot) -> None:
    await bot.ingest(article("Grid news", "Kyiv"), at=MON_SLOT - timedelta(hours=2))
    bot.clock.set(MON_SLOT - timedelta(hours=1))
    (reply,) = await bot.send("/digest now")
    assert reply.text == (
        "📭 This chat follows no topic yet, so there is no digest to send. Follow one with "
        "/subscribe, e.g. /subscribe #Kyiv\n\nOr look at one of the active topics:"
    )
    assert [b["text"] for b in reply.buttons()] == ["🔎 #Kyiv"]
    _, (card,) = await bot.press(reply, text="🔎 #Kyiv")
    assert "Grid news" in card.text
    # It did not count as the day's digest.
    async with bot.db.read() as repos:
        assert await repos.ledger.states(ALICE) == {}
