"""/digest, /timezone and /alerts as a person uses them, with their buttons."""

from __future__ import annotations

from datetime import timedelta

from bot.domain.deliveries import ChatSchedule
from tests.driver import ALICE, MONDAY, article, titles_in
from tests.handlers.conftest import Bot, buttons

SLOT = MONDAY + timedelta(hours=6)  # 08:00 in Kyiv
GROUP = -7001
ADMIN = 7002
MEMBER = 7003


async def schedule(bot: Bot, chat_id: int = ALICE) -> ChatSchedule:
    async with bot.db.transaction() as repos:
        found = await repos.schedules.get(chat_id, "Europe/Kyiv", 8 * 60)
    assert found is not None
    return found


async def test_digest_alone_shows_the_setting_with_buttons(bot: Bot) -> None:
    bot.clock.set(MONDAY + timedelta(hours=8))  # 10:00 in Kyiv
    (reply,) = await bot.send("/digest")
    assert reply.text.splitlines()[:4] == [
        "📰 Daily digest at 08:00 local time.",
        "Time zone: Europe/Kyiv (UTC+02:00, now 10:00).",
        "Next digest: Tue 24 Nov, 08:00.",
        "Alerts: off (/alerts).",
    ]
    assert buttons(reply) == [
        "07:00",
        "✓ 08:00",
        "09:00",
        "12:00",
        "18:00",
        "21:00",
        "🔕 Off",
        "📨 Send now",
    ]
    answer, new = await bot.press(reply, text="09:00")
    # The panel itself shows the new setting; nothing new is posted.
    assert new == []
    assert answer is not None
    assert answer["text"] == "✅ Daily digest at 09:00."
    panel = bot.current(reply)
    assert panel.text.splitlines()[:3] == [
        "📰 Daily digest at 09:00 local time.",
        "Time zone: Europe/Kyiv (UTC+02:00, now 10:00).",
        "Next digest: Tue 24 Nov, 09:00.",
    ]
    assert buttons(panel)[:3] == ["07:00", "08:00", "✓ 09:00"]
    assert (await schedule(bot)).digest_minute == 9 * 60


async def test_pressing_off_twice_edits_the_panel_and_sends_nothing_new(bot: Bot) -> None:
    (panel,) = await bot.send("/digest")
    answer, new = await bot.press(panel, text="🔕 Off")
    assert new == []
    assert answer is not None
    assert answer["text"] == "🔕 Daily digest off."
    shown = bot.current(panel)
    assert shown.text.startswith("📰 Daily digest: off.")
    assert "✓ 08:00" not in buttons(shown)
    assert buttons(shown)[-2:] == ["✓ Off", "📨 Send now"]
    # The same button again: a notice, the panel stays, nothing is sent.
    answer, new = await bot.press(shown, data="dg:t:off")
    assert new == []
    assert answer is not None
    assert answer["text"] == "The daily digest is already off."
    assert bot.current(panel).text == shown.text
    assert not (await schedule(bot)).digest_enabled
    # Back on from the same panel.
    answer, new = await bot.press(shown, text="07:00")
    assert new == []
    assert buttons(bot.current(panel))[0] == "✓ 07:00"


async def test_a_double_tap_on_off_changes_the_setting_once(bot: Bot) -> None:
    (panel,) = await bot.send("/digest")
    taps = [
        bot.api.press_button(ALICE, panel.message_id, text="🔕 Off", deliver=False)
        for _ in range(2)
    ]
    for tap in taps:
        await bot.deliver_update(tap)
    answers = [bot.api.callback_answer(tap["callback_query"]["id"]) for tap in taps]
    assert [a["text"] if a else None for a in answers] == [
        "🔕 Daily digest off.",
        "The daily digest is already off.",
    ]
    assert len(bot.pushed(ALICE)) == 1
    assert len(bot.api.calls_to("editMessageText")) == 1


async def test_digest_time_off_and_on_again(bot: Bot) -> None:
    await bot.chat(ALICE, ["Kyiv"])
    (reply,) = await bot.send("/digest 7:30")
    assert (
        reply.text
        == "✅ Your daily digest comes at 07:30 (Europe/Kyiv).\nNext: Mon 23 Nov, 07:30."
    )
    (reply,) = await bot.send("/digest off")
    assert reply.text.startswith("🔕 Daily digest off.")
    assert not (await schedule(bot)).digest_enabled
    await bot.ingest(article("News", "Kyiv"), at=SLOT - timedelta(hours=1))
    bot.clock.set(SLOT)
    await bot.tick()
    assert bot.digests(ALICE) == []
    (reply,) = await bot.send("/digest 08:30")
    assert reply.text.endswith("Next: Mon 23 Nov, 08:30.")
    bot.clock.set(SLOT + timedelta(minutes=30))
    await bot.tick()
    assert [titles_in(d) for d in bot.digests(ALICE)] == [["News"]]


async def test_digest_with_nonsense_explains_itself(bot: Bot) -> None:
    (reply,) = await bot.send("/digest tomorrow-ish")
    assert reply.text.startswith("I didn't understand “tomorrow-ish”.")
    assert "/digest 08:00" in reply.text


async def test_the_send_now_button_sends_the_digest(bot: Bot) -> None:
    await bot.chat(ALICE, ["Kyiv"])
    await bot.ingest(article("Fresh", "Kyiv"), at=MONDAY)
    bot.clock.set(MONDAY + timedelta(hours=1))
    (settings,) = await bot.send("/digest")
    _, new = await bot.press(settings, text="📨 Send now")
    assert [titles_in(m) for m in new] == [["Fresh"]]
    # The panel now shows tomorrow's digest; pressed again, a notice and nothing sent.
    assert "Next digest: Tue 24 Nov, 08:00." in bot.current(settings).text
    answer, new = await bot.press(settings, text="📨 Send now")
    assert new == []
    assert answer is not None
    assert answer["text"] == "📭 Nothing new on your topics."


