"""The flood budget: every Bot API call the bot makes passes through it.

Telegram answers 429 when a bot sends more than about 30 messages a second overall, more than
about one a second to one chat, or more than 20 a minute to one group. Rather than run into
those limits and back off, the budget hands out the right to send ahead of time:

- at most `rate` messages a second overall, on an even grid (a short burst of two is allowed
  so a late wake-up does not lose its slot), and never more than `rate` (rounded down) in any
  one second as Telegram may count them: a message counts from the moment it is granted until
  a second after its answer, since it reached Telegram somewhere in between. The grid keeps
  the pace even; this window is the hard cap that holds whatever the network, the event loop
  or a change of `rate` does to the timing;
- to one chat, a token bucket: a reply to a person (a /topic page of four messages) goes out
  at once, up to `per_chat_burst` messages, and after a burst one message per
  `per_chat_interval`; a pushed message (digest, alert) keeps the plain pacing: the next one
  only once the previous one was answered and `per_chat_interval` has passed since. The
  bucket refills only while nothing to the chat is in flight, counting from the last answer:
  Telegram counts a message when it arrives, somewhere between our request and its answer,
  so however the network bunches the arrivals, any stretch of them holds no more than the
  burst plus what the bucket earned in between;
- to one group, at most `group_per_minute` in any 61 seconds (a second of margin).

Waiting sends are served by priority (`rate_limit_args`, see `bot.domain.deliveries.Priority`;
none means an interactive reply, which goes first) and then in arrival order, so replies to
people jump ahead of a digest run and digests use whatever the budget has left.

A 429 that comes anyway pauses *all* sending for its `retry_after`, then the request is tried
again; after `max_retries` such answers the RetryAfter goes to the caller (the digest sender
hands the delivery back to the ledger, so nothing is dropped). Calls that send no message
(answerCallbackQuery, getChatMember ...) only wait out such a pause.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
import warnings
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.runtime import metrics

log = logging.getLogger(__name__)

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]
INTERACTIVE = 0
# Grid slots a late dispatcher may catch up on: at most rate + 1 messages in any second.
_BURST = 1
_GROUP_WINDOW = 61.0
# Chats remembered before idle ones are forgotten.
_MAX_CHATS = 10_000
# Rounding of the per-chat bucket (a token earned to within a microsecond is there).
_EPSILON = 1e-6


def _counts(endpoint: str) -> bool:
    """Whether a method sends or edits a message (what Telegram's flood limits count)."""
    lowered = endpoint.lower()
    if lowered == "sendchataction":
        return False
    return lowered.startswith(("send", "edit", "copymessage", "forwardmessage"))


def retry_after_seconds(error: RetryAfter) -> float:
    """Return a RetryAfter's wait in seconds, whichever form python-telegram-bot gives it."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def window(rate: float) -> tuple[int, float]:
    """The hard cap for an overall rate: at most `most` messages in any `seconds`."""
    most = max(int(rate), 1)
    return most, max(1.0, most / rate)


@dataclass(slots=True)
class _ChatState:
    in_flight: int = 0  # granted, not yet answered
    tokens: float = 0.0  # the bucket, as of `since`
    since: float = 0.0  # the bucket refills from here while nothing is in flight
    ready_at: float = 0.0  # the last answer + per_chat_interval: when a pushed message may go
    sent: deque[float] = field(default_factory=deque)  # dispatch times, groups only


@dataclass(slots=True)
class _Waiter:
    priority: int
    order: int
    chat: object
    group: bool
    future: asyncio.Future[None]


@dataclass(slots=True)
class FloodStats:
    """What the budget saw: messages dispatched, 429 answers, time spent paused."""

    dispatched: int = 0
    too_many_requests: int = 0
    paused_seconds: float = 0.0


class FloodBudget(BaseRateLimiter[Any]):
    """A BaseRateLimiter that keeps the bot within Telegram's flood limits (see module doc)."""

    def __init__(
        self,
        *,
        rate: float = 25.0,
        per_chat_interval: float = 1.0,
        per_chat_burst: int = 4,
        group_per_minute: int = 20,
        max_retries: int = 5,
    ) -> None:
        self.rate = rate
        self.per_chat_interval = per_chat_interval
        self.per_chat_burst = max(per_chat_burst, 1)
        self.group_per_minute = group_per_minute
        self.max_retries = max_retries
        self.stats = FloodStats()
        self._limited = rate > 0 or per_chat_interval > 0 or group_per_minute > 0
        self._waiters: list[_Waiter] = []
        self._chats: dict[object, _ChatState] = {}
        self._order = itertools.count()
        self._next_slot = 0.0
        self._in_flight = 0  # granted, not yet answered
        self._answered: deque[float] = deque()  # answer times of the last window
        self._paused_until = 0.0
        self._changed: asyncio.Event | None = None
        self._dispatcher: asyncio.Task[None] | None = None

    def set_rate(self, rate: float) -> None:
        """Change the overall rate while running (this process's share of the bot's budget
        when several processes send: see delivery.heartbeat)."""
        if rate == self.rate:
            return
        self.rate = rate
        self._limited = rate > 0 or self.per_chat_interval > 0 or self.group_per_minute > 0
        self._notify()

    async def initialize(self) -> None:
        """Nothing to set up: the dispatcher starts with the first message that has to wait."""

    async def shutdown(self) -> None:
        """Stop the dispatcher; sends still waiting are cancelled."""
        task, self._dispatcher = self._dispatcher, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for waiter in self._waiters:
            waiter.future.cancel()
        self._waiters.clear()

    async def process_request(  # noqa: PLR0917 - the signature is BaseRateLimiter's
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Any,
    ) -> JSONResult:
        """Wait for the budget, make the request, and pause everything on a 429."""
        chat = data.get("chat_id") if _counts(endpoint) else None
        counted = chat is not None and self._limited
        priority = int(rate_limit_args) if rate_limit_args is not None else INTERACTIVE
        retries = 0
        while True:
            await self._wait_for_pause()
            if counted:
                await self._acquire(chat, priority)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as error:
                self.stats.too_many_requests += 1
                seconds = retry_after_seconds(error)
                self._pause(seconds)
                metrics.flood_paused(seconds)
                retries += 1
                log.warning(
                    "429 from %s: all sending paused for %.1fs (retry %d of %d)",
                    endpoint,
                    seconds,
                    retries,
                    self.max_retries,
                )
                if retries > self.max_retries:
                    raise
            finally:
                if counted:
                    self._release(chat)

    # --- pausing --------------------------------------------------------------------------

    def _pause(self, seconds: float) -> None:
        until = time.monotonic() + max(seconds, 0.0)
        if until > self._paused_until:
            self.stats.paused_seconds += until - max(self._paused_until, time.monotonic())
            self._paused_until = until
        self._notify()

    async def _wait_for_pause(self) -> None:
        while True:
            remaining = self._paused_until - time.monotonic()
            if remaining <= 0:
                return
            await asyncio.sleep(remaining)

    # --- the budget -----------------------------------------------------------------------

    def _notify(self) -> None:
        if self._changed is not None:
            self._changed.set()

    async def _acquire(self, chat: object, priority: int) -> None:
        loop = asyncio.get_running_loop()
        if self._changed is None:
            self._changed = asyncio.Event()
        if self._dispatcher is None or self._dispatcher.done():
            self._dispatcher = loop.create_task(self._dispatch(), name="flood-budget")
        group = isinstance(chat, str) or (isinstance(chat, int) and chat < 0)
        waiter = _Waiter(priority, next(self._order), chat, group, loop.create_future())
        self._waiters.append(waiter)
        self._notify()
        try:
            await waiter.future
        except asyncio.CancelledError:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
            elif waiter.future.done() and not waiter.future.cancelled():
                # Granted just before the caller gave up: the slot goes unused.
                self._release(chat)
            raise

    def _release(self, chat: object) -> None:
        now = time.monotonic()
        self._in_flight -= 1
        if self.rate > 0:
            self._answered.append(now)
        self._notify()
        state = self._chats.get(chat)
        if state is not None:
            state.in_flight = max(state.in_flight - 1, 0)
            if state.in_flight == 0:
                state.since = now  # the bucket refills from the last answer on
            state.ready_at = now + self.per_chat_interval

    def _window_open_at(self, now: float) -> float:
        """When the overall window can take one more message (`now` if it can already)."""
        if self.rate <= 0:
            self._answered.clear()
            return now
        most, seconds = window(self.rate)
        answered = self._answered
        while answered and answered[0] <= now - seconds:
            answered.popleft()
        if self._in_flight + len(answered) < most:
            return now
        if self._in_flight >= most:
            return float("inf")  # until an answer comes (it notifies)
        return answered[self._in_flight + len(answered) - most] + seconds

    def _forget_idle_chats(self, now: float) -> None:
        """Drop what is known of chats that constrain nothing any more."""
        for chat, state in list(self._chats.items()):
            if (
                not state.in_flight
                and state.ready_at <= now
                and self._tokens(state, now) >= self.per_chat_burst
                and (not state.sent or state.sent[-1] <= now - _GROUP_WINDOW)
            ):
                del self._chats[chat]

    def _tokens(self, state: _ChatState, now: float) -> float:
        """The chat's bucket now: it refills one per interval while nothing is in flight."""
        if state.in_flight or self.per_chat_interval <= 0:
            return state.tokens
        earned = (now - state.since) / self.per_chat_interval
        return min(float(self.per_chat_burst), state.tokens + earned)

    def _chat_ready_at(self, waiter: _Waiter, now: float) -> float:
        """When the waiter's chat can take its next message (inf until an answer comes)."""
        state = self._chats.get(waiter.chat)
        if state is None:
            return now
        ready = now
        if self.per_chat_interval > 0:
            if waiter.priority > INTERACTIVE:
                # Pushed: one at a time, an interval after the previous answer.
                if state.in_flight:
                    return float("inf")
                ready = state.ready_at
            else:
                missing = 1.0 - self._tokens(state, now)
                if missing > _EPSILON:
                    if state.in_flight:
                        return float("inf")  # the bucket refills once the answer comes
                    ready = now + missing * self.per_chat_interval
        if waiter.group and self.group_per_minute > 0:
            sent = state.sent
            while sent and sent[0] <= now - _GROUP_WINDOW:
                sent.popleft()
            if len(sent) >= self.group_per_minute:
                ready = max(ready, sent[len(sent) - self.group_per_minute] + _GROUP_WINDOW)
        return ready

    async def _dispatch(self) -> None:
        changed = self._changed
        assert changed is not None
        while True:
            interval = 1.0 / self.rate if self.rate > 0 else 0.0
            changed.clear()
            now = time.monotonic()
            wake_at = float("inf")
            if self._waiters:
                start = max(self._paused_until, self._next_slot, self._window_open_at(now))
                if now < start:
                    wake_at = start
                else:
                    best: _Waiter | None = None
                    for waiter in self._waiters:
                        ready = self._chat_ready_at(waiter, now)
                        if ready <= now:
                            if best is None or (waiter.priority, waiter.order) < (
                                best.priority,
                                best.order,
                            ):
                                best = waiter
                        else:
                            wake_at = min(wake_at, ready)
                    if best is not None:
                        self._grant(best, now, interval)
                        continue
            timeout = None if wake_at == float("inf") else max(wake_at - now, 0.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), timeout)

    def _grant(self, waiter: _Waiter, now: float, interval: float) -> None:
        self._waiters.remove(waiter)
        state = self._chats.get(waiter.chat)
        if state is None:
            state = self._chats[waiter.chat] = _ChatState(tokens=self.per_chat_burst, since=now)
        state.tokens = max(self._tokens(state, now) - 1.0, 0.0)
        state.since = now
        state.in_flight += 1
        self._in_flight += 1
        if waiter.group and self.group_per_minute > 0:
            state.sent.append(now)
        if interval:
            self._next_slot = max(self._next_slot, now - _BURST * interval) + interval
        self.stats.dispatched += 1
        waiter.future.set_result(None)
        if len(self._chats) > _MAX_CHATS:
            self._forget_idle_chats(now)
