"""A label followed before any article carries it: the first articles that do arrive as
alerts and in the digest, matched by the label's folded key."""

from __future__ import annotations

from datetime import timedelta

from tests.delivery.conftest import ALICE, MONDAY, Bot, article, titles_in

MON_SLOT = MONDAY + timedelta(hours=6)  # 08:00 in Kyiv


async def test_subscribe_football_before_any_article_then_the_alert(bot: Bot) -> None:
    await bot.chat(ALICE, [], alerts=True)
    await bot.tick()
    (reply,) = await bot.send("/subscribe #Football")
    assert (
        reply.text
        == "🆕 No articles on #Football yet. Follow it? I'll include them when they come."
    )
    answer, new = await bot.press(reply, text="✓ Follow #Football")
    assert answer is not None
    assert answer["text"] == "Subscribed to #Football"
    assert new == []
    bot.clock.set(MONDAY + timedelta(hours=2))
    # Tagged as the article's source spells it; the label folds to the one followed.
    await bot.ingest(article("Cup final tonight", "FOOTBALL"), article("Kyiv news", "Kyiv"))
    await bot.tick()
    (card,) = [m for m in bot.pushed(ALICE) if m.message_id > reply.message_id]
    assert card.text.startswith("Cup final tonight")
    assert "#FOOTBALL" in card.text


async def test_subscribe_football_before_any_article_then_the_digest(bot: Bot) -> None:
    await bot.chat(ALICE, [])
    await bot.tick()  # works out Alice's first slot: 08:00 Kyiv
    (reply,) = await bot.send("/subscribe Football")
    assert reply.text == (
        "🆕 No articles on “Football” yet. Follow it? I'll include them when they come."
    )
    answer, new = await bot.press(reply, text="✓ Follow Football")
    assert answer is not None
    assert answer["text"] == "Subscribed to Football"
    assert new == []
    # Followed as typed, it matches the name as a hashtag and as a theme.
    await bot.ingest(article("Tagged", "Football"), at=MON_SLOT - timedelta(hours=3))
    await bot.ingest(
        article("Themed", "Kyiv", themes=["Football"]), at=MON_SLOT - timedelta(hours=2)
    )
    await bot.ingest(article("Not followed", "Kyiv"), at=MON_SLOT - timedelta(hours=1))
    bot.clock.set(MON_SLOT)
    await bot.tick()
    (digest,) = bot.digests(ALICE)
    assert titles_in(digest) == ["Themed", "Tagged"]
