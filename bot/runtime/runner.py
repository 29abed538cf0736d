"""Running the bot: long polling until a signal, for `digestbot run` and the sandbox."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from telegram import Update

from bot.runtime.types import BotApp

log = logging.getLogger(__name__)

# Seconds one getUpdates waits for news: long polling answers at once when an update arrives.
POLL_TIMEOUT = 30


@asynccontextmanager
async def polling(app: BotApp, *, poll_timeout: int = POLL_TIMEOUT) -> AsyncIterator[None]:
    """Run the application with long polling inside the block; stop it cleanly on exit.

    The same steps as `Application.run_polling`, but inside a running event loop, so the
    sandbox can drive the bot while it polls."""
    await app.initialize()
    try:
        if app.post_init is not None:
            await app.post_init(app)
        updater = app.updater
        if updater is None:
            raise RuntimeError("the application was built without an updater")
        await updater.start_polling(timeout=poll_timeout, allowed_updates=Update.ALL_TYPES)
        await app.start()
        try:
            yield
        finally:
            if updater.running:
                await updater.stop()
            if app.running:
                await app.stop()
            if app.post_stop is not None:
                await app.post_stop(app)
    finally:
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)


async def run_until_signalled(app: BotApp) -> None:
    """Poll until SIGINT or SIGTERM, then shut down cleanly (pending updates are finished)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for signum in signals:
        loop.add_signal_handler(signum, stop.set)
    try:
        async with polling(app):
            log.info("Digestbot is running as @%s; stop it with Ctrl-C", app.bot.username)
            await stop.wait()
            log.info("Stopping")
    finally:
        for signum in signals:
            with contextlib.suppress(ValueError, RuntimeError):
                loop.remove_signal_handler(signum)
