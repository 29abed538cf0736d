"""A local Bot API server on loopback, as strict as Telegram, with a person's side to drive it.

The bot talks HTTP to it exactly as it would to ``api.telegram.org`` (``base_url`` is
``f"{api.url}/bot"``); tests and the sandbox play the people in the chats through the Python
methods (``send_text``, ``press_button``, ``block`` ...) and inspect what the bot did through
``calls`` and ``messages``. All methods must be called from the event loop the server runs in.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any, Self, TypeVar

from aiohttp import web

from sandbox.localapi.callbacks import Callbacks
from sandbox.localapi.control import Control
from sandbox.localapi.core import Answer, json_response
from sandbox.localapi.errors import ApiError, bad_request
from sandbox.localapi.faults import Drop, Faults
from sandbox.localapi.flood import FloodLimits
from sandbox.localapi.identity import Identity
from sandbox.localapi.messages import Messages
from sandbox.localapi.params import CANONICAL, Params, decode_form_value

__all__ = ["LocalBotApi"]

log = logging.getLogger(__name__)
T = TypeVar("T")


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


class LocalBotApi(Messages, Callbacks, Identity, Faults, Control):
    """A Telegram Bot API server on loopback for tests, benchmarks and the sandbox.

    Each area of the Bot API lives in its own module (messages, callbacks, chats, updates,
    faults ...); this class puts them together behind one HTTP listener.
    """

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
        super().__init__(
            token,
            bot_username=bot_username,
            bot_first_name=bot_first_name,
            bot_id=bot_id,
            flood=flood,
            strict_html_entities=strict_html_entities,
            record_calls=record_calls,
        )
        self._init_updates(webhook_retry_delays, webhook_timeout)
        self._init_callbacks(callback_timeout)
        self._init_faults()
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

    async def _not_found(self, request: web.Request) -> web.Response:
        return json_response(ApiError(404, "Not Found").to_dict(), 404)

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = {
            key: decode_form_value(key, value) for key, value in request.query.items()
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
                    params[key] = decode_form_value(key, value)
                elif isinstance(value, bytes | bytearray):
                    params[key] = decode_form_value(key, bytes(value).decode("utf-8", "replace"))
                else:
                    params[key] = {"file_name": value.filename, "content_type": value.content_type}
        return params

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["method"]
        if self.token is not None and request.match_info["token"] != self.token:
            self._record(name, {}, ApiError(401, "Unauthorized"))
            return json_response(ApiError(401, "Unauthorized").to_dict(), 401)
        method = CANONICAL.get(name.lower())
        if method is None:
            error = _unsimulated(name) or ApiError(404, "Not Found")
            self._record(name, {}, error)
            return json_response(error.to_dict(), error.error_code)

        params: dict[str, Any] = {}
        drop: Drop | None = None
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
            if isinstance(result, Answer):
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
        return json_response(body, status)
