"""A local Telegram Bot API server for tests, benchmarks and the sandbox.

Typical use::

    async with LocalBotApi("123456:TEST") as api:
        bot = telegram.Bot("123456:TEST", base_url=f"{api.url}/bot")
        api.send_text(42, "/start")
        ...
"""

from sandbox.localapi.errors import ApiError
from sandbox.localapi.flood import FloodLimits
from sandbox.localapi.server import LocalBotApi
from sandbox.localapi.state import Call, Chat, StoredMessage, User

__all__ = ["ApiError", "Call", "Chat", "FloodLimits", "LocalBotApi", "StoredMessage", "User"]
