"""A local Bot API server on loopback, as strict as Telegram, with a person's side to drive it.

The bot talks HTTP to it exactly as it would to ``api.telegram.org`` (``base_url`` is
``f"{api.url}/bot"``); tests and the sandbox play the people in the chats through the Python
methods (``send_text``, ``press_button``, ``block`` ...) and inspect what the bot did through
``calls`` and ``messages``. All methods must be called from the event loop the server runs in.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import itertools
import json
import logging
import math
import random
import re
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self, TypeVar

import aiohttp
from aiohttp import web

from sandbox.localapi import errors
from sandbox.localapi.errors import ApiError, bad_request, forbidden, too_many_requests
from sandbox.localapi.flood import FloodControl, FloodLimits
from sandbox.localapi.html import entities_to_dicts, format_text, normalize, utf16_len
from sandbox.localapi.keyboard import parse_reply_markup
from sandbox.localapi.state import (
    CHAT_TYPES,
    Call,
    CallbackQueryState,
    Chat,
    StoredMessage,
    User,
    message_to_dict,
    now_unix,
)

__all__ = ["LocalBotApi"]

log = logging.getLogger(__name__)
T = TypeVar("T")

METHODS = (
    "getMe",
    "getUpdates",
    "sendMessage",
    "editMessageText",
    "editMessageReplyMarkup",
    "deleteMessage",
    "answerCallbackQuery",
    "setMyCommands",
    "getMyCommands",
    "deleteMyCommands",
    "setWebhook",
    "deleteWebhook",
    "getWebhookInfo",
    "getChatMember",
    "getChat",
    "sendChatAction",
    "close",
    "logOut",
)
_CANONICAL = {name.lower(): name for name in METHODS}
# Parameters that are strings even when they look like JSON ("123", "true", "[1]").
_STRING_PARAMS = frozenset(
    {
        "text",
        "parse_mode",
        "callback_query_id",
        "url",
        "secret_token",
        "inline_message_id",
        "action",
        "language_code",
        "business_connection_id",
        "message_effect_id",
        "caption",
        "ip_address",
        "title",
        "description",
    }
)
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
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
MAX_MESSAGE_LENGTH = 4096  # UTF-16 code units after entity parsing
MAX_CALLBACK_ANSWER_LENGTH = 200
_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_COMMAND = re.compile(r"[a-z0-9_]{1,32}")


@dataclass(slots=True)
class _Answer:
    """A successful result with Telegram's optional ``description`` next to it."""

    result: Any
    description: str


@dataclass(slots=True)
class _Fault:
    method: str
    error: ApiError
    chat_id: int | str | None
    times: int


@dataclass(slots=True)
class _FaultRate:
    rate: float
    error: ApiError
    rng: random.Random


@dataclass(slots=True)
class _Drop:
    method: str
    times: int
    hang: float | None


@dataclass(slots=True)
class _Poll:
    event: asyncio.Event
    conflicted: bool = False


def _error(error_code: int, description: str | None, retry_after: int | None) -> ApiError:
    if error_code == 429 and retry_after is None:
        retry_after = 1
    parameters = {"retry_after": retry_after} if retry_after is not None else None
    return ApiError(
        error_code, description or errors.default_description(error_code, retry_after), parameters
    )


@functools.cache
def _real_methods() -> dict[str, str]:
    """Bot API method names known to python-telegram-bot, by lower case name."""
    try:
        from telegram import Bot  # noqa: PLC0415 - only needed for this rare diagnosis
    except ImportError:
        return {}
    return {
        name.lower(): name
        for name in dir(Bot)
        if name[:1].islower() and "_" not in name and name.lower() != name
    }


def _unsimulated(name: str) -> ApiError | None:
    """A real Bot API method this server does not simulate gets a clear 501, not a 404
    (which python-telegram-bot would report as an invalid token)."""
    real = _real_methods().get(name.lower())
    if real is None:
        return None
    log.warning("the bot called %s, which the local Bot API server does not simulate", real)
    return ApiError(501, f"Not Implemented: {real} is not simulated by the local Bot API server")


def _client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


def _decode_form_value(name: str, value: str) -> Any:
    """PTB JSON-encodes every non-string value of a form; strings are sent as they are."""
    if name in _STRING_PARAMS or not value or value[0] not in '{["-0123456789tf':
        return value
    try:
        decoded = json.loads(value)
    except ValueError:
        return value
    if isinstance(decoded, float) and not math.isfinite(decoded):
        return value
    return decoded


class Params:
    """Typed access to a request's parameters; empty values count as absent like Telegram."""

    __slots__ = ("data",)

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def has(self, name: str) -> bool:
        """Whether the parameter is given and not empty."""
        value = self.data.get(name)
        return value is not None and value != ""

    def text(self, name: str) -> str | None:
        """A string parameter; numbers sent in JSON bodies become strings like Telegram."""
        value = self.data.get(name)
        if value is None:
            return None
        if isinstance(value, str):
            return value
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, int | float):
            return str(value)
        return json.dumps(value, ensure_ascii=False)

    def integer(self, name: str, *, required: str | None = None) -> int | None:
        """An integer parameter; ``required`` is the error reason when it is missing."""
        value = self.data.get(name)
        if value is None or value == "":
            if required is not None:
                raise bad_request(required)
            return None
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d{1,20}\s*", value):
            return int(value)
        raise bad_request(f"invalid {name} specified")

    def number(self, name: str) -> float | None:
        """A numeric parameter such as a timeout."""
        value = self.data.get(name)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except (TypeError, ValueError):
            raise bad_request(f"invalid {name} specified") from None

    def flag(self, name: str) -> bool:
        """A Boolean parameter."""
        value = self.data.get(name)
        if isinstance(value, str):
            return value.lower() in ("true", "1")
        return bool(value)

    def json(self, name: str, error: str) -> Any:
        """An object or array parameter, given as JSON text in forms or inline in JSON bodies."""
        value = self.data.get(name)
        if isinstance(value, str):
            if value == "":
                return None
            try:
                return json.loads(value)
            except ValueError:
                raise bad_request(error) from None
        return value


