"""Updates for the bot: the queue, getUpdates long polling and webhook delivery."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import aiohttp

from sandbox.localapi import errors
from sandbox.localapi.core import Answer, Core
from sandbox.localapi.errors import ApiError, bad_request
from sandbox.localapi.params import Params
from sandbox.localapi.state import now_unix

# Telegram's default when getUpdates/setWebhook never specified allowed_updates.
_DEFAULT_ALLOWED = frozenset(
    {
        "message",
        "edited_message",
        "channel_post",
        "edited_channel_post",
        "business_connection",
        "business_message",
        "edited_business_message",
        "deleted_business_messages",
        "inline_query",
        "chosen_inline_result",
        "callback_query",
        "shipping_query",
        "pre_checkout_query",
        "purchased_paid_media",
        "poll",
        "poll_answer",
        "my_chat_member",
        "chat_join_request",
        "chat_boost",
        "removed_chat_boost",
    }
)


_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")


@dataclass(slots=True)
class _Poll:
    event: asyncio.Event
    conflicted: bool = False


class Updates(Core):
    """The update queue and the two ways out of it: getUpdates and a webhook."""

    def _init_updates(self, retry_delays: Iterable[float], timeout: float) -> None:
        self.webhook_retry_delays = tuple(retry_delays)
        self.webhook_timeout = timeout
        self._queue: deque[tuple[int, str, dict[str, Any]]] = deque()
        self._next_update_id = 1
        self._allowed = _DEFAULT_ALLOWED
        self._poll: _Poll | None = None
        self._closing = False

        self.webhook_url = ""
        self._webhook_secret: str | None = None
        self._webhook_allowed: list[str] | None = None
        self._webhook_max_connections = 40
        self._webhook_last_error: tuple[int, str] | None = None
        self._webhook_wakeup = asyncio.Event()
        self._webhook_task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates waiting for getUpdates or webhook delivery."""
        return [update for _, _, update in self._queue]

    def _new_update(self, kind: str, payload: dict[str, Any], *, deliver: bool) -> dict[str, Any]:
        update_id = self._next_update_id
        self._next_update_id += 1
        update: dict[str, Any] = {"update_id": update_id, kind: payload}
        self.updates.append(update)
        if deliver:
            allowed = (
                frozenset(self._webhook_allowed)
                if self.webhook_url and self._webhook_allowed
                else self._allowed
            )
            if kind in allowed:
                self._queue.append((update_id, kind, update))
                if self.webhook_url:
                    self._webhook_wakeup.set()
                elif self._poll is not None:
                    self._poll.event.set()
        self._notify()
        return update

    def _confirm(self, offset: int) -> None:
        queue = self._queue
        if offset > 0:
            while queue and queue[0][0] < offset:
                queue.popleft()
        elif offset < 0:
            while len(queue) > -offset:
                queue.popleft()

    def _select(self, limit: int) -> list[dict[str, Any]]:
        return [update for _, _, update in itertools.islice(self._queue, limit)]

    async def _get_updates(self, p: Params) -> list[dict[str, Any]]:
        if self.webhook_url:
            raise ApiError(409, errors.CONFLICT_WEBHOOK_ACTIVE)
        offset = p.integer("offset") or 0
        limit = p.integer("limit") or 100
        limit = min(max(limit, 1), 100)
        timeout = max(0.0, p.number("timeout") or 0.0)
        allowed = p.json("allowed_updates", "can't parse allowed_updates")
        if isinstance(allowed, list):
            self._allowed = frozenset(str(a) for a in allowed) or _DEFAULT_ALLOWED
        self._confirm(offset)

        previous = self._poll
        if previous is not None:
            # Only one getUpdates may wait at a time; the older one is terminated.
            previous.conflicted = True
            previous.event.set()
        poll = self._poll = _Poll(asyncio.Event())
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + timeout
            while True:
                result = self._select(limit)
                if result or self._closing:
                    return result
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return []
                poll.event.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(poll.event.wait(), remaining)
                if poll.conflicted:
                    raise ApiError(409, errors.CONFLICT_OTHER_GETUPDATES)
                if self.webhook_url:
                    raise ApiError(409, errors.CONFLICT_WEBHOOK_ACTIVE)
        finally:
            if self._poll is poll:
                self._poll = None

    def _start_webhook_worker(self) -> None:
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.get_running_loop().create_task(self._webhook_loop())
        self._webhook_wakeup.set()

    async def _stop_webhook_worker(self) -> None:
        task, self._webhook_task = self._webhook_task, None
        if task is not None and not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _webhook_loop(self) -> None:
        attempts = 0
        while True:
            if not self._queue:
                self._webhook_wakeup.clear()
                await self._webhook_wakeup.wait()
                continue
            update_id, _, update = self._queue[0]
            error = await self._post_update(update)
            if error is None:
                attempts = 0
                self.counters["webhook.delivered"] += 1
                if self._queue and self._queue[0][0] == update_id:
                    self._queue.popleft()
                self._notify()
                continue
            self._webhook_last_error = (now_unix(), error)
            self.counters["webhook.failed"] += 1
            self._notify()
            if attempts >= len(self.webhook_retry_delays):
                # Telegram gives up on an update eventually; so do we, after a few tries.
                attempts = 0
                self.counters["webhook.dropped"] += 1
                if self._queue and self._queue[0][0] == update_id:
                    self._queue.popleft()
                continue
            await asyncio.sleep(self.webhook_retry_delays[attempts])
            attempts += 1

    async def _post_update(self, update: dict[str, Any]) -> str | None:
        if self._session is None:
            self._session = aiohttp.ClientSession()
        headers = {"Content-Type": "application/json"}
        if self._webhook_secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = self._webhook_secret
        try:
            async with self._session.post(
                self.webhook_url,
                data=json.dumps(update, ensure_ascii=False).encode(),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.webhook_timeout),
            ) as response:
                await response.read()
                if 200 <= response.status < 300:
                    return None
                return f"Wrong response from the webhook: {response.status} {response.reason}"
        except TimeoutError:
            return "Read timeout expired"
        except aiohttp.ClientError as exc:
            return f"Connection failed: {exc}"

    def _set_webhook(self, p: Params) -> Answer:
        url = p.text("url") or ""
        if not url:
            return self._delete_webhook(p)
        scheme = url.split("://", 1)[0].lower() if "://" in url else ""
        # Telegram wants HTTPS on ports 443/80/88/8443; plain HTTP on loopback is allowed here.
        if scheme not in ("http", "https"):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = p.text("secret_token")
        if secret and not _SECRET_TOKEN.fullmatch(secret):
            raise bad_request("secret token contains unallowed characters")
        allowed = p.json("allowed_updates", "can't parse allowed_updates")
        if p.flag("drop_pending_updates"):
            self._queue.clear()
        same = url == self.webhook_url and (secret or None) == self._webhook_secret
        self.webhook_url = url
        self._webhook_secret = secret or None
        if isinstance(allowed, list):
            self._webhook_allowed = [str(a) for a in allowed] or None
        self._webhook_max_connections = p.integer("max_connections") or 40
        self._webhook_last_error = None
        if self._poll is not None:
            self._poll.event.set()
        self._start_webhook_worker()
        return Answer(True, "Webhook is already set" if same else "Webhook was set")

    def _delete_webhook(self, p: Params) -> Answer:
        if p.flag("drop_pending_updates"):
            self._queue.clear()
        was_set = bool(self.webhook_url)
        self.webhook_url = ""
        self._webhook_secret = None
        task, self._webhook_task = self._webhook_task, None
        if task is not None:
            task.cancel()
        return Answer(True, "Webhook was deleted" if was_set else "Webhook is already deleted")

    def _get_webhook_info(self, p: Params) -> dict[str, Any]:
        info: dict[str, Any] = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }
        if self.webhook_url:
            info["max_connections"] = self._webhook_max_connections
            info["ip_address"] = "127.0.0.1"
            if self._webhook_allowed:
                info["allowed_updates"] = self._webhook_allowed
            if self._webhook_last_error is not None:
                info["last_error_date"], info["last_error_message"] = self._webhook_last_error
        return info
