"""The update processor: updates handled side by side, in order within each chat.

Replies to one person must not wait for another person's (a /topic holds its chat for the
few seconds its messages take), but two updates of one chat must not run at once either: their
replies would interleave and the second could read the state the first has not stored yet.
So each chat (or, for updates without a chat, each user) takes its turn: an update waits for
the updates of its chat that came before it, then for a free slot of the `concurrency` that
may run at once. Updates waiting for their chat hold no slot, so a busy chat never holds up
the others. A chat is forgotten as soon as none of its updates is pending.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import time
from collections.abc import Awaitable, Hashable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

from bot.runtime import metrics

# What python-telegram-bot's own semaphore allows: updates in flight, waiting for their chat
# included (PTB makes a task of each fetched update whatever the limit, so this bounds
# nothing that is not already there); what runs at once is bounded by `concurrency`.
_IN_FLIGHT = 1_000_000


@dataclass(slots=True)
class _Turns:
    """One chat's queue: a FIFO lock and how many of its updates are pending."""

    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    pending: int = 0


def turn_key(update: object) -> Hashable | None:
    """Whose turn an update waits for: its chat, else its user; None runs it at once."""
    if not isinstance(update, Update):
        return None
    if update.effective_chat is not None:
        return ("chat", update.effective_chat.id)
    if update.effective_user is not None:
        return ("user", update.effective_user.id)
    return None


class ChatOrderedUpdateProcessor(BaseUpdateProcessor):
    """Handles up to `concurrency` updates at once, one at a time per chat, timing each."""

    __slots__ = ("_chats", "_concurrency", "_slots")

    def __init__(self, concurrency: int) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        super().__init__(_IN_FLIGHT if concurrency > 1 else 1)
        self._concurrency = concurrency
        self._slots = asyncio.Semaphore(concurrency)
        self._chats: dict[Hashable, _Turns] = {}

    @property
    def concurrency(self) -> int:
        """How many updates are handled at once at most."""
        return self._concurrency

    @property
    def waiting_chats(self) -> int:
        """Chats with an update pending (what the processor remembers)."""
        return len(self._chats)

    @property
    def pending(self) -> int:
        """Updates of chats being handled or waiting for their chat's turn."""
        return sum(turns.pending for turns in self._chats.values())

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Wait for the chat's turn and a free slot, then handle the update."""
        key = turn_key(update)
        turns = None
        if key is not None:
            turns = self._chats.get(key)
            if turns is None:
                turns = self._chats[key] = _Turns()
            turns.pending += 1
        started: float | None = None
        try:
            # The chat's turn first, then a slot: a chat's queue holds no slot.
            async with (
                turns.lock if turns is not None else contextlib.nullcontext(),
                self._slots,
            ):
                started = time.perf_counter()
                await coroutine
        finally:
            if started is not None:
                metrics.update_handled(update, time.perf_counter() - started)
            elif inspect.iscoroutine(coroutine):
                # Cancelled before its turn came (shutdown): it never ran; closing it keeps
                # Python from warning that it was never awaited.
                coroutine.close()
            if turns is not None:
                turns.pending -= 1
                if turns.pending == 0:
                    del self._chats[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free: pending updates finish (Application.stop waits for them)."""
