"""What the terminal sandbox prints: the bot's messages with their formatting readable and
their buttons numbered, edits and notices, as they come (see sandbox.terminal)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TextIO

from sandbox.localapi import Call, LocalBotApi

_INDENT = "      "


# --- Showing messages -----------------------------------------------------------------------

_PLAIN_MARKS = {
    "bold": ("**", "**"),
    "italic": ("_", "_"),
    "underline": ("__", "__"),
    "strikethrough": ("~~", "~~"),
    "spoiler": ("||", "||"),
    "code": ("`", "`"),
    "pre": ("```\n", "\n```"),
}
_ANSI_MARKS = {
    "bold": ("\x1b[1m", "\x1b[22m"),
    "italic": ("\x1b[3m", "\x1b[23m"),
    "underline": ("\x1b[4m", "\x1b[24m"),
    "strikethrough": ("\x1b[9m", "\x1b[29m"),
    "spoiler": ("\x1b[2m", "\x1b[22m"),
    "code": ("\x1b[2m`", "`\x1b[22m"),
    "pre": ("\x1b[2m", "\x1b[22m"),
    "hashtag": ("\x1b[36m", "\x1b[39m"),
    "bot_command": ("\x1b[36m", "\x1b[39m"),
    "url": ("\x1b[4;36m", "\x1b[24;39m"),
    "mention": ("\x1b[36m", "\x1b[39m"),
    "text_link": ("\x1b[4;36m", "\x1b[24;39m"),
}


def _code_point_offsets(text: str) -> list[int]:
    """Map each UTF-16 offset (Telegram's unit) to a code point index."""
    offsets = []
    for index, ch in enumerate(text):
        offsets.append(index)
        if ord(ch) > 0xFFFF:
            offsets.append(index)
    offsets.append(len(text))
    return offsets


def format_text(text: str, entities: list[dict[str, Any]], *, ansi: bool) -> str:
    """Return a message's text with its formatting shown: **bold**, _italic_, links' URLs."""
    marks = _ANSI_MARKS if ansi else _PLAIN_MARKS
    offsets = _code_point_offsets(text)
    inserts: list[tuple[int, int, int, str]] = []
    for entity in entities:
        kind = entity.get("type", "")
        start16, length16 = int(entity["offset"]), int(entity["length"])
        start = offsets[min(start16, len(offsets) - 1)]
        end = offsets[min(start16 + length16, len(offsets) - 1)]
        opening, closing = marks.get(kind, ("", ""))
        if kind == "text_link":
            closing += f" ({entity.get('url', '')})"
        if opening:
            # Openings of outer entities first, closings of inner entities first.
            inserts.append((start, 1, -end, opening))
        if closing:
            inserts.append((end, 0, -start, closing))
    inserts.sort(key=lambda item: item[:3])
    pieces: list[str] = []
    position = 0
    for index, _, _, mark in inserts:
        pieces.append(text[position:index])
        pieces.append(mark)
        position = index
    pieces.append(text[position:])
    return "".join(pieces)


@dataclass(frozen=True, slots=True)
class NumberedButton:
    """A button printed as `[n]`, and where to press it."""

    chat_id: int
    message_id: int
    data: str


class Transcript:
    """Prints what the bot does in the person's chat, numbering buttons as it goes."""

    def __init__(self, api: LocalBotApi, out: TextIO, *, ansi: bool) -> None:
        self._api = api
        self._out = out
        self._ansi = ansi
        self._seen = len(api.calls)
        # Whether the prompt is the last thing on the screen, waiting for the person's line.
        self._prompting = False
        # Numbers grow through the session, so a number printed once keeps meaning the same
        # button, whichever message was printed last.
        self.buttons: dict[int, NumberedButton] = {}

    def write(self, text: str = "") -> None:
        print(text, file=self._out, flush=True)

    def prompt(self) -> None:
        print("you › ", end="", file=self._out, flush=True)
        self._prompting = True

    def answered(self) -> None:
        """The person ended their line: the prompt is no longer the last thing shown."""
        self._prompting = False

    async def watch(self) -> None:
        """Print what the bot sends the moment it sends it, typed for or not (alerts,
        digests), until cancelled."""
        while True:
            try:
                await self._api.wait_for(lambda api: len(api.calls) > self._seen, timeout=3600)
            except TimeoutError:
                continue
            self.show_new_calls()

    def show_new_calls(self) -> None:
        """Print every message, edit and notice since the last call shown; a prompt waiting
        for the person's line is cleared first and shown again after."""
        calls = self._api.calls[self._seen :]
        self._seen += len(calls)
        if not any(_shown(call) for call in calls):
            return
        prompting = self._prompting
        if prompting:
            # Back to the start of the prompt's line and clear it (a new line without ANSI):
            # what the bot sent goes above, then the prompt comes back.
            print(
                "\r\x1b[K" if self._ansi else "",
                end="" if self._ansi else "\n",
                file=self._out,
                flush=True,
            )
            self._prompting = False
        self._show(calls)
        if prompting:
            self.prompt()

    def _show(self, calls: list[Call]) -> None:
        for call in calls:
            if not call.ok:
                if call.method != "getUpdates":
                    self.write(f"⚠️  the Bot API refused {call.method}: {call.description}")
                continue
            if call.method == "sendMessage":
                self._show_message(call.result, "bot ›")
            elif call.method in ("editMessageText", "editMessageReplyMarkup") and isinstance(
                call.result, dict
            ):
                self._show_message(call.result, "bot (edited) ›")
            elif call.method == "answerCallbackQuery" and call.params.get("text"):
                kind = "alert" if call.params.get("show_alert") in (True, "true") else "notice"
                self.write(f"bot ({kind}) › {call.params['text']}")
                self.write()
            elif call.method == "deleteMessage":
                self.write(f"bot › (deleted message {call.params.get('message_id')})")
                self.write()

    def _show_message(self, message: dict[str, Any], who: str) -> None:
        text = format_text(message.get("text", ""), message.get("entities", []), ansi=self._ansi)
        lines = text.split("\n")
        self.write(f"{who} {lines[0]}")
        for line in lines[1:]:
            self.write(f"{_INDENT}{line}" if line else "")
        rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
        for row in rows:
            labels = []
            for button in row:
                number = len(self.buttons) + 1
                if "callback_data" in button:
                    self.buttons[number] = NumberedButton(
                        message["chat"]["id"], message["message_id"], button["callback_data"]
                    )
                    labels.append(f"[{number}] {button['text']}")
                else:
                    labels.append(f"[{button['text']}]")
            self.write(_INDENT + "   ".join(labels))
        self.write()


def _shown(call: Call) -> bool:
    """Whether the transcript prints something for this call."""
    if not call.ok:
        return call.method != "getUpdates"
    if call.method == "answerCallbackQuery":
        return bool(call.params.get("text"))
    return call.method in _SHOWN_METHODS


_SHOWN_METHODS = frozenset(
    {"sendMessage", "editMessageText", "editMessageReplyMarkup", "deleteMessage"}
)
