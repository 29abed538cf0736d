"""Telegram's flood limits: sliding windows overall and per group, a token bucket per chat;
cheap to check, exact about retry_after."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FloodLimits:
    """Message limits; ``None`` switches a limit off.

    Telegram's documented limits are about 30 messages per second overall, one message per
    second in a chat and 20 messages per minute in a group (see :meth:`telegram`). The
    per-chat limit is an average: a chat takes a short burst of ``per_chat_burst`` messages at
    once (``None``: no more than ``per_chat_per_second``), then ``per_chat_per_second``.
    """

    per_second: int | None = None
    per_chat_per_second: int | None = None
    per_group_per_minute: int | None = None
    count_edits: bool = False
    per_chat_burst: int | None = None

    @classmethod
    def telegram(cls, *, count_edits: bool = False) -> FloodLimits:
        """Limits as Telegram documents them for bots."""
        return cls(
            per_second=30,
            per_chat_per_second=1,
            per_group_per_minute=20,
            count_edits=count_edits,
            # A bot answering with a few messages at once is normal; a flood is not.
            per_chat_burst=4,
        )

    @property
    def enabled(self) -> bool:
        """Whether any limit is on."""
        return (
            self.per_second is not None
            or self.per_chat_per_second is not None
            or self.per_group_per_minute is not None
        )


class _Window:
    """Timestamps of accepted messages within the last ``span`` seconds."""

    __slots__ = ("limit", "span", "stamps")

    def __init__(self, limit: int, span: float) -> None:
        self.limit = limit
        self.span = span
        self.stamps: deque[float] = deque()

    def wait(self, now: float) -> float:
        """Seconds until one more message fits; 0.0 if it fits now."""
        stamps = self.stamps
        horizon = now - self.span
        while stamps and stamps[0] <= horizon:
            stamps.popleft()
        if len(stamps) < self.limit:
            return 0.0
        return stamps[len(stamps) - self.limit] + self.span - now

    def add(self, now: float) -> None:
        """Count an accepted message."""
        self.stamps.append(now)


class _Bucket:
    """A token bucket: ``capacity`` messages at once, refilled at ``rate`` a second."""

    __slots__ = ("at", "capacity", "rate", "tokens")

    # A message that is early by less than this passes (timer and float rounding).
    TOLERANCE = 0.001

    def __init__(self, capacity: int, rate: float, now: float) -> None:
        self.capacity = capacity
        self.rate = rate
        self.tokens = float(capacity)
        self.at = now

    def _level(self, now: float) -> float:
        return min(float(self.capacity), self.tokens + (now - self.at) * self.rate)

    def wait(self, now: float) -> float:
        """Seconds until one more message fits; 0.0 if it fits now."""
        missing = 1.0 - self._level(now)
        return 0.0 if missing <= self.TOLERANCE * self.rate else missing / self.rate

    def add(self, now: float) -> None:
        """Take a token for an accepted message."""
        self.tokens = max(self._level(now) - 1.0, 0.0)
        self.at = now


class FloodControl:
    """Counts accepted messages and answers how long a new one has to wait."""

    def __init__(self, limits: FloodLimits | None = None) -> None:
        self.limits = limits or FloodLimits()
        self._global: _Window | None = None
        self._chats: dict[int, _Bucket] = {}
        self._groups: dict[int, _Window] = {}
        self.configure(self.limits)

    def configure(self, limits: FloodLimits) -> None:
        """Switch to new limits, forgetting the counted history."""
        self.limits = limits
        self._global = _Window(limits.per_second, 1.0) if limits.per_second else None
        self._chats.clear()
        self._groups.clear()

    def _windows(self, chat_id: int, is_group: bool, now: float) -> list[_Window | _Bucket]:
        limits = self.limits
        windows: list[_Window | _Bucket] = [self._global] if self._global is not None else []
        if limits.per_chat_per_second:
            bucket = self._chats.get(chat_id)
            if bucket is None:
                burst = limits.per_chat_burst or limits.per_chat_per_second
                bucket = self._chats[chat_id] = _Bucket(burst, limits.per_chat_per_second, now)
            windows.append(bucket)
        if is_group and limits.per_group_per_minute:
            window = self._groups.get(chat_id)
            if window is None:
                window = self._groups[chat_id] = _Window(limits.per_group_per_minute, 60.0)
            windows.append(window)
        return windows

    def retry_after(self, chat_id: int, is_group: bool, now: float) -> int:
        """Whole seconds to wait (at least 1) if a message now would break a limit, else 0."""
        if not self.limits.enabled:
            return 0
        windows = self._windows(chat_id, is_group, now)
        wait = max((w.wait(now) for w in windows), default=0.0)
        return max(1, math.ceil(wait)) if wait > 0 else 0

    def record(self, chat_id: int, is_group: bool, now: float) -> None:
        """Count an accepted message."""
        if not self.limits.enabled:
            return
        for window in self._windows(chat_id, is_group, now):
            window.add(now)
