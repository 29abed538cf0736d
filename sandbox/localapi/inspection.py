"""What tests and the sandbox read: the calls the bot made, the chats as they look now."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from typing import Any, Self

from sandbox.localapi.core import Core
from sandbox.localapi.state import Call, StoredMessage


class Inspection(Core):
    """Reading what the bot did, and waiting for it."""

    def calls_to(self, method: str, chat_id: int | str | None = None) -> list[Call]:
        """Recorded calls of ``method`` (any case), optionally to one chat."""
        lower = method.lower()
        return [
            call
            for call in self.calls
            if call.method.lower() == lower
            and (chat_id is None or str(call.params.get("chat_id")) == str(chat_id))
        ]

    def sent_messages(self, chat_id: int | None = None) -> list[dict[str, Any]]:
        """Results of successful sendMessage calls, optionally in one chat."""
        return [
            call.result
            for call in self.calls
            if call.method == "sendMessage"
            and call.ok
            and (chat_id is None or call.result["chat"]["id"] == chat_id)
        ]

    def clear_calls(self) -> None:
        """Forget the recorded calls."""
        self.calls.clear()

    def messages(self, chat_id: int) -> list[StoredMessage]:
        """The chat as it looks now: every message, edits applied, deleted ones gone."""
        chat = self._chats.get(chat_id)
        if chat is None:
            return []
        return sorted(chat.messages.values(), key=lambda m: m.message_id)

    async def wait_for(
        self,
        predicate: Callable[[Self], bool],
        timeout: float = 5.0,  # noqa: ASYNC109 - a plain number reads best in tests
    ) -> None:
        """Wait until ``predicate(self)`` holds; TimeoutError lists the recent calls."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate(self):
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(
                    f"condition not met within {timeout:g}s; recent calls:\n{self._recent()}"
                )
            changed = self._changed
            # Also re-check now and then: predicates may depend on time, not only on calls.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(changed.wait(), min(remaining, 0.05))

    async def wait_for_call(
        self,
        method: str,
        chat_id: int | str | None = None,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - a plain number reads best in tests
    ) -> list[Call]:
        """Wait until ``count`` calls of ``method`` (to ``chat_id``) were made; returns them."""
        try:
            await self.wait_for(
                lambda api: len(api.calls_to(method, chat_id)) >= count, timeout=timeout
            )
        except TimeoutError:
            where = f" to chat {chat_id}" if chat_id is not None else ""
            raise TimeoutError(
                f"expected {count} {method} call(s){where} within {timeout:g}s, got "
                f"{len(self.calls_to(method, chat_id))}; recent calls:\n{self._recent()}"
            ) from None
        return self.calls_to(method, chat_id)

    def _recent(self, count: int = 15) -> str:
        if not self.calls:
            return "  (no calls)"
        lines = []
        for call in self.calls[-count:]:
            outcome = "ok" if call.ok else f"{call.error_code} {call.description}"
            params = json.dumps(call.params, ensure_ascii=False, default=str)
            if len(params) > 200:
                params = params[:197] + "..."
            lines.append(f"  {call.method} {params} -> {outcome}")
        return "\n".join(lines)