class LocalBotApi:
    """A Telegram Bot API server on loopback for tests, benchmarks and the sandbox."""

    def __init__(
        self,
        token: str | None = None,
        *,
        bot_username: str = "digestbot_test_bot",
        bot_first_name: str = "Digestbot",
        bot_id: int | None = None,
        flood: FloodLimits | None = None,
        callback_timeout: float = 15.0,
        strict_html_entities: bool = True,
        webhook_retry_delays: Iterable[float] = (0.05, 0.2, 0.5),
        webhook_timeout: float = 5.0,
        record_calls: bool = True,
    ) -> None:
        self.token = token
        if bot_id is None:
            prefix = (token or "").split(":", 1)[0]
            bot_id = int(prefix) if prefix.isdigit() else 7_000_000_001
        self.bot = User(bot_id, bot_first_name, username=bot_username, is_bot=True)
        self.callback_timeout = callback_timeout
        self.strict_html_entities = strict_html_entities
        self.webhook_retry_delays = tuple(webhook_retry_delays)
        self.webhook_timeout = webhook_timeout
        self.record_calls = record_calls

        self.calls: list[Call] = []
        self.updates: list[dict[str, Any]] = []
        self.counters: Counter[str] = Counter()
        self.commands: dict[str, list[dict[str, str]]] = {}

        self._users: dict[int, User] = {bot_id: self.bot}
        self._chats: dict[int, Chat] = {}
        self._callbacks: dict[str, CallbackQueryState] = {}
        self._flood = FloodControl(flood)

        self._queue: deque[tuple[int, str, dict[str, Any]]] = deque()
        self._next_update_id = 1
        self._allowed = _DEFAULT_ALLOWED
        self._poll: _Poll | None = None
        self._closing = False
        self._changed = asyncio.Event()
        self._query_ids = itertools.count(4_000_000_000_000_000_001)

        self._faults: list[_Fault] = []
        self._fault_rates: dict[str, _FaultRate] = {}
        self._delays: dict[str, float] = {}
        self._drops: list[_Drop] = []

        self.webhook_url = ""
        self._webhook_secret: str | None = None
        self._webhook_allowed: list[str] | None = None
        self._webhook_max_connections = 40
        self._webhook_last_error: tuple[int, str] | None = None
        self._webhook_wakeup = asyncio.Event()
        self._webhook_task: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self.host = "127.0.0.1"
        self.port = 0

        self._handlers: dict[str, Callable[[Params], Any]] = {
            "getMe": self._get_me,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "getChatMember": self._get_chat_member,
            "getChat": self._get_chat,
            "sendChatAction": self._send_chat_action,
            "close": self._close,
            "logOut": self._close,
        }

    # -----------------------------------------------------------------------------------
    # Lifecycle

    @property
    def url(self) -> str:
        """The server root, e.g. ``http://127.0.0.1:45123``; the bot's base_url adds ``/bot``."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """What to pass as ``base_url`` to ``telegram.Bot``."""
        return f"{self.url}/bot"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on ``host:port``; port 0 picks a free one (see :attr:`port`)."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("*", "/_local/{action}", self._handle_control)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, host, port)
        await self._site.start()
        self.host = host
        self.port = int(self._runner.addresses[0][1])
        self._closing = False
        self._loop = asyncio.get_running_loop()
        if self.webhook_url:
            self._start_webhook_worker()

    async def stop(self) -> None:
        """Answer pending long polls, stop webhook delivery and close the listener."""
        self._closing = True
        if self._poll is not None:
            self._poll.event.set()
        await self._stop_webhook_worker()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self._site = None

    def from_thread(self, func: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run one of these methods from another thread (e.g. a terminal reading stdin)
        in the server's event loop and return its result."""
        loop = self._loop
        if loop is None:
            raise RuntimeError("the server is not running")

        async def call() -> T:
            return func(*args, **kwargs)

        return asyncio.run_coroutine_threadsafe(call(), loop).result()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    # -----------------------------------------------------------------------------------
    # HTTP transport

    @staticmethod
    def _json_response(body: dict[str, Any], status: int = 200) -> web.Response:
        return web.Response(
            body=json.dumps(body, ensure_ascii=False).encode(),
            status=status,
            content_type="application/json",
        )

    async def _not_found(self, request: web.Request) -> web.Response:
        return self._json_response(ApiError(404, "Not Found").to_dict(), 404)

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = {
            key: _decode_form_value(key, value) for key, value in request.query.items()
        }
        if not request.body_exists:
            return params
        content_type = request.content_type
        if content_type == "application/json":
            body = await request.read()
            if body.strip():
                try:
                    data = json.loads(body)
                except ValueError:
                    raise bad_request("can't parse JSON encoded request body") from None
                if not isinstance(data, dict):
                    raise bad_request("JSON object expected as request body")
                params.update(data)
        elif content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.post()
            for key, value in form.items():
                if isinstance(value, str):
                    params[key] = _decode_form_value(key, value)
                elif isinstance(value, bytes | bytearray):
                    params[key] = _decode_form_value(key, bytes(value).decode("utf-8", "replace"))
                else:
                    params[key] = {"file_name": value.filename, "content_type": value.content_type}
        return params

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["method"]
        if self.token is not None and request.match_info["token"] != self.token:
            self._record(name, {}, ApiError(401, "Unauthorized"))
            return self._json_response(ApiError(401, "Unauthorized").to_dict(), 401)
        method = _CANONICAL.get(name.lower())
        if method is None:
            error = _unsimulated(name) or ApiError(404, "Not Found")
            self._record(name, {}, error)
            return self._json_response(error.to_dict(), error.error_code)

        params: dict[str, Any] = {}
        drop: _Drop | None = None
        status = 200
        try:
            params = await self._read_params(request)
            delay = self._delays.get(method) or self._delays.get("*")
            if delay:
                # The request is still carried out after the delay even if the client gave
                # up waiting, as Telegram does.
                await asyncio.sleep(delay)
            drop = self._take_drop(method)
            self._inject_fault(method, params)
            if method == "getUpdates":
                result: Any = await self._get_updates(Params(params))
            else:
                result = self._handlers[method](Params(params))
        except ApiError as exc:
            if exc.error_code == 429:
                self.counters["429"] += 1
            status, body = exc.error_code, exc.to_dict()
            if not (method == "getUpdates" and _client_gone(request)):
                # A long poll the client abandoned (e.g. on shutdown) is terminated by the
                # next one; nobody sees that 409, so it is not worth a record.
                self._record(method, params, exc, dropped=drop is not None)
        else:
            if isinstance(result, _Answer):
                body = {"ok": True, "result": result.result, "description": result.description}
                result = result.result
            else:
                body = {"ok": True, "result": result}
            self._record(method, params, None, result, dropped=drop is not None)

        if drop is not None:
            if drop.hang is None:
                # The work is done but the client never hears about it.
                if request.transport is not None:
                    request.transport.abort()
                raise asyncio.CancelledError
            await asyncio.sleep(drop.hang)
        return self._json_response(body, status)

    def _record(
        self,
        method: str,
        params: dict[str, Any],
        error: ApiError | None,
        result: Any = None,
        *,
        dropped: bool = False,
    ) -> None:
        if self.record_calls:
            self.calls.append(
                Call(
                    method=method,
                    params=params,
                    ok=error is None,
                    error_code=error.error_code if error else None,
                    description=error.description if error else None,
                    result=result,
                    at=time.monotonic(),
                    dropped=dropped,
                )
            )
        self._notify()

    def _notify(self) -> None:
        changed = self._changed
        self._changed = asyncio.Event()
        changed.set()

    # -----------------------------------------------------------------------------------
    # Faults on demand

    def fail_next(
        self,
        method: str,
        error_code: int,
        description: str | None = None,
        *,
        retry_after: int | None = None,
        chat_id: int | str | None = None,
        times: int = 1,
        migrate_to_chat_id: int | None = None,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (``"*"`` for any) with this error.

        ``description`` defaults to Telegram's usual text for the code; a 429 always carries
        ``retry_after`` (1 unless given). The method is not carried out.
        """
        error = _error(error_code, description, retry_after)
        if migrate_to_chat_id is not None:
            error.parameters = {"migrate_to_chat_id": migrate_to_chat_id}
        self._faults.append(_Fault(method.lower(), error, chat_id, times))

    def set_fault_rate(
        self,
        method: str,
        rate: float,
        error_code: int = 429,
        retry_after: int | None = 1,
        seed: int | None = 0,
        *,
        description: str | None = None,
    ) -> None:
        """Answer a random share ``rate`` (0..1) of the calls of ``method`` with an error."""
        if rate <= 0:
            self._fault_rates.pop(method.lower(), None)
            return
        self._fault_rates[method.lower()] = _FaultRate(
            rate, _error(error_code, description, retry_after), random.Random(seed)
        )

    def set_delay(self, method: str, seconds: float | None) -> None:
        """Wait ``seconds`` before carrying out each call of ``method`` (``"*"`` for any)."""
        if not seconds:
            self._delays.pop(_CANONICAL.get(method.lower(), method), None)
        else:
            self._delays[_CANONICAL.get(method.lower(), method)] = seconds

    def drop_next(self, method: str, times: int = 1, *, hang: float | None = None) -> None:
        """Carry out the next calls of ``method`` but lose the answer.

        By default the connection is closed without a response; with ``hang`` the answer is
        sent only after that many seconds, when the client has given up. Either way the call
        is recorded as done (``Call.dropped``), like a message that was delivered although the
        bot saw a timeout.
        """
        self._drops.append(_Drop(method.lower(), times, hang))

    def clear_faults(self) -> None:
        """Forget all faults, fault rates, delays and drops."""
        self._faults.clear()
        self._fault_rates.clear()
        self._delays.clear()
        self._drops.clear()

    def _inject_fault(self, method: str, params: dict[str, Any]) -> None:
        if not self._faults and not self._fault_rates:
            return
        lower = method.lower()
        for fault in self._faults:
            if fault.method not in (lower, "*"):
                continue
            if fault.chat_id is not None and str(params.get("chat_id")) != str(fault.chat_id):
                continue
            fault.times -= 1
            if fault.times <= 0:
                self._faults.remove(fault)
            self._raise_injected(fault.error)
        rate = self._fault_rates.get(lower) or self._fault_rates.get("*")
        if rate is not None and rate.rng.random() < rate.rate:
            self._raise_injected(rate.error)

    def _raise_injected(self, template: ApiError) -> None:
        if template.error_code == 429:
            self.counters["429.fault"] += 1
        raise ApiError(
            template.error_code,
            template.description,
            dict(template.parameters) if template.parameters else None,
        )

    def _take_drop(self, method: str) -> _Drop | None:
        if not self._drops:
            return None
        lower = method.lower()
        for drop in self._drops:
            if drop.method in (lower, "*"):
                drop.times -= 1
                if drop.times <= 0:
                    self._drops.remove(drop)
                return drop
        return None

    # -----------------------------------------------------------------------------------
    # Flood limits

    @property
    def flood_limits(self) -> FloodLimits:
        """The flood limits in force."""
        return self._flood.limits

    def set_flood_limits(self, limits: FloodLimits | None) -> None:
        """Change the flood limits at runtime (``None`` switches them all off)."""
        self._flood.configure(limits or FloodLimits())

    @property
    def too_many_requests(self) -> int:
        """How many 429 answers were sent, from flood limits and injected faults."""
        return self.counters["429"]

    @property
    def flood_rejections(self) -> int:
        """How many 429 answers the flood limits produced."""
        return self.counters["429.flood"]

    def _check_flood(self, chat: Chat) -> float:
        now = time.monotonic()
        retry_after = self._flood.retry_after(chat.id, chat.is_group, now)
        if retry_after:
            self.counters["429.flood"] += 1
            raise too_many_requests(retry_after)
        return now

    # -----------------------------------------------------------------------------------
    # Inspection helpers for tests and the sandbox

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

    def chat(self, chat_id: int) -> Chat:
        """The server's record of a chat."""
        try:
            return self._chats[chat_id]
        except KeyError:
            raise LookupError(f"unknown chat {chat_id}") from None

    def callback_answer(self, callback_query_id: str) -> dict[str, Any] | None:
        """What the bot answered to a button press (text, show_alert, url), if it did."""
        state = self._callbacks.get(callback_query_id)
        return state.answer if state else None

    def unanswered_callbacks(self) -> list[str]:
        """The ids of button presses the bot has not answered (answerCallbackQuery) yet."""
        return [query_id for query_id, state in self._callbacks.items() if not state.answered]

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates waiting for getUpdates or webhook delivery."""
        return [update for _, _, update in self._queue]

    async def wait_for(
        self,
        predicate: Callable[[LocalBotApi], bool],
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

    # -----------------------------------------------------------------------------------
    # The person's side

    def add_user(
        self,
        user_id: int,
        first_name: str | None = None,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        is_bot: bool = False,
    ) -> dict[str, Any]:
        """Register (or update) a user; returns the ``User`` object."""
        user = self._users.get(user_id)
        if user is None:
            user = self._users[user_id] = User(user_id, first_name or f"User {user_id}")
        if first_name:
            user.first_name = first_name
        if last_name is not None:
            user.last_name = last_name
        if username is not None:
            user.username = username
        if language_code is not None:
            user.language_code = language_code
        user.is_bot = is_bot
        return user.to_dict()

    def add_chat(
        self,
        chat_id: int,
        type: str = "private",
        title: str | None = None,
        username: str | None = None,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
    ) -> dict[str, Any]:
        """Make a chat known to the server (and its user, for a private chat)."""
        if type not in CHAT_TYPES:
            raise ValueError(f"chat type must be one of {sorted(CHAT_TYPES)}, not {type!r}")
        if (type == "private") != (chat_id > 0):
            raise ValueError("private chats have positive ids, groups and channels negative")
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = Chat(chat_id, type)
        chat.type = type
        if title is not None:
            chat.title = title
        if username is not None:
            chat.username = username
        if type == "private":
            self.add_user(
                chat_id, first_name, last_name=last_name, username=username, is_bot=False
            )
            user = self._users[chat_id]
            chat.first_name, chat.last_name = user.first_name, user.last_name
            chat.members.update({chat_id, self.bot.id})
        else:
            # Adding a known group again means the bot was added back.
            chat.kicked = False
            chat.members.add(self.bot.id)
        return chat.to_dict()

    def _ensure_chat(self, chat_id: int, chat_type: str | None) -> Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            if chat_type is None:
                if chat_id > 0:
                    chat_type = "private"
                elif chat_id <= -1_000_000_000_000:
                    chat_type = "supergroup"
                else:
                    chat_type = "group"
            self.add_chat(chat_id, chat_type)
            chat = self._chats[chat_id]
        if chat.migrated_to is not None:
            raise ValueError(f"chat {chat_id} was migrated to {chat.migrated_to}; use the new id")
        return chat

    def _sender(self, chat: Chat, user_id: int | None) -> User:
        if user_id is None:
            if chat.type != "private":
                raise ValueError(f"user_id is required for a {chat.type} chat")
            user_id = chat.id
        if user_id not in self._users:
            self.add_user(user_id)
        if chat.type != "private":
            chat.members.add(user_id)
        return self._users[user_id]

    def send_text(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        chat_type: str | None = None,
        reply_to: int | None = None,
        deliver: bool = True,
    ) -> dict[str, Any]:
        """A person writes ``text`` (a command too) in a chat; returns the ``Update``.

        Commands get their ``bot_command`` entity at offset 0 like in Telegram. With
        ``deliver=False`` the update is only returned, not queued for the bot.
        """
        chat = self._ensure_chat(chat_id, chat_type)
        if chat.kicked:
            raise ValueError(f"the bot is not in chat {chat_id} any more; add_chat() it again")
        if chat.deactivated:
            raise ValueError(f"user {chat_id} is deactivated and cannot write")
        user = self._sender(chat, user_id)
        if chat.type == "private" and chat.blocked:
            # Writing to a bot one has blocked means pressing "Restart", which unblocks it.
            self.unblock(chat_id, deliver=deliver)
        try:
            plain, entities = normalize(text, [], bot_commands=True)
        except ApiError:
            raise ValueError("a person cannot send an empty message") from None
        if reply_to is not None and reply_to not in chat.messages:
            raise LookupError(f"no message {reply_to} in chat {chat_id} to reply to")
        message = StoredMessage(
            message_id=chat.new_message_id(),
            chat_id=chat.id,
            text=plain,
            html=text,
            entities=entities_to_dicts(plain, entities),
            reply_markup=[],
            from_bot=False,
            user_id=user.id,
            date=now_unix(),
            reply_to_message_id=reply_to,
        )
        chat.messages[message.message_id] = message
        kind = "channel_post" if chat.type == "channel" else "message"
        return self._new_update(kind, self._message_dict(message), deliver=deliver)

    def press_button(
        self,
        chat_id: int,
        message_id: int,
        *,
        data: str | None = None,
        text: str | None = None,
        user_id: int | None = None,
        deliver: bool = True,
    ) -> dict[str, Any]:
        """A person presses an inline button of a bot message; returns the ``Update``.

        The button is found by its callback data or its text.
        """
        chat = self.chat(chat_id)
        message = chat.messages.get(message_id)
        if message is None:
            raise LookupError(f"no message {message_id} in chat {chat_id}")
        if not message.from_bot:
            raise LookupError(f"message {message_id} in chat {chat_id} is not from the bot")
        if data is None and text is None:
            raise ValueError("say which button: data=... or text=...")
        button = next(
            (
                b
                for b in message.buttons()
                if (data is None or b.get("callback_data") == data)
                and (text is None or b.get("text") == text)
            ),
            None,
        )
        if button is None:
            available = [
                {k: v for k, v in b.items() if k in ("text", "callback_data")}
                for b in message.buttons()
            ]
            wanted = f"data={data!r}" if data is not None else f"text={text!r}"
            raise LookupError(
                f"message {message_id} in chat {chat_id} has no button with {wanted}; "
                f"its buttons: {available or 'none'}"
            )
        if "callback_data" not in button:
            raise ValueError(f"button {button['text']!r} is not a callback button: {button}")
        user = self._sender(chat, user_id)
        query_id = str(next(self._query_ids))
        self._callbacks[query_id] = CallbackQueryState(
            id=query_id,
            chat_id=chat.id,
            message_id=message_id,
            user_id=user.id,
            data=button["callback_data"],
            created=time.monotonic(),
        )
        query = {
            "id": query_id,
            "from": user.to_dict(),
            "message": self._message_dict(message),
            "chat_instance": str(abs(chat.id) * 7919 + 1_000_000_007),
            "data": button["callback_data"],
        }
        return self._new_update("callback_query", query, deliver=deliver)

    def make_admin(self, chat_id: int, user_id: int) -> None:
        """Make a user (or the bot itself) an administrator of a group, supergroup or channel."""
        chat = self.chat(chat_id)
        if chat.type == "private":
            raise ValueError("private chats have no administrators")
        if user_id not in self._users:
            self.add_user(user_id)
        chat.admins.add(user_id)
        chat.members.add(user_id)

    def block(self, chat_id: int, *, deliver: bool = True) -> None:
        """The user blocks the bot: sends fail with 403, the bot gets ``my_chat_member``."""
        chat = self._private(chat_id)
        if not chat.blocked:
            chat.blocked = True
            self._my_chat_member(chat, chat.id, "member", "kicked", deliver=deliver)

    def unblock(self, chat_id: int, *, deliver: bool = True) -> None:
        """The user unblocks (restarts) the bot."""
        chat = self._private(chat_id)
        if chat.blocked:
            chat.blocked = False
            self._my_chat_member(chat, chat.id, "kicked", "member", deliver=deliver)

    def kick(self, chat_id: int, *, by_user_id: int | None = None, deliver: bool = True) -> None:
        """The bot is removed from a group, supergroup or channel."""
        chat = self.chat(chat_id)
        if chat.type == "private":
            raise ValueError("use block() for private chats")
        if chat.kicked:
            return
        chat.kicked = True
        old = "administrator" if self.bot.id in chat.admins else "member"
        new = "left" if chat.type == "group" else "kicked"
        chat.members.discard(self.bot.id)
        actor = by_user_id if by_user_id is not None else self._actor(chat)
        self._my_chat_member(chat, actor, old, new, deliver=deliver)

    def deactivate(self, chat_id: int) -> None:
        """The user deletes their account: sends fail with ``user is deactivated``."""
        self._private(chat_id).deactivated = True

    def migrate(self, chat_id: int, *, deliver: bool = True) -> int:
        """Upgrade a group to a supergroup; returns the new chat id.

        The bot gets the two service messages Telegram sends, and from now on calls to the
        old id fail with ``migrate_to_chat_id``.
        """
        old = self.chat(chat_id)
        if old.type != "group":
            raise ValueError(f"only groups can be upgraded, chat {chat_id} is a {old.type}")
        if old.migrated_to is not None:
            return old.migrated_to
        new_id = -(1_000_000_000_000 + abs(chat_id))
        new = Chat(
            new_id,
            "supergroup",
            title=old.title,
            admins=set(old.admins),
            members=set(old.members),
        )
        self._chats[new_id] = new
        old.migrated_to = new_id
        actor = self._users[self._actor(old)]
        services = (
            (old, {"migrate_to_chat_id": new_id}),
            (new, {"migrate_from_chat_id": chat_id}),
        )
        for chat, service in services:
            message = StoredMessage(
                message_id=chat.new_message_id(),
                chat_id=chat.id,
                text="",
                html="",
                entities=[],
                reply_markup=[],
                from_bot=False,
                user_id=actor.id,
                date=now_unix(),
                service=service,
            )
            chat.messages[message.message_id] = message
            self._new_update("message", self._message_dict(message), deliver=deliver)
        return new_id

    def delete_chat(self, chat_id: int) -> None:
        """Forget a chat entirely: calls to it fail with ``chat not found``."""
        self._chats.pop(chat_id, None)

    def _private(self, chat_id: int) -> Chat:
        chat = self.chat(chat_id)
        if chat.type != "private":
            raise ValueError(f"chat {chat_id} is a {chat.type}, not a private chat")
        return chat

    def _actor(self, chat: Chat) -> int:
        for user_id in sorted(chat.admins) + sorted(chat.members):
            if user_id != self.bot.id:
                return user_id
        fallback = 1
        if fallback not in self._users:
            self.add_user(fallback, "Chat Admin")
        return fallback

    def _member_dict(self, user_id: int, status: str) -> dict[str, Any]:
        data: dict[str, Any] = {"user": self._users[user_id].to_dict(), "status": status}
        if status == "kicked":
            data["until_date"] = 0
        elif status == "administrator":
            data.update(
                can_be_edited=False,
                is_anonymous=False,
                can_manage_chat=True,
                can_delete_messages=True,
                can_manage_video_chats=True,
                can_restrict_members=True,
                can_promote_members=False,
                can_change_info=True,
                can_invite_users=True,
                can_post_stories=True,
                can_edit_stories=True,
                can_delete_stories=True,
                can_pin_messages=True,
            )
        return data

    def _my_chat_member(
        self, chat: Chat, actor_id: int, old: str, new: str, *, deliver: bool
    ) -> None:
        if actor_id not in self._users:
            self.add_user(actor_id)
        update = {
            "chat": chat.to_dict(),
            "from": self._users[actor_id].to_dict(),
            "date": now_unix(),
            "old_chat_member": self._member_dict(self.bot.id, old),
            "new_chat_member": self._member_dict(self.bot.id, new),
        }
        self._new_update("my_chat_member", update, deliver=deliver)

    def _message_dict(self, message: StoredMessage, *, nested: bool = False) -> dict[str, Any]:
        chat = self._chats[message.chat_id]
        sender = self._users.get(message.user_id) or self.bot
        reply = None
        if message.reply_to_message_id is not None and not nested:
            replied = chat.messages.get(message.reply_to_message_id)
            if replied is not None:
                reply = self._message_dict(replied, nested=True)
        return message_to_dict(message, chat, sender.to_dict(), reply=reply)

    # -----------------------------------------------------------------------------------
    # Updates: long polling and webhook delivery

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

    # -----------------------------------------------------------------------------------
    # Chats as seen by Bot API methods

    def _chat_id(self, p: Params) -> int:
        value = p.data.get("chat_id")
        if value is None or value == "":
            raise bad_request("chat_id is empty")
        if isinstance(value, str) and value.startswith("@"):
            username = value[1:].lower()
            for chat in self._chats.values():
                if chat.type != "private" and (chat.username or "").lower() == username:
                    return chat.id
            raise bad_request(errors.CHAT_NOT_FOUND)
        try:
            chat_id = p.integer("chat_id")
        except ApiError:
            raise bad_request(errors.CHAT_NOT_FOUND) from None
        assert chat_id is not None
        return chat_id

    def _find_chat(self, chat_id: int) -> Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            raise bad_request(errors.CHAT_NOT_FOUND)
        if chat.migrated_to is not None:
            raise ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": chat.migrated_to},
            )
        return chat

    def _writable_chat(self, chat_id: int) -> Chat:
        chat = self._find_chat(chat_id)
        if chat.type == "private":
            if chat.deactivated:
                raise forbidden("user is deactivated")
            if chat.blocked:
                raise forbidden("bot was blocked by the user")
        elif chat.kicked:
            if chat.type == "channel":
                raise forbidden("bot is not a member of the channel chat")
            raise forbidden(f"bot was kicked from the {chat.type} chat")
        return chat

    def _resolve_user(self, user_id: int) -> dict[str, Any] | None:
        user = self._users.get(user_id)
        return user.to_dict() if user else None

    def _format(self, p: Params) -> tuple[str, str, list[dict[str, Any]]]:
        raw = p.text("text")
        if raw is None or raw == "":
            raise bad_request(errors.MESSAGE_TEXT_EMPTY)
        if "parse_mode" in p.data and p.data["parse_mode"] is None:
            raise bad_request("unsupported parse_mode")
        entities = p.json("entities", "can't parse entities JSON object")
        formatted = format_text(
            raw,
            parse_mode=p.text("parse_mode"),
            entities=entities,
            strict_named_entities=self.strict_html_entities,
            resolve_user=self._resolve_user,
        )
        return raw, formatted.text, formatted.entities

    # -----------------------------------------------------------------------------------
    # Bot API methods

    def _get_me(self, p: Params) -> dict[str, Any]:
        me = self.bot.to_dict()
        me.update(
            can_join_groups=True,
            can_read_all_group_messages=False,
            supports_inline_queries=False,
            can_connect_to_business=False,
            has_main_web_app=False,
        )
        return me

    def _send_message(self, p: Params) -> dict[str, Any]:
        chat_id = self._chat_id(p)
        rows, _ = parse_reply_markup(p.data.get("reply_markup"))
        raw, text, entities = self._format(p)
        chat = self._writable_chat(chat_id)
        if utf16_len(text) > MAX_MESSAGE_LENGTH:
            raise bad_request(errors.MESSAGE_TOO_LONG)
        reply_to = self._reply_target(p, chat)
        now = self._check_flood(chat)
        message = StoredMessage(
            message_id=chat.new_message_id(),
            chat_id=chat.id,
            text=text,
            html=raw,
            entities=entities,
            reply_markup=rows,
            from_bot=True,
            user_id=self.bot.id,
            date=now_unix(),
            reply_to_message_id=reply_to,
        )
        chat.messages[message.message_id] = message
        self._flood.record(chat.id, chat.is_group, now)
        return self._message_dict(message)

    def _reply_target(self, p: Params, chat: Chat) -> int | None:
        reply = p.json("reply_parameters", "can't parse reply parameters JSON object")
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow = bool(reply.get("allow_sending_without_reply"))
        else:
            message_id = p.integer("reply_to_message_id")
            allow = p.flag("allow_sending_without_reply")
        if message_id is None:
            return None
        if not isinstance(message_id, int) or message_id not in chat.messages:
            if allow:
                return None
            raise bad_request("message to be replied not found")
        return message_id

    def _message_to_edit(self, p: Params) -> tuple[Chat, StoredMessage]:
        if p.has("inline_message_id"):
            # Inline messages are not simulated.
            raise bad_request(errors.MESSAGE_TO_EDIT_NOT_FOUND)
        chat_id = self._chat_id(p)
        message_id = p.integer("message_id", required="message identifier is not specified")
        chat = self._writable_chat(chat_id)
        message = chat.messages.get(message_id) if message_id is not None else None
        if message is None or message.service:
            raise bad_request(errors.MESSAGE_TO_EDIT_NOT_FOUND)
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return chat, message

    def _apply_edit(
        self,
        *,
        chat: Chat,
        message: StoredMessage,
        text: str,
        html: str,
        entities: list[dict[str, Any]],
        rows: list[list[dict[str, Any]]],
    ) -> dict[str, Any]:
        if (text, entities, rows) == (message.text, message.entities, message.reply_markup):
            raise bad_request(errors.MESSAGE_NOT_MODIFIED)
        now = 0.0
        if self._flood.limits.count_edits:
            now = self._check_flood(chat)
        message.text, message.html, message.entities = text, html, entities
        message.reply_markup = rows
        message.edited = True
        message.edit_date = now_unix()
        if self._flood.limits.count_edits:
            self._flood.record(chat.id, chat.is_group, now)
        return self._message_dict(message)

    def _edit_message_text(self, p: Params) -> dict[str, Any]:
        rows, _ = parse_reply_markup(p.data.get("reply_markup"))
        raw, text, entities = self._format(p)
        chat, message = self._message_to_edit(p)
        if utf16_len(text) > MAX_MESSAGE_LENGTH:
            raise bad_request(errors.MESSAGE_TOO_LONG)
        # Like Telegram, an edit without reply_markup removes the inline keyboard.
        return self._apply_edit(
            chat=chat, message=message, text=text, html=raw, entities=entities, rows=rows
        )

    def _edit_message_reply_markup(self, p: Params) -> dict[str, Any]:
        rows, _ = parse_reply_markup(p.data.get("reply_markup"))
        chat, message = self._message_to_edit(p)
        return self._apply_edit(
            chat=chat,
            message=message,
            text=message.text,
            html=message.html,
            entities=message.entities,
            rows=rows,
        )

    def _delete_message(self, p: Params) -> bool:
        chat = self._find_chat(self._chat_id(p))
        message_id = p.integer("message_id", required="message identifier is not specified")
        message = chat.messages.get(message_id) if message_id is not None else None
        if message is None:
            raise bad_request("message to delete not found")
        if not message.from_bot and chat.type != "private" and self.bot.id not in chat.admins:
            raise bad_request("message can't be deleted")
        del chat.messages[message.message_id]
        return True

    def _answer_callback_query(self, p: Params) -> bool:
        query_id = p.text("callback_query_id")
        state = self._callbacks.get(query_id or "")
        if (
            state is None
            or state.answered
            or time.monotonic() - state.created > self.callback_timeout
        ):
            raise bad_request(errors.QUERY_TOO_OLD)
        text = p.text("text")
        if text is not None and utf16_len(text) > MAX_CALLBACK_ANSWER_LENGTH:
            raise bad_request("MESSAGE_TOO_LONG")
        state.answered = True
        state.answer = {
            "text": text,
            "show_alert": p.flag("show_alert"),
            "url": p.text("url"),
            "cache_time": p.integer("cache_time") or 0,
        }
        return True

    def _commands_key(self, p: Params) -> str:
        scope = p.json("scope", "can't parse BotCommandScope JSON object")
        if scope is None:
            scope = {"type": "default"}
        if not isinstance(scope, dict) or "type" not in scope:
            raise bad_request("can't parse BotCommandScope JSON object")
        return json.dumps([scope, p.text("language_code") or ""], sort_keys=True)

    def _set_my_commands(self, p: Params) -> bool:
        commands = p.json("commands", "can't parse commands JSON object")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        if len(commands) > 100:
            raise bad_request("BOT_COMMANDS_TOO_MUCH")
        checked: list[dict[str, str]] = []
        for command in commands:
            if not isinstance(command, dict):
                raise bad_request("can't parse BotCommand: BotCommand must be an Object")
            name = command.get("command")
            description = command.get("description")
            if not isinstance(name, str) or not _COMMAND.fullmatch(name.lower()):
                raise bad_request("BOT_COMMAND_INVALID")
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
            checked.append({"command": name.lower(), "description": description})
        key = self._commands_key(p)
        if checked:
            self.commands[key] = checked
        else:
            self.commands.pop(key, None)
        return True

    def _get_my_commands(self, p: Params) -> list[dict[str, str]]:
        return list(self.commands.get(self._commands_key(p), []))

    def _delete_my_commands(self, p: Params) -> bool:
        self.commands.pop(self._commands_key(p), None)
        return True

    def _set_webhook(self, p: Params) -> _Answer:
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
        return _Answer(True, "Webhook is already set" if same else "Webhook was set")

    def _delete_webhook(self, p: Params) -> _Answer:
        if p.flag("drop_pending_updates"):
            self._queue.clear()
        was_set = bool(self.webhook_url)
        self.webhook_url = ""
        self._webhook_secret = None
        task, self._webhook_task = self._webhook_task, None
        if task is not None:
            task.cancel()
        return _Answer(True, "Webhook was deleted" if was_set else "Webhook is already deleted")

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

    def _get_chat(self, p: Params) -> dict[str, Any]:
        chat = self._find_chat(self._chat_id(p))
        data = chat.to_dict()
        data.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        return data

    def _get_chat_member(self, p: Params) -> dict[str, Any]:
        chat = self._find_chat(self._chat_id(p))
        user_id = p.integer("user_id", required="user not found")
        assert user_id is not None
        if user_id not in self._users:
            raise bad_request("user not found")
        if user_id == self.bot.id:
            if chat.kicked:
                status = "left" if chat.type == "group" else "kicked"
            else:
                status = "administrator" if user_id in chat.admins else "member"
        elif chat.type == "private":
            if user_id != chat.id:
                raise bad_request("user not found")
            status = "member"
        elif user_id in chat.admins:
            status = "administrator"
        elif user_id in chat.members:
            status = "member"
        else:
            status = "left"
        return self._member_dict(user_id, status)

    def _send_chat_action(self, p: Params) -> bool:
        chat_id = self._chat_id(p)
        action = p.text("action")
        if action not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self._writable_chat(chat_id)
        return True

    def _close(self, p: Params) -> bool:
        return True

    # -----------------------------------------------------------------------------------
    # A small HTTP control surface, for a bot or sandbox running in another process

    _CONTROL_ACTIONS = frozenset(
        {
            "add_user",
            "add_chat",
            "send_text",
            "press_button",
            "make_admin",
            "block",
            "unblock",
            "kick",
            "deactivate",
            "migrate",
            "delete_chat",
            "fail_next",
            "set_fault_rate",
            "set_delay",
            "drop_next",
            "clear_faults",
            "clear_calls",
        }
    )

    async def _handle_control(self, request: web.Request) -> web.Response:
        action = request.match_info["action"]
        try:
            kwargs = await request.json() if request.body_exists else {}
            if not isinstance(kwargs, dict):
                raise TypeError("the body must be a JSON object of keyword arguments")
            result: Any
            if action == "calls":
                # `since`: only the calls after the first `since`, for readers that poll.
                since = int(kwargs.get("since", 0))
                result = [dataclasses.asdict(call) for call in self.calls[since:]]
            elif action == "messages":
                chat_id = int(kwargs.get("chat_id", request.query.get("chat_id", 0)))
                result = [dataclasses.asdict(m) for m in self.messages(chat_id)]
            elif action == "flood":
                self.set_flood_limits(FloodLimits(**kwargs) if kwargs else None)
                result = True
            elif action in self._CONTROL_ACTIONS:
                method: Callable[..., Any] = getattr(self, action)
                result = method(**kwargs)
                if isinstance(result, Awaitable):
                    result = await result
            else:
                return self._json_response(ApiError(404, "Not Found").to_dict(), 404)
        except (TypeError, ValueError, LookupError) as exc:
            return self._json_response(
                {"ok": False, "error_code": 400, "description": str(exc)}, 400
            )
        return self._json_response({"ok": True, "result": result})
