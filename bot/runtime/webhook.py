"""`digestbot run --webhook`: updates arrive over HTTP from Telegram, behind a reverse proxy.

Each request must carry the secret given to setWebhook in Telegram's header; anything else is
refused with 403 before its body is read. A body without an integer update_id gets 400.

Telegram delivers an update again when it did not see a 2xx answer, possibly to another
process. The update id is recorded in `processed_updates` (storage.updates) before the update
is handled, so each update is handled once:
- the first copy is handled and answered 200, also when a handler fails (the error handler
  reports that);
- a copy of an update already handled is answered 200 and dropped;
- a copy of an update another process is handling right now is answered 503, so Telegram
  delivers it again later: should that process stop mid-way, the update is taken over once
  its lease (storage.updates.UPDATE_LEASE) has run out;
- if the id cannot be recorded (the database is away), 500: Telegram delivers it again later;
- an update PTB cannot read is recorded as handled and answered 400.

On PostgreSQL any number of these processes run side by side behind the proxy (and beside
workers, never beside a poller: see storage.locks); on SQLite the one process is alone.
`serving_webhook` listens and registers the webhook for an application that is already
running (bot.runtime.lifecycle runs it).
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update

from bot.runtime import metrics
from bot.runtime.config import CannotListen, parse_listen
from bot.runtime.deps import Deps
from bot.runtime.tasks import stop_task
from bot.runtime.types import BotApp
from storage.updates import Claim

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# How often each process forgets update ids too old to be delivered again.
PRUNE_EVERY_SECONDS = 600.0
# How long a stopping process lets requests in flight finish.
SHUTDOWN_SECONDS = 10.0


class WebhookServer:
    """Takes Telegram's POSTs on one path and hands each new update to the application."""

    def __init__(
        self,
        app: BotApp,
        deps: Deps,
        *,
        secret: str,
        path: str,
        host: str,
        port: int,
        prune_every: float = PRUNE_EVERY_SECONDS,
    ) -> None:
        self._app = app
        self._deps = deps
        self._secret = secret.encode()
        self._path = path
        self._host = host
        self._port = port
        self._prune_every = prune_every
        self._runner: web.AppRunner | None = None
        self._pruner: asyncio.Task[None] | None = None

    @property
    def port(self) -> int:
        """The port listened on (the real one when 0 was asked for)."""
        return self._port

    async def start(self) -> None:
        """Start listening and pruning old update ids."""
        web_app = web.Application(client_max_size=1024 * 1024)
        web_app.router.add_post(self._path, self._receive)
        self._runner = web.AppRunner(web_app, access_log=None, shutdown_timeout=SHUTDOWN_SECONDS)
        await self._runner.setup()
        try:
            await web.TCPSite(self._runner, self._host, self._port).start()
        except OSError as error:
            await self._runner.cleanup()
            raise CannotListen("WEBHOOK_LISTEN", self._host, self._port, error) from None
        self._port = int(self._runner.addresses[0][1])
        self._pruner = asyncio.create_task(self._prune_now_and_then())

    async def stop(self) -> None:
        """Stop listening; requests in flight finish first."""
        pruner, self._pruner = self._pruner, None
        await stop_task(pruner)
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def _receive(self, request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not hmac.compare_digest(given, self._secret):
            metrics.webhook_request("forbidden")
            log.warning(
                "Refused a webhook request from %s: %s secret token",
                request.remote,
                "wrong" if given else "no",
            )
            return web.Response(status=403, text="Forbidden")
        try:
            data = await request.json()
        except ValueError:
            data = None
        update_id = data.get("update_id") if isinstance(data, dict) else None
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            metrics.webhook_request("bad_request")
            return web.Response(status=400, text="Expected an Update with an update_id")
        try:
            async with self._deps.db.transaction() as repos:
                claim = await repos.updates.claim(update_id, self._deps.clock())
        except Exception:
            # Telegram delivers the update again later.
            metrics.webhook_request("error")
            log.exception("Could not record update %d", update_id)
            return web.Response(status=500, text="Try again later")
        if claim is Claim.HANDLED:
            metrics.webhook_request("duplicate")
            log.info("Update %d was delivered again; handled once already", update_id)
            return web.Response(text="Already handled")
        if claim is Claim.BUSY:
            # Not 200: should the process handling it stop mid-way, this copy must come back.
            metrics.webhook_request("busy")
            log.info(
                "Update %d is being handled by another process; asked for it later", update_id
            )
            return web.Response(status=503, text="Being handled; deliver again later")
        try:
            update = Update.de_json(data, self._app.bot)
        except Exception:  # a payload PTB cannot read would fail the same way every time
            metrics.webhook_request("bad_request")
            log.exception("Update %d could not be read", update_id)
            await self._handled(update_id)
            return web.Response(status=400, text="Unreadable update")
        # The same path as polling: PTB's update processor (which times it), then handlers.
        # Errors in handlers go to the error handler; the answer to Telegram is 200 anyway.
        await self._app.update_processor.process_update(update, self._app.process_update(update))
        await self._handled(update_id)
        metrics.webhook_request("handled")
        return web.Response(text="OK")

    async def _handled(self, update_id: int) -> None:
        try:
            async with self._deps.db.transaction() as repos:
                await repos.updates.handled(update_id, self._deps.clock())
        except Exception:
            # It was handled all the same; only a copy delivered after the lease would be
            # handled again.
            log.exception("Could not record that update %d was handled", update_id)

    async def _prune_now_and_then(self) -> None:
        while True:
            try:
                async with self._deps.db.transaction() as repos:
                    pruned = await repos.updates.prune(self._deps.clock())
                if pruned:
                    log.info("Forgot %d old update ids", pruned)
            except Exception:  # the next round tries again
                log.exception("Pruning old update ids failed")
            await asyncio.sleep(self._prune_every)


@contextlib.asynccontextmanager
async def serving_webhook(app: BotApp, deps: Deps) -> AsyncIterator[WebhookServer]:
    """Hand the running application the updates Telegram posts, inside the block: listen on
    WEBHOOK_LISTEN, then register WEBHOOK_URL with WEBHOOK_SECRET; stop listening on exit.

    The webhook stays registered on exit: other processes may still be serving it."""
    settings = deps.settings
    if settings.webhook_url is None or settings.webhook_secret is None:
        raise ValueError("WEBHOOK_URL and WEBHOOK_SECRET are needed to receive webhooks")
    host, port = parse_listen(settings.webhook_listen)
    path = urlsplit(settings.webhook_url).path or "/"
    secret = settings.webhook_secret.get_secret_value()
    server = WebhookServer(app, deps, secret=secret, path=path, host=host, port=port)
    await server.start()
    try:
        # Listening first, so Telegram's first delivery finds us. Pending updates are kept:
        # they are delivered here once the webhook is set.
        await app.bot.set_webhook(
            settings.webhook_url,
            secret_token=secret,
            allowed_updates=Update.ALL_TYPES,
            drop_pending_updates=False,
        )
        log.info(
            "Receiving updates for @%s at %s (listening on %s:%d, path %s)",
            app.bot.username,
            settings.webhook_url,
            host,
            server.port,
            path,
        )
        yield server
    finally:
        await server.stop()
