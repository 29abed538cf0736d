"""Telegram's flood limits as sliding windows: cheap to check, exact about retry_after."""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FloodLimits:
    """Message limits; ``None`` switches a limit off.

    Telegram's documented limits are about 30 messages per second overall, one message per
    second in a chat and 20 messages per minute in a group (see :meth:`telegram`).
    """

    per_second: int | None = None
    per_chat_per_second: int | None = None
    per_group_per_minute: int | None = None
    count_edits: bool = False

    @classmethod
    def telegram(cls, *, count_edits: bool = False) -> FloodLimits:
        """Limits as Telegram documents them for bots."""
        return cls(
            per_second=30,
            per_chat_per_second=1,
            per_group_per_minute=20,
            count_edits=count_edits,
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


class FloodControl:
    """Counts accepted messages and answers how long a new one has to wait."""

    def __init__(self, limits: FloodLimits | None = None) -> None:
        self.limits = limits or FloodLimits()
        self._global: _Window | None = None
        self._chats: dict[int, _Window] = {}
        self._groups: dict[int, _Window] = {}
        self.configure(self.limits)

    def configure(self, limits: FloodLimits) -> None:
        """Switch to new limits, forgetting the counted history."""
        self.limits = limits
        self._global = _Window(limits.per_second, 1.0) if limits.per_second else None
        self._chats.clear()
        self._groups.clear()

    def _windows(self, chat_id: int, is_group: bool) -> list[_Window]:
        limits = self.limits
        windows = [self._global] if self._global is not None else []
        if limits.per_chat_per_second:
            window = self._chats.get(chat_id)
            if window is None:
                window = self._chats[chat_id] = _Window(limits.per_chat_per_second, 1.0)
            windows.append(window)
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
        wait = max((w.wait(now) for w in self._windows(chat_id, is_group)), default=0.0)
        return max(1, math.ceil(wait)) if wait > 0 else 0

    def record(self, chat_id: int, is_group: bool, now: float) -> None:
        """Count an accepted message."""
        if not self.limits.enabled:
            return
        for window in self._windows(chat_id, is_group):
            window.stamps.append(now)
