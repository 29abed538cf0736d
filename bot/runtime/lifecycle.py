"""One lifecycle for every mode: `run` (polling), `run --webhook`, `worker` and the sandbox.

PTB's own `run_polling` owns the event loop; every mode here runs inside one (the webhook
serves its own HTTP, the sandbox drives the bot while it polls), so `running` takes its steps
in its order: initialize, post_init, start polling (polling modes only), start; then stop
polling, stop, post_stop, shutdown, post_shutdown. `async with application` covers initialize
and shutdown only: the post_* hooks (the schema upgrade and the command menu on start, closing
the database at the end) are called here, and nowhere else.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Literal

from telegram import Update

from bot.runtime.deps import Deps
from bot.runtime.ops import running_as
from bot.runtime.types import BotApp
from bot.runtime.webhook import serving_webhook

log = logging.getLogger(__name__)

# The modes that run until a signal (the sandbox runs until its input ends).
Mode = Literal["polling", "webhook", "worker"]
# Seconds one getUpdates waits for news: long polling answers at once when an update arrives.
POLL_TIMEOUT = 30


@asynccontextmanager
async def running(app: BotApp, *, poll_timeout: int | None = None) -> AsyncIterator[None]:
    """Run the application inside the block, polling for updates if `poll_timeout` is given;
    on exit, finish the updates and tasks in hand and shut down cleanly."""
    try:
        async with app:
            if app.post_init is not None:
                await app.post_init(app)
            updater = app.updater
            try:
                if poll_timeout is not None:
                    if updater is None:
                        raise RuntimeError("the application was built without an updater")
                    await updater.start_polling(
                        timeout=poll_timeout, allowed_updates=Update.ALL_TYPES
                    )
                await app.start()
                yield
            finally:
                if updater is not None and updater.running:
                    await updater.stop()
                # As in PTB: post_stop only follows a stop.
                if app.running:
                    await app.stop()
                    if app.post_stop is not None:
                        await app.post_stop(app)
    finally:
        if app.post_shutdown is not None:
            await app.post_shutdown(app)


async def wait_for_signal() -> None:
    """Return on SIGINT or SIGTERM."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for signum in signals:
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        for signum in signals:
            with contextlib.suppress(ValueError, RuntimeError):
                loop.remove_signal_handler(signum)


async def serve_until_signalled(app: BotApp, deps: Deps, mode: Mode) -> None:
    """Run `app` in `mode` until SIGINT or SIGTERM, holding this process's lock on the
    database and serving /healthz and /metrics (see bot.runtime.ops).

    Raises storage.locks.AlreadyRunning, before anything else, if another process is in the
    way. Stopping finishes what is in hand: the updates taken, the digest batches claimed."""
    try:
        async with running_as(mode, deps.settings, deps.db), _receiving(app, deps, mode):
            log.info(
                "Digestbot is running as @%s (%s); stop it with Ctrl-C", app.bot.username, mode
            )
            await wait_for_signal()
            log.info("Stopping")
    finally:
        # The application's post_shutdown closes it too; this covers a refused start.
        await deps.db.dispose()


def _receiving(app: BotApp, deps: Deps, mode: Mode) -> AbstractAsyncContextManager[Any]:
    if mode == "webhook":
        return _serving_webhook(app, deps)
    # A worker takes no updates: it runs the job queue (the scheduler's tick) only.
    return running(app, poll_timeout=POLL_TIMEOUT if mode == "polling" else None)


@asynccontextmanager
async def _serving_webhook(app: BotApp, deps: Deps) -> AsyncIterator[None]:
    # Running first, listening next: exiting stops the listener before the application.
    async with running(app), serving_webhook(app, deps):
        yield