async def test_timezone_suggests_for_near_misses_and_accepts_offsets(bot: Bot) -> None:
    await bot.chat(ALICE, ["Kyiv"])
    (reply,) = await bot.send("/timezone Kiev")
    assert reply.text == "🤷 I don't know the time zone “Kiev”. Did you mean:"
    assert buttons(reply) == ["Europe/Kyiv"]
    _, new = await bot.press(reply, text="Europe/Kyiv")
    # The suggestions become the answer: no button is left to press again.
    assert new == []
    answer = bot.current(reply)
    assert answer.text.startswith("✅ Time zone set to Europe/Kyiv (UTC+02:00, now 02:00).")
    assert answer.buttons() == []
    (reply,) = await bot.send("/timezone America/New_York")
    assert reply.text == (
        "✅ Time zone set to America/New_York (UTC-05:00, now 19:00).\n"
        "Your digest comes at 08:00 local time; next: Mon 23 Nov, 08:00."
    )
    assert (await schedule(bot)).due_at == MONDAY + timedelta(hours=13)
    (reply,) = await bot.send("/timezone UTC+2")
    assert reply.text.startswith("✅ Time zone set to UTC+02:00 (now 02:00).")
    (reply,) = await bot.send("/timezone")
    assert reply.text.startswith("🕰 Time zone: UTC+02:00 (now 02:00).")
    (reply,) = await bot.send("/timezone UTC+15")
    assert reply.text.startswith("🤷 an offset runs from UTC-12:00 to UTC+14:00.")
    (reply,) = await bot.send("/timezone Atlantis/Capital")
    assert reply.text.startswith("🤷 I don't know the time zone “Atlantis/Capital”.")


async def test_alerts_on_and_off(bot: Bot) -> None:
    (reply,) = await bot.send("/alerts")
    assert reply.text.startswith("🔕 Alerts are off")
    answer, new = await bot.press(reply, text="🔔 Turn on")
    assert new == []
    assert answer is not None
    assert answer["text"] == "🔔 Alerts on."
    panel = bot.current(reply)
    assert panel.text.startswith("🔔 Alerts are on")
    assert buttons(panel) == ["🔕 Turn off"]
    assert (await schedule(bot)).alerts
    # An older panel's "Turn on" changes nothing more.
    (older,) = [m for m in bot.api.messages(ALICE) if m.message_id == reply.message_id]
    answer, new = await bot.press(older, text="🔕 Turn off")
    assert answer is not None
    assert answer["text"] == "🔕 Alerts off."
    (reply,) = await bot.send("/alerts on")
    (reply,) = await bot.send("/alerts off")
    assert reply.text == "🔕 Alerts off: new articles wait for your digest."
    (reply,) = await bot.send("/alerts maybe")
    assert reply.text == "Use /alerts on or /alerts off."


async def test_in_a_group_only_admins_change_the_digest(bot: Bot) -> None:
    bot.api.add_chat(GROUP, "group", title="Newsroom")
    bot.api.make_admin(GROUP, ADMIN)
    bot.api.add_user(MEMBER)
    (reply,) = await bot.send("/digest 9:00", chat_id=GROUP, user_id=MEMBER)
    assert reply.text.startswith("Only admins of this chat can change its digest")
    (reply,) = await bot.send("/digest@digestbot_test_bot 9:00", chat_id=GROUP, user_id=ADMIN)
    assert reply.text.startswith("✅ Your daily digest comes at 09:00")
    # Anyone may look.
    (reply,) = await bot.send("/digest", chat_id=GROUP, user_id=MEMBER)
    assert reply.text.startswith("📰 Daily digest at 09:00 local time.")
    answer, new = await bot.press(reply, text="🔕 Off", user_id=MEMBER)
    assert answer is not None
    assert answer["text"].startswith("Only admins of this chat can change its digest")
    assert new == []
    assert (await schedule(bot, GROUP)).digest_enabled


async def test_start_states_the_morning_digest_and_help_lists_the_commands(bot: Bot) -> None:
    (greeting,) = await bot.send("/start")
    assert (
        "📰 Every day at 08:00 (Europe/Kyiv) you get a digest of what arrived on your topics; "
        "alerts are off. Change them with /digest, /timezone and /alerts." in greeting.text
    )
    assert "or just type what you're looking for" in greeting.text
    (help_text,) = await bot.send("/help")
    for command in ("/topic", "/subscribe", "/unsubscribe", "/subscriptions", "/digest"):
        assert command in help_text.text
    for command in ("/timezone", "/alerts", "/start", "/help"):
        assert command in help_text.text
    assert "Or just type what you're looking for" in help_text.text


async def test_start_and_help_state_the_chats_real_settings(bot: Bot) -> None:
    await bot.send("/timezone America/New_York")
    await bot.send("/digest off")
    await bot.send("/alerts on")
    (greeting,) = await bot.send("/start")
    expected = (
        "📰 Your daily digest is off (time zone America/New_York); alerts are on: each new "
        "article comes as it arrives. Change them with /digest, /timezone and /alerts."
    )
    assert expected in greeting.text
    assert "08:00" not in greeting.text
    (help_text,) = await bot.send("/help")
    assert expected in help_text.text
    await bot.send("/digest 07:30")
    (greeting,) = await bot.send("/start")
    assert "📰 Every day at 07:30 (America/New_York) you get a digest" in greeting.text
