"""A local Telegram Bot API server for tests, benchmarks and the sandbox.

Typical use::

    async with LocalBotApi("123456:TEST") as api:
        bot = telegram.Bot("123456:TEST", base_url=f"{api.url}/bot")
        api.send_text(42, "/start")
        ...
"""

from bot.localapi.errors import ApiError
from bot.localapi.flood import FloodLimits
from bot.localapi.server import LocalBotApi
from bot.localapi.state import Call, Chat, StoredMessage, User

__all__ = ["ApiError", "Call", "Chat", "FloodLimits", "LocalBotApi", "StoredMessage", "User"]
