"""Chats and members: people and groups the bot is in, and what happens to them."""

from __future__ import annotations

from typing import Any

from sandbox.localapi.errors import bad_request
from sandbox.localapi.params import Params
from sandbox.localapi.state import CHAT_TYPES, Chat, StoredMessage, User, now_unix
from sandbox.localapi.updates import Updates

_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)


class Chats(Updates):
    """Users, chats and the bot's membership, from both sides."""

    def add_user(
        self,
        user_id: int,
        first_name: str | None = None,
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = None,
        is_bot: bool = False,
    ) -> dict[str, Any]:
        """Register (or update) a user; returns the ``User`` object."""
        user = self._users.get(user_id)
        if user is None:
            user = self._users[user_id] = User(user_id, first_name or f"User {user_id}")
        if first_name:
            user.first_name = first_name
        if last_name is not None:
            user.last_name = last_name
        if username is not None:
            user.username = username
        if language_code is not None:
            user.language_code = language_code
        user.is_bot = is_bot
        return user.to_dict()

    def add_chat(
        self,
        chat_id: int,
        type: str = "private",
        title: str | None = None,
        username: str | None = None,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
    ) -> dict[str, Any]:
        """Make a chat known to the server (and its user, for a private chat)."""
        if type not in CHAT_TYPES:
            raise ValueError(f"chat type must be one of {sorted(CHAT_TYPES)}, not {type!r}")
        if (type == "private") != (chat_id > 0):
            raise ValueError("private chats have positive ids, groups and channels negative")
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = Chat(chat_id, type)
        chat.type = type
        if title is not None:
            chat.title = title
        if username is not None:
            chat.username = username
        if type == "private":
            self.add_user(
                chat_id, first_name, last_name=last_name, username=username, is_bot=False
            )
            user = self._users[chat_id]
            chat.first_name, chat.last_name = user.first_name, user.last_name
            chat.members.update({chat_id, self.bot.id})
        else:
            # Adding a known group again means the bot was added back.
            chat.kicked = False
            chat.members.add(self.bot.id)
        return chat.to_dict()

    def _ensure_chat(self, chat_id: int, chat_type: str | None) -> Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            if chat_type is None:
                if chat_id > 0:
                    chat_type = "private"
                elif chat_id <= -1_000_000_000_000:
                    chat_type = "supergroup"
                else:
                    chat_type = "group"
            self.add_chat(chat_id, chat_type)
            chat = self._chats[chat_id]
        if chat.migrated_to is not None:
            raise ValueError(f"chat {chat_id} was migrated to {chat.migrated_to}; use the new id")
        return chat

    def _sender(self, chat: Chat, user_id: int | None) -> User:
        if user_id is None:
            if chat.type != "private":
                raise ValueError(f"user_id is required for a {chat.type} chat")
            user_id = chat.id
        if user_id not in self._users:
            self.add_user(user_id)
        if chat.type != "private":
            chat.members.add(user_id)
        return self._users[user_id]

    def make_admin(self, chat_id: int, user_id: int) -> None:
        """Make a user (or the bot itself) an administrator of a group, supergroup or channel."""
        chat = self.chat(chat_id)
        if chat.type == "private":
            raise ValueError("private chats have no administrators")
        if user_id not in self._users:
            self.add_user(user_id)
        chat.admins.add(user_id)
        chat.members.add(user_id)

    def block(self, chat_id: int, *, deliver: bool = True) -> None:
        """The user blocks the bot: sends fail with 403, the bot gets ``my_chat_member``."""
        chat = self._private(chat_id)
        if not chat.blocked:
            chat.blocked = True
            self._my_chat_member(chat, chat.id, "member", "kicked", deliver=deliver)

    def unblock(self, chat_id: int, *, deliver: bool = True) -> None:
        """The user unblocks (restarts) the bot."""
        chat = self._private(chat_id)
        if chat.blocked:
            chat.blocked = False
            self._my_chat_member(chat, chat.id, "kicked", "member", deliver=deliver)

    def kick(self, chat_id: int, *, by_user_id: int | None = None, deliver: bool = True) -> None:
        """The bot is removed from a group, supergroup or channel."""
        chat = self.chat(chat_id)
        if chat.type == "private":
            raise ValueError("use block() for private chats")
        if chat.kicked:
            return
        chat.kicked = True
        old = "administrator" if self.bot.id in chat.admins else "member"
        new = "left" if chat.type == "group" else "kicked"
        chat.members.discard(self.bot.id)
        actor = by_user_id if by_user_id is not None else self._actor(chat)
        self._my_chat_member(chat, actor, old, new, deliver=deliver)

    def deactivate(self, chat_id: int) -> None:
        """The user deletes their account: sends fail with ``user is deactivated``."""
        self._private(chat_id).deactivated = True

    def migrate(self, chat_id: int, *, deliver: bool = True) -> int:
        """Upgrade a group to a supergroup; returns the new chat id.

        The bot gets the two service messages Telegram sends, and from now on calls to the
        old id fail with ``migrate_to_chat_id``.
        """
        old = self.chat(chat_id)
        if old.type != "group":
            raise ValueError(f"only groups can be upgraded, chat {chat_id} is a {old.type}")
        if old.migrated_to is not None:
            return old.migrated_to
        new_id = -(1_000_000_000_000 + abs(chat_id))
        new = Chat(
            new_id,
            "supergroup",
            title=old.title,
            admins=set(old.admins),
            members=set(old.members),
        )
        self._chats[new_id] = new
        old.migrated_to = new_id
        actor = self._users[self._actor(old)]
        services = (
            (old, {"migrate_to_chat_id": new_id}),
            (new, {"migrate_from_chat_id": chat_id}),
        )
        for chat, service in services:
            message = StoredMessage(
                message_id=chat.new_message_id(),
                chat_id=chat.id,
                text="",
                html="",
                entities=[],
                reply_markup=[],
                from_bot=False,
                user_id=actor.id,
                date=now_unix(),
                service=service,
            )
            chat.messages[message.message_id] = message
            self._new_update("message", self._message_dict(message), deliver=deliver)
        return new_id

    def delete_chat(self, chat_id: int) -> None:
        """Forget a chat entirely: calls to it fail with ``chat not found``."""
        self._chats.pop(chat_id, None)

    def _private(self, chat_id: int) -> Chat:
        chat = self.chat(chat_id)
        if chat.type != "private":
            raise ValueError(f"chat {chat_id} is a {chat.type}, not a private chat")
        return chat

    def _actor(self, chat: Chat) -> int:
        for user_id in sorted(chat.admins) + sorted(chat.members):
            if user_id != self.bot.id:
                return user_id
        fallback = 1
        if fallback not in self._users:
            self.add_user(fallback, "Chat Admin")
        return fallback

    def _member_dict(self, user_id: int, status: str) -> dict[str, Any]:
        data: dict[str, Any] = {"user": self._users[user_id].to_dict(), "status": status}
        if status == "kicked":
            data["until_date"] = 0
        elif status == "administrator":
            data.update(
                can_be_edited=False,
                is_anonymous=False,
                can_manage_chat=True,
                can_delete_messages=True,
                can_manage_video_chats=True,
                can_restrict_members=True,
                can_promote_members=False,
                can_change_info=True,
                can_invite_users=True,
                can_post_stories=True,
                can_edit_stories=True,
                can_delete_stories=True,
                can_pin_messages=True,
            )
        return data

    def _my_chat_member(
        self, chat: Chat, actor_id: int, old: str, new: str, *, deliver: bool
    ) -> None:
        if actor_id not in self._users:
            self.add_user(actor_id)
        update = {
            "chat": chat.to_dict(),
            "from": self._users[actor_id].to_dict(),
            "date": now_unix(),
            "old_chat_member": self._member_dict(self.bot.id, old),
            "new_chat_member": self._member_dict(self.bot.id, new),
        }
        self._new_update("my_chat_member", update, deliver=deliver)

    # -----------------------------------------------------------------------------------
    # Bot API methods

    def _get_chat(self, p: Params) -> dict[str, Any]:
        chat = self._find_chat(self._chat_id(p))
        data = chat.to_dict()
        data.update(
            accent_color_id=0,
            max_reaction_count=11,
            accepted_gift_types={
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        )
        return data

    def _get_chat_member(self, p: Params) -> dict[str, Any]:
        chat = self._find_chat(self._chat_id(p))
        user_id = p.integer("user_id", required="user not found")
        assert user_id is not None
        if user_id not in self._users:
            raise bad_request("user not found")
        if user_id == self.bot.id:
            if chat.kicked:
                status = "left" if chat.type == "group" else "kicked"
            else:
                status = "administrator" if user_id in chat.admins else "member"
        elif chat.type == "private":
            if user_id != chat.id:
                raise bad_request("user not found")
            status = "member"
        elif user_id in chat.admins:
            status = "administrator"
        elif user_id in chat.members:
            status = "member"
        else:
            status = "left"
        return self._member_dict(user_id, status)

    def _send_chat_action(self, p: Params) -> bool:
        chat_id = self._chat_id(p)
        action = p.text("action")
        if action not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        self._writable_chat(chat_id)
        return True
