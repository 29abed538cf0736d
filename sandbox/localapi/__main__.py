"""Run the local Bot API server: ``python -m sandbox.localapi --port 8081``.

Prints the root URL on the first line of stdout (the bot uses ``{url}/bot`` as base_url) and
serves until SIGINT or SIGTERM. People in chats are driven over ``POST {url}/_local/<action>``
with a JSON object of keyword arguments, e.g. ``/_local/send_text`` with
``{"chat_id": 42, "text": "/start"}``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal

from sandbox.localapi.flood import FloodLimits
from sandbox.localapi.server import LocalBotApi


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sandbox.localapi", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--token", default=None, help="accept only this bot token")
    parser.add_argument("--bot-username", default="digestbot_test_bot")
    parser.add_argument(
        "--flood",
        choices=("off", "telegram"),
        default="off",
        help="enforce Telegram's flood limits (30/s; 1/s per chat after a burst of 4; 20/min per "
        "group)",
    )
    parser.add_argument(
        "--chat", type=int, action="append", default=[], help="a private chat to know at start"
    )
    return parser.parse_args(argv)


async def serve(args: argparse.Namespace) -> None:
    """Start the server, print its URL and wait for a termination signal."""
    api = LocalBotApi(
        args.token,
        bot_username=args.bot_username,
        flood=FloodLimits.telegram() if args.flood == "telegram" else None,
    )
    for chat_id in args.chat:
        api.add_chat(chat_id)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await api.start(args.host, args.port)
    try:
        print(api.url, flush=True)
        await stop.wait()
    finally:
        await api.stop()


def main(argv: list[str] | None = None) -> None:
    """Entry point of ``python -m sandbox.localapi``."""
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(serve(_parse_args(argv)))


if __name__ == "__main__":
    main()
