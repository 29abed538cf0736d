"""Send: one message per claimed delivery through the flood budget, and the policy that turns
every way a send can end (Telegram's errors among them) into an outcome for the ledger."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import httpx
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import ExtBot

from bot.domain.deliveries import (
    Delivery,
    DeliveryKind,
    DeliveryState,
    InactiveReason,
    Outcome,
    Priority,
    inactive_reason,
)
from bot.domain.messages import Message
from bot.runtime import metrics
from bot.runtime.config import DeliverySettings
from handlers.messages import send

log = logging.getLogger(__name__)

# Causes of a NetworkError that mean the request never reached Telegram.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(slots=True)
class Effects:
    """What sends taught about chats, applied with the batch's outcomes."""

    inactive: dict[int, InactiveReason] = field(default_factory=dict)
    migrated: dict[int, int] = field(default_factory=dict)
    unreachable: bool = False


class Sender:
    """Sends composed deliveries and says how each send ended (see the delivery package)."""

    def __init__(self, settings: DeliverySettings, clock: Callable[[], datetime]) -> None:
        self._timeout = settings.timeout_seconds
        self._max_attempts = settings.max_attempts
        self._clock = clock

    async def send_all(
        self,
        bot: ExtBot[None],
        batch: Sequence[Delivery],
        contents: dict[int, Message],
        effects: Effects,
        limit: asyncio.Semaphore,
    ) -> list[Outcome]:
        """Send a batch, at most `limit` at a time; return the outcomes in batch order."""

        async def one(delivery: Delivery) -> Outcome:
            content = contents.get(delivery.id)
            if content is None:
                return Outcome(delivery.id, DeliveryState.EMPTY)
            async with limit:
                outcome = await self._send(bot, delivery, content, effects)
            if outcome.state is DeliveryState.SENT:
                metrics.message_sent(delivery.kind.value)
                self._observe_lag(delivery)
            elif outcome.requeue:
                metrics.message_failed("requeued")
            elif outcome.state in {DeliveryState.FAILED, DeliveryState.AMBIGUOUS}:
                metrics.message_failed(outcome.state.value)
            return outcome

        return list(await asyncio.gather(*(one(delivery) for delivery in batch)))

    def _observe_lag(self, delivery: Delivery) -> None:
        # A scheduled digest's span ends at its slot; one asked for with /digest now has no
        # slot to be late for.
        if (
            delivery.kind is DeliveryKind.DIGEST
            and delivery.priority is not Priority.INTERACTIVE
            and delivery.span_end is not None
        ):
            metrics.digest_lag((self._clock() - delivery.span_end).total_seconds())

    async def _send(
        self, bot: ExtBot[None], delivery: Delivery, content: Message, effects: Effects
    ) -> Outcome:
        """Send one message; turn every way it can end into an outcome for the ledger."""
        chat_id = effects.migrated.get(delivery.chat_id, delivery.chat_id)
        if delivery.retried_ambiguous:
            log.info(
                "sending delivery %d again after an unanswered attempt (policy: resend)",
                delivery.id,
            )
        priority = None if delivery.priority is Priority.INTERACTIVE else int(delivery.priority)
        try:
            message = await send(
                bot,
                chat_id,
                content,
                read_timeout=self._timeout,
                write_timeout=self._timeout,
                # The flood budget this bot is built with (bot.runtime.flood) reads a priority.
                rate_limit_args=priority,
            )
        except TelegramError as error:
            return self._failed(delivery, error, effects)
        return Outcome(delivery.id, DeliveryState.SENT, message_id=message.message_id)

    def _failed(self, delivery: Delivery, error: TelegramError, effects: Effects) -> Outcome:
        """The outcome of a send Telegram refused or left unanswered."""
        if isinstance(error, RetryAfter):
            # The flood budget already waited and retried; the ledger keeps the row for later.
            return Outcome(delivery.id, DeliveryState.PLANNED, requeue=True)
        if isinstance(error, ChatMigrated):
            effects.migrated[delivery.chat_id] = error.new_chat_id
            return Outcome(delivery.id, DeliveryState.PLANNED, requeue=True)
        if isinstance(error, Forbidden):
            effects.inactive[delivery.chat_id] = inactive_reason(error.message)
            return Outcome(delivery.id, DeliveryState.FAILED, error=error.message)
        if isinstance(error, BadRequest):
            if "chat not found" in error.message.lower():
                effects.inactive[delivery.chat_id] = InactiveReason.NOT_FOUND
            else:
                log.error("Telegram refused delivery %d: %s", delivery.id, error.message)
            return Outcome(delivery.id, DeliveryState.FAILED, error=error.message)
        if isinstance(error, (TimedOut, NetworkError)):
            if isinstance(error.__cause__, _NOT_SENT):
                effects.unreachable = True
                return Outcome(delivery.id, DeliveryState.PLANNED, requeue=True)
            state = (
                DeliveryState.AMBIGUOUS
                if delivery.attempts < self._max_attempts
                else DeliveryState.FAILED
            )
            log.warning(
                "no answer for delivery %d (attempt %d of %d): %s",
                delivery.id,
                delivery.attempts,
                self._max_attempts,
                error,
            )
            return Outcome(delivery.id, state, error=f"no answer: {error}")
        log.error("delivery %d failed: %s", delivery.id, error)
        return Outcome(delivery.id, DeliveryState.FAILED, error=str(error))
