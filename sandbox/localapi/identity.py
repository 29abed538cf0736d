"""Who the bot is: getMe, its command menus, close and logOut."""

from __future__ import annotations

import json
import re
from typing import Any

from sandbox.localapi.core import Core
from sandbox.localapi.errors import bad_request
from sandbox.localapi.params import Params

_COMMAND = re.compile(r"[a-z0-9_]{1,32}")


class Identity(Core):
    """The bot's own profile."""

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

    def _close(self, p: Params) -> bool:
        return True
