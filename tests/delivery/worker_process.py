"""`digestbot worker` in a process of its own, for the several-workers test.

`run_worker_process(env, sender_id)` runs bot.cli.run.run_as("worker", ...) (what
`digestbot worker` runs) configured from the environment; the test starts it through a
multiprocessing fork server that has imported the bot once."""

from __future__ import annotations

import asyncio
import faulthandler
import logging
import os
import signal

from bot.cli import load_settings, utc_now
from bot.cli.run import run_as


def run_worker_process(env: dict[str, str], sender_id: str) -> None:
    """Run a worker with `env` added to the environment, until SIGTERM (or SIGKILL)."""
    os.environ.update(env)
    faulthandler.register(signal.SIGUSR1, all_threads=True)
    settings = load_settings()
    logging.basicConfig(level=settings.log_level_number)
    asyncio.run(run_as("worker", settings, utc_now, sender_id=sender_id))
