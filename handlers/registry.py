"""Every handler, registered in one ordered list.

`register` adds them. Per update PTB runs, group by group in
ascending order, the first handler of each group that matches: cross-cutting work sits in
negative groups, so it never keeps an update from the handler that answers it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram import Update
from telegram.ext import (
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from bot.domain.messages import Action
from bot.runtime.deps import Deps
from handlers import start
from handlers.admin import AdminHandlers
from handlers.cards import CardHandlers
from handlers.digests import DigestHandlers
from handlers.errors import on_error
from handlers.fallbacks import fallback_handlers
from handlers.incoming import COMMAND_UPDATES, ChatRecorder, button, command
from handlers.subscriptions import SubscriptionHandlers
from handlers.topics import TopicHandlers

if TYPE_CHECKING:
    from bot.runtime.types import BotApp
    from delivery.pipeline import DeliveryPipeline

# First of all, every update records its chat, so the handlers after it may rely on its row.
RECORD_GROUP = -2
# Chat status: before the commands, so a chat that comes back with /start is active again
# before /start is answered; in a group of its own, so it never takes an update from them.
STATUS_GROUP = -1
# What no other handler takes: a later group (see handlers/fallbacks.py).
FALLBACK_GROUP = 1


def register(app: BotApp, deps: Deps, pipeline: DeliveryPipeline) -> None:
    """Add every handler to the application, in the order they run; /digest now sends
    through `pipeline`."""
    app.add_handler(TypeHandler(Update, ChatRecorder(deps).record), group=RECORD_GROUP)

    digests = DigestHandlers(deps, pipeline)
    app.add_handlers(
        [
            CommandHandler("start", digests.came_back, filters=COMMAND_UPDATES),
            ChatMemberHandler(digests.member_status, ChatMemberHandler.MY_CHAT_MEMBER),
            MessageHandler(filters.StatusUpdate.MIGRATE, digests.migrated),
        ],
        group=STATUS_GROUP,
    )

    admin = AdminHandlers(deps)
    greeting = start.StartHandlers(deps)
    topics = TopicHandlers(deps)
    subs = SubscriptionHandlers(deps)
    cards = CardHandlers(deps)
    # Group 0: at most one of these answers an update; commands and actions never overlap.
    app.add_handlers(
        [
            command("stats", admin.stats, only=admin.operators()),
            command("start", greeting.start),
            command("help", greeting.help),
            button(Action.HELP, greeting.help_button),
            command("topic", topics.topic),
            button(Action.TOPIC, topics.open_topic),
            button(Action.MORE, topics.more),
            button(Action.ACTIVE, topics.active),
            command("subscribe", subs.subscribe),
            command("unsubscribe", subs.unsubscribe),
            command("subscriptions", subs.subscriptions),
            button(Action.SUBSCRIBE, subs.subscribe_button),
            button(Action.FOLLOW, subs.follow_button),
            button(Action.UNSUBSCRIBE, subs.unsubscribe_button),
            button(Action.RETELL, cards.retell),
            button(Action.TAKEAWAYS, cards.takeaways),
            button(Action.NOTHING, cards.nothing),
            command("digest", digests.digest),
            command("timezone", digests.timezone),
            command("alerts", digests.alerts),
            button(Action.DIGEST_OPEN, digests.open_card),
            button(Action.DIGEST_MORE, digests.more),
            button(Action.DIGEST_TIME, digests.time_button),
            button(Action.DIGEST_ZONE, digests.zone_button),
            button(Action.ALERTS, digests.alerts_button),
        ]
    )

    # Unknown commands, plain text and stale buttons: only what nothing above took.
    app.add_handlers(fallback_handlers(deps), group=FALLBACK_GROUP)
    # Last: whatever a handler raises is logged and apologised for.
    app.add_error_handler(on_error)


async def post_init(app: BotApp, deps: Deps) -> None:
    """Run once the bot is connected: register the command menu."""
    await start.set_menu(app)
