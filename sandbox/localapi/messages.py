"""Messages: a person writes, the bot sends, edits and deletes."""

from __future__ import annotations

from typing import Any

from sandbox.localapi import errors
from sandbox.localapi.chats import Chats
from sandbox.localapi.errors import ApiError, bad_request
from sandbox.localapi.html import entities_to_dicts, format_text, normalize, utf16_len
from sandbox.localapi.keyboard import parse_reply_markup
from sandbox.localapi.params import Params
from sandbox.localapi.state import Chat, StoredMessage, now_unix

MAX_MESSAGE_LENGTH = 4096  # UTF-16 code units after entity parsing


class Messages(Chats):
    """Text messages from both sides."""

    def send_text(
        self,
        chat_id: int,
        text: str,
        *,
        user_id: int | None = None,
        chat_type: str | None = None,
        reply_to: int | None = None,
        deliver: bool = True,
    ) -> dict[str, Any]:
        """A person writes ``text`` (a command too) in a chat; returns the ``Update``.

        Commands get their ``bot_command`` entity at offset 0 like in Telegram. With
        ``deliver=False`` the update is only returned, not queued for the bot.
        """
        chat = self._ensure_chat(chat_id, chat_type)
        if chat.kicked:
            raise ValueError(f"the bot is not in chat {chat_id} any more; add_chat() it again")
        if chat.deactivated:
            raise ValueError(f"user {chat_id} is deactivated and cannot write")
        user = self._sender(chat, user_id)
        if chat.type == "private" and chat.blocked:
            # Writing to a bot one has blocked means pressing "Restart", which unblocks it.
            self.unblock(chat_id, deliver=deliver)
        try:
            plain, entities = normalize(text, [], bot_commands=True)
        except ApiError:
            raise ValueError("a person cannot send an empty message") from None
        if reply_to is not None and reply_to not in chat.messages:
            raise LookupError(f"no message {reply_to} in chat {chat_id} to reply to")
        message = StoredMessage(
            message_id=chat.new_message_id(),
            chat_id=chat.id,
            text=plain,
            html=text,
            entities=entities_to_dicts(plain, entities),
            reply_markup=[],
            from_bot=False,
            user_id=user.id,
            date=now_unix(),
            reply_to_message_id=reply_to,
        )
        chat.messages[message.message_id] = message
        kind = "channel_post" if chat.type == "channel" else "message"
        return self._new_update(kind, self._message_dict(message), deliver=deliver)

    # -----------------------------------------------------------------------------------
    # Bot API methods

    def _format(self, p: Params) -> tuple[str, str, list[dict[str, Any]]]:
        raw = p.text("text")
        if raw is None or raw == "":
            raise bad_request(errors.MESSAGE_TEXT_EMPTY)
        if "parse_mode" in p.data and p.data["parse_mode"] is None:
            raise bad_request("unsupported parse_mode")
        entities = p.json("entities", "can't parse entities JSON object")
        formatted = format_text(
            raw,
            parse_mode=p.text("parse_mode"),
            entities=entities,
            strict_named_entities=self.strict_html_entities,
            resolve_user=self._resolve_user,
        )
        return raw, formatted.text, formatted.entities

    def _send_message(self, p: Params) -> dict[str, Any]:
        chat_id = self._chat_id(p)
        rows, _ = parse_reply_markup(p.data.get("reply_markup"))
        raw, text, entities = self._format(p)
        chat = self._writable_chat(chat_id)
        if utf16_len(text) > MAX_MESSAGE_LENGTH:
            raise bad_request(errors.MESSAGE_TOO_LONG)
        reply_to = self._reply_target(p, chat)
        now = self._check_flood(chat)
        message = StoredMessage(
            message_id=chat.new_message_id(),
            chat_id=chat.id,
            text=text,
            html=raw,
            entities=entities,
            reply_markup=rows,
            from_bot=True,
            user_id=self.bot.id,
            date=now_unix(),
            reply_to_message_id=reply_to,
        )
        chat.messages[message.message_id] = message
        self._flood.record(chat.id, chat.is_group, now)
        return self._message_dict(message)

    def _reply_target(self, p: Params, chat: Chat) -> int | None:
        reply = p.json("reply_parameters", "can't parse reply parameters JSON object")
        if isinstance(reply, dict):
            message_id = reply.get("message_id")
            allow = bool(reply.get("allow_sending_without_reply"))
        else:
            message_id = p.integer("reply_to_message_id")
            allow = p.flag("allow_sending_without_reply")
        if message_id is None:
            return None
        if not isinstance(message_id, int) or message_id not in chat.messages:
            if allow:
                return None
            raise bad_request("message to be replied not found")
        return message_id

    def _message_to_edit(self, p: Params) -> tuple[Chat, StoredMessage]:
        if p.has("inline_message_id"):
            # Inline messages are not simulated.
            raise bad_request(errors.MESSAGE_TO_EDIT_NOT_FOUND)
        chat_id = self._chat_id(p)
        message_id = p.integer("message_id", required="message identifier is not specified")
        chat = self._writable_chat(chat_id)
        message = chat.messages.get(message_id) if message_id is not None else None
        if message is None or message.service:
            raise bad_request(errors.MESSAGE_TO_EDIT_NOT_FOUND)
        if not message.from_bot:
            raise bad_request("message can't be edited")
        return chat, message

    def _apply_edit(
        self,
        *,
        chat: Chat,
        message: StoredMessage,
        text: str,
        html: str,
        entities: list[dict[str, Any]],
        rows: list[list[dict[str, Any]]],
    ) -> dict[str, Any]:
        if (text, entities, rows) == (message.text, message.entities, message.reply_markup):
            raise bad_request(errors.MESSAGE_NOT_MODIFIED)
        now = 0.0
        if self._flood.limits.count_edits:
            now = self._check_flood(chat)
        message.text, message.html, message.entities = text, html, entities
        message.reply_markup = rows
        message.edited = True
        message.edit_date = now_unix()
        if self._flood.limits.count_edits:
            self._flood.record(chat.id, chat.is_group, now)
        return self._message_dict(message)

    def _edit_message_text(self, p: Params) -> dict[str, Any]:
        rows, _ = parse_reply_markup(p.data.get("reply_markup"))
        raw, text, entities = self._format(p)
        chat, message = self._message_to_edit(p)
        if utf16_len(text) > MAX_MESSAGE_LENGTH:
            raise bad_request(errors.MESSAGE_TOO_LONG)
        # Like Telegram, an edit without reply_markup removes the inline keyboard.
        return self._apply_edit(
            chat=chat, message=message, text=text, html=raw, entities=entities, rows=rows
        )

    def _edit_message_reply_markup(self, p: Params) -> dict[str, Any]:
        rows, _ = parse_reply_markup(p.data.get("reply_markup"))
        chat, message = self._message_to_edit(p)
        return self._apply_edit(
            chat=chat,
            message=message,
            text=message.text,
            html=message.html,
            entities=message.entities,
            rows=rows,
        )

    def _delete_message(self, p: Params) -> bool:
        chat = self._find_chat(self._chat_id(p))
        message_id = p.integer("message_id", required="message identifier is not specified")
        message = chat.messages.get(message_id) if message_id is not None else None
        if message is None:
            raise bad_request("message to delete not found")
        if not message.from_bot and chat.type != "private" and self.bot.id not in chat.admins:
            raise bad_request("message can't be deleted")
        del chat.messages[message.message_id]
        return True
