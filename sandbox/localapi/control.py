"""A small HTTP control surface, for a bot or sandbox running in another process."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from sandbox.localapi.core import json_response
from sandbox.localapi.errors import ApiError
from sandbox.localapi.flood import FloodLimits
from sandbox.localapi.inspection import Inspection


class Control(Inspection):
    """``/_local/<action>``: the person's side and inspection over HTTP."""

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
                return json_response(ApiError(404, "Not Found").to_dict(), 404)
        except (TypeError, ValueError, LookupError) as exc:
            return json_response({"ok": False, "error_code": 400, "description": str(exc)}, 400)
        return json_response({"ok": True, "result": result})
