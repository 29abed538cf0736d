"""Telegram's HTML parse mode, message text normalisation and automatic entity detection.

The rules follow Telegram's own parser (tdlib ``parse_html`` / ``fix_formatted_text`` /
``find_entities``): the same accepted tags, the same error reasons with UTF-8 byte offsets,
entity offsets and lengths in UTF-16 code units, whitespace trimming, and detection of
mentions, hashtags, cashtags, bot commands, URLs and e-mail addresses in the plain text.
Internally everything works on code point indices and is converted to UTF-16 at the end.
"""

from __future__ import annotations

import bisect
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sandbox.localapi.errors import ApiError, bad_request

__all__ = [
    "Entity",
    "FormattedText",
    "find_entities",
    "format_text",
    "parse_html",
    "utf16_len",
]

UserResolver = Callable[[int], dict[str, Any] | None]

# Tags Telegram accepts in parse_mode=HTML; anything else is "Unsupported start tag".
_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
}
# Telegram's parser treats these (and the end of the text) as whitespace inside tags.
_TAG_SPACE = frozenset(" \t\r\n\v\0")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_SPECIAL = re.compile(r"[<&]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f]")

SPLITTABLE = frozenset({"bold", "italic", "underline", "strikethrough", "spoiler"})
BLOCKQUOTES = frozenset({"blockquote", "expandable_blockquote"})
# Entities whose text is not all there is to them: kept even if they cover only whitespace.
_HIDDEN_DATA = frozenset({"text_link", "text_mention", "custom_emoji"})
# Entities that must not contain automatically detected ones.
_NO_DETECTION_INSIDE = frozenset({"code", "pre", "text_link", "text_mention", "custom_emoji"})
# Telegram's sort order for entities starting at the same offset with the same length.
_PRIORITY = {
    "blockquote": 0,
    "expandable_blockquote": 0,
    "pre": 11,
    "code": 20,
    "text_link": 49,
    "text_mention": 49,
    "mention": 50,
    "hashtag": 50,
    "cashtag": 50,
    "bot_command": 50,
    "url": 50,
    "email": 50,
    "phone_number": 50,
    "bold": 90,
    "italic": 91,
    "underline": 92,
    "strikethrough": 93,
    "spoiler": 94,
    "custom_emoji": 99,
}
_ENTITY_TYPES = frozenset(_PRIORITY)


@dataclass(slots=True)
class Entity:
    """A message entity over code point indices ``[start, end)`` of the plain text."""

    type: str
    start: int
    end: int
    url: str | None = None
    language: str | None = None
    custom_emoji_id: str | None = None
    user: dict[str, Any] | None = None

    def copy(self, start: int, end: int) -> Entity:
        """The same entity over another range."""
        return Entity(
            self.type, start, end, self.url, self.language, self.custom_emoji_id, self.user
        )


@dataclass(slots=True)
class FormattedText:
    """The plain text of a message and its entities as Telegram returns them."""

    text: str
    entities: list[dict[str, Any]] = field(default_factory=list)


@dataclass(slots=True)
class _Open:
    tag: str
    argument: str
    start: int
    out_index: int


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's limits and entity offsets."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _byte_offset(src: str, index: int) -> int:
    return len(src[:index].encode("utf-8", "surrogatepass"))


def _cant_parse(reason: str) -> ApiError:
    return bad_request(f"can't parse entities: {reason}")


def _decode_entity(src: str, pos: int) -> tuple[int, int]:
    """Decode an HTML character reference at ``src[pos] == '&'``: (code point or 0, end)."""
    n = len(src)
    end = pos + 1
    code = 0
    if end < n and src[end] == "#":
        end += 1
        if end < n and src[end] == "x":
            end += 1
            while end < n and src[end] in "0123456789abcdefABCDEF":
                code = code * 16 + int(src[end], 16)
                end += 1
        else:
            while end < n and "0" <= src[end] <= "9":
                code = code * 10 + ord(src[end]) - 48
                end += 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return 0, pos
    else:
        while end < n and src[end].isascii() and src[end].isalpha():
            end += 1
        named = _NAMED_ENTITIES.get(src[pos + 1 : end])
        if named is None:
            return 0, pos
        code = ord(named)
    if end < n and src[end] == ";":
        end += 1
    return code, end


def _unknown_named_entity(src: str, pos: int) -> str | None:
    """``&name;`` that Telegram would show literally (it only knows lt, gt, amp, quot)."""
    end = pos + 1
    n = len(src)
    while end < n and src[end].isascii() and src[end].isalnum():
        end += 1
    if end > pos + 1 and end < n and src[end] == ";" and src[pos + 1] != "#":
        return src[pos : end + 1]
    return None


def _decode_char_ref(src: str, pos: int, strict: bool) -> tuple[str, int]:
    code, end = _decode_entity(src, pos)
    if code:
        if 0xD800 <= code <= 0xDFFF:
            raise _cant_parse(
                "Text contains invalid Unicode characters after decoding HTML entities, "
                "check for unmatched surrogate code units"
            )
        return chr(code), end
    if strict:
        unknown = _unknown_named_entity(src, pos)
        if unknown is not None:
            raise _cant_parse(
                f'Unsupported HTML entity "{unknown}" at byte offset {_byte_offset(src, pos)}'
            )
    return "&", pos + 1


def _checked_link(url: str) -> str | None:
    """Telegram's normalisation of an ``<a href>``: None drops the link silently."""
    url = url.strip()
    if not url or any(c.isspace() for c in url):
        return None
    match = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):(//)?", url)
    if match is None:
        if "." not in url.split("/", 1)[0]:
            return None
        url = "http://" + url
        match = re.match(r"(http):(//)", url)
        assert match is not None
    scheme = match.group(1).lower()
    if scheme in ("tg", "ton"):
        return url
    if scheme not in ("http", "https", "ftp") or match.group(2) is None:
        return None
    rest = url[match.end() :]
    host = re.split(r"[/?#]", rest, maxsplit=1)[0]
    if not host:
        return None
    if host == rest:
        url += "/"  # Telegram returns "https://example.com/" for "https://example.com"
    return url


def _text_mention_user(url: str, resolve_user: UserResolver | None) -> dict[str, Any] | None:
    match = re.fullmatch(r"tg://user\?id=(\d{1,20})", url, flags=re.IGNORECASE)
    if match is None or resolve_user is None:
        return None
    return resolve_user(int(match.group(1)))


def parse_html(
    src: str,
    *,
    strict_named_entities: bool = True,
    resolve_user: UserResolver | None = None,
) -> tuple[str, list[Entity]]:
    """Parse Telegram HTML into plain text and entities, raising Telegram's 400 on errors.

    With ``strict_named_entities`` an unknown ``&name;`` is refused; Telegram itself would
    show it literally, which is never what a bot means.
    """
    out: list[str] = []
    out_len = 0
    entities: list[Entity] = []
    stack: list[_Open] = []
    n = len(src)
    i = 0
    while i < n:
        match = _SPECIAL.search(src, i)
        j = match.start() if match else n
        if j > i:
            out.append(src[i:j])
            out_len += j - i
            i = j
            if i >= n:
                break
        if src[i] == "&":
            char, i = _decode_char_ref(src, i, strict_named_entities)
            out.append(char)
            out_len += 1
            continue

        begin = i
        i += 1
        if i >= n or src[i] != "/":
            i = _parse_start_tag(src, begin, stack, out_len, len(out))
            continue

        top, i = _parse_end_tag(src, begin, stack)
        if out_len > top.start:
            _close_entity(top, out_len, out, entities, resolve_user)
        stack.pop()

    if stack:
        raise _cant_parse(f'Can\'t find end tag corresponding to start tag "{stack[-1].tag}"')
    for entity in entities:
        if entity.type == "code":
            entity.language = None
    return "".join(out), entities


def _parse_end_tag(src: str, begin: int, stack: list[_Open]) -> tuple[_Open, int]:
    """The open tag that ``</name>`` at ``begin`` closes, and the index after it."""
    if not stack:
        raise _cant_parse(f"Unexpected end tag at byte offset {_byte_offset(src, begin)}")
    n = len(src)
    i = begin + 2
    name_start = i
    while i < n and src[i] not in _TAG_SPACE and src[i] != ">":
        i += 1
    end_name = src[name_start:i].lower()
    while i < n and src[i] in _TAG_SPACE:
        i += 1
    if i >= n or src[i] != ">":
        raise _cant_parse(f"Unclosed end tag at byte offset {_byte_offset(src, begin)}")
    top = stack[-1]
    if end_name and end_name != top.tag:
        raise _cant_parse(
            f"Unmatched end tag at byte offset {_byte_offset(src, begin)}, "
            f'expected "</{top.tag}>", found "</{end_name}>"'
        )
    return top, i + 1


def _parse_start_tag(
    src: str, begin: int, stack: list[_Open], out_len: int, out_index: int
) -> int:
    n = len(src)
    i = begin + 1
    while i < n and src[i] not in _TAG_SPACE and src[i] != ">":
        i += 1
    offset = _byte_offset(src, begin)
    if i >= n:
        raise _cant_parse(f"Unclosed start tag at byte offset {offset}")
    tag = src[begin + 1 : i].lower()
    if tag not in _TAGS:
        raise _cant_parse(f'Unsupported start tag "{tag}" at byte offset {offset}')

    argument = ""
    while True:
        while i < n and src[i] in _TAG_SPACE:
            i += 1
        if i < n and src[i] == ">":
            break
        name_start = i
        while i < n and src[i] not in _TAG_SPACE and src[i] not in "=>":
            i += 1
        name = src[name_start:i]
        if not name:
            raise _cant_parse(f'Empty attribute name in the tag "{tag}" at byte offset {offset}')
        while i < n and src[i] in _TAG_SPACE:
            i += 1
        if i >= n or src[i] != "=":
            if tag == "blockquote" and name == "expandable":
                argument = "1"
                if i >= n:
                    raise _cant_parse(f"Unclosed start tag at byte offset {offset}")
                continue
            raise _cant_parse(
                "Expected equal sign in declaration of an attribute of the tag "
                f'"{tag}" at byte offset {offset}'
            )
        i += 1
        while i < n and src[i] in _TAG_SPACE:
            i += 1
        if i >= n:
            raise _cant_parse(f'Unclosed start tag "{tag}" at byte offset {offset}')

        value, i = _attribute_value(src, i)
        if i >= n:
            raise _cant_parse(f"Unclosed start tag at byte offset {offset}")
        argument = _tag_argument(tag, name, value, argument)

    if tag == "span" and argument != "spoiler":
        raise _cant_parse(f'Tag "span" must have class "tg-spoiler" at byte offset {offset}')
    stack.append(_Open(tag, argument, out_len, out_index))
    return i + 1


def _attribute_value(src: str, i: int) -> tuple[str, int]:
    """The attribute value starting at ``i`` (quoted or a name token), and the index after it."""
    n = len(src)
    if src[i] not in "'\"":
        # A name token: letters, digits, periods or hyphens, case-insensitive.
        token_start = i
        while i < n and ((src[i].isascii() and src[i].isalnum()) or src[i] in ".-"):
            i += 1
        if i < n and src[i] not in _TAG_SPACE and src[i] != ">":
            raise _cant_parse(
                f"Unexpected end of name token at byte offset {_byte_offset(src, token_start)}"
            )
        return src[token_start:i].lower(), i
    quote = src[i]
    i += 1
    parts: list[str] = []
    while i < n and src[i] != quote:
        if src[i] == "&":
            char, i = _decode_char_ref(src, i, strict=False)
            parts.append(char)
        else:
            parts.append(src[i])
            i += 1
    if i < n:
        i += 1
    return "".join(parts), i


def _tag_argument(tag: str, name: str, value: str, argument: str) -> str:
    """The entity argument an attribute gives (a URL, a language ...); others keep ``argument``."""
    if tag == "a" and name == "href":
        return value
    if tag == "code" and name == "class" and value.startswith("language-"):
        return value[9:]
    if tag == "span" and name == "class" and value.startswith("tg-"):
        return value[3:]
    if tag == "tg-emoji" and name == "emoji-id":
        return value
    if tag == "blockquote" and name == "expandable":
        return "1"
    return argument


def _close_entity(
    top: _Open,
    end: int,
    out: list[str],
    entities: list[Entity],
    resolve_user: UserResolver | None,
) -> None:
    tag, start = top.tag, top.start
    last = entities[-1] if entities else None
    same_range = last is not None and last.start == start and last.end == end
    if tag in _SIMPLE_TAGS:
        entities.append(Entity(_SIMPLE_TAGS[tag], start, end))
    elif tag == "tg-emoji":
        try:
            emoji_id = int(top.argument)
        except ValueError:
            emoji_id = 0
        if emoji_id == 0:
            raise _cant_parse("Invalid custom emoji identifier specified")
        entities.append(Entity("custom_emoji", start, end, custom_emoji_id=str(emoji_id)))
    elif tag == "a":
        url = top.argument or "".join(out[top.out_index :])
        user = _text_mention_user(url, resolve_user)
        if user is not None:
            entities.append(Entity("text_mention", start, end, user=user))
        else:
            checked = _checked_link(url)
            if checked is not None:
                entities.append(Entity("text_link", start, end, url=checked))
    elif tag == "pre":
        if last is not None and same_range and last.type == "code" and last.language:
            last.type = "pre"
        else:
            entities.append(Entity("pre", start, end))
    elif tag == "code":
        if last is not None and same_range and last.type == "pre" and top.argument:
            last.language = top.argument
        else:
            entities.append(Entity("code", start, end, language=top.argument or None))
    elif tag == "blockquote":
        kind = "expandable_blockquote" if top.argument else "blockquote"
        entities.append(Entity(kind, start, end))


# ---------------------------------------------------------------------------------------
# Entity detection in plain text (what Telegram adds on its own).


def _is_word(c: str) -> bool:
    return c == "_" or c.isalnum()


def _is_hashtag_char(c: str) -> bool:
    if c in "_\u200c\xb7" or "\u0d80" <= c <= "\u0dff":
        return True
    category = unicodedata.category(c)
    return category[0] in "LM" or category == "Nd"


def _ascii_word(c: str) -> bool:
    return c.isascii() and (c.isalnum() or c == "_")


_COMMON_TLDS = frozenset(
    (
        "com",
        "net",
        "org",
        "info",
        "biz",
        "io",
        "co",
        "me",
        "ru",
        "ua",
        "su",
        "by",
        "kz",
        "uz",
        "am",
        "ge",
        "az",
        "md",
        "kg",
        "tj",
        "tm",
        "lt",
        "lv",
        "ee",
        "fi",
        "se",
        "no",
        "dk",
        "is",
        "de",
        "at",
        "ch",
        "fr",
        "it",
        "es",
        "pt",
        "nl",
        "be",
        "lu",
        "pl",
        "cz",
        "sk",
        "hu",
        "ro",
        "bg",
        "gr",
        "tr",
        "il",
        "ie",
        "uk",
        "eu",
        "us",
        "ca",
        "mx",
        "br",
        "ar",
        "cl",
        "au",
        "nz",
        "jp",
        "cn",
        "hk",
        "tw",
        "kr",
        "in",
        "sg",
        "my",
        "th",
        "vn",
        "id",
        "ph",
        "za",
        "eg",
        "ng",
        "ke",
        "tv",
        "fm",
        "app",
        "dev",
        "ai",
        "news",
        "online",
        "site",
        "xyz",
        "top",
        "pro",
        "int",
        "edu",
        "gov",
        "mil",
        "tech",
        "blog",
        "shop",
        "store",
        "cloud",
        "link",
        "live",
        "media",
        "press",
        "today",
        "world",
        "club",
        "space",
        "website",
        "digital",
        "agency",
        "email",
        "page",
        "wiki",
        "chat",
        "tools",
        "one",
        "rocks",
        "global",
        "network",
        "рф",
        "укр",
        "бел",
        "рус",
        "онлайн",
        "сайт",
        "москва",
    )
)
_BAD_URL_END = ".:;,('?!`"
_URL_PATH_STOP = frozenset('\n<>"«»')
_SCHEME_URL = re.compile(r"(?i)(?:https?|ftp)://")
_BARE_DOMAIN = re.compile(r"(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+([^\W\d_]{2,24})")
_EMAIL = re.compile(
    r"[A-Za-z0-9_+.-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9_-]{0,28}[A-Za-z0-9])?\.){1,6}"
    r"[A-Za-z]{2,8}"
)


def _url_path_end(text: str, pos: int) -> int:
    """End of a URL path starting at ``text[pos]`` in "/?#", trimmed like Telegram."""
    end = pos + 1
    n = len(text)
    while end < n and text[end] not in _URL_PATH_STOP and not text[end].isspace():
        end += 1
    while end > pos + 1 and text[end - 1] in _BAD_URL_END:
        end -= 1
    # Cut at the first unbalanced closing bracket: "(see example.com/a)" ends before ")".
    depth = {"(": 0, "[": 0, "{": 0}
    closing = {")": "(", "]": "[", "}": "{"}
    for k in range(pos, end):
        c = text[k]
        if c in depth:
            depth[c] += 1
        elif c in closing:
            if depth[closing[c]] == 0:
                end = k
                break
            depth[closing[c]] -= 1
    while end > pos + 1 and text[end - 1] in _BAD_URL_END:
        end -= 1
    if end == pos + 1 and text[pos] != "/":
        return pos
    return end


def _port_end(text: str, pos: int) -> int:
    if pos < len(text) and text[pos] == ":":
        match = re.match(r"\d{1,5}", text[pos + 1 :])
        if match and 0 < int(match.group()) <= 65535:
            return pos + 1 + match.end()
    return pos


def _find_urls(text: str) -> list[Entity]:
    found: list[Entity] = []
    taken: list[tuple[int, int]] = []

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in taken)

    for match in _EMAIL.finditer(text):
        start, end = match.span()
        if start > 0 and (_is_word(text[start - 1]) or text[start - 1] in ".+-"):
            continue
        if end < len(text) and (_is_word(text[end]) or text[end] == "@"):
            continue
        found.append(Entity("email", start, end))
        taken.append((start, end))

    for match in _SCHEME_URL.finditer(text):
        start = match.start()
        if start > 0 and (_is_word(text[start - 1]) or text[start - 1] in "/@#"):
            continue
        host_start = match.end()
        host_end = host_start
        while host_end < len(text) and (_is_word(text[host_end]) or text[host_end] in ".-~@:"):
            host_end += 1
        while host_end > host_start and text[host_end - 1] in ".:":
            host_end -= 1
        host = text[host_start:host_end].rsplit("@", 1)[-1].split(":", 1)[0]
        if "." not in host and host.lower() != "localhost":
            continue
        end = host_end
        if end < len(text) and text[end] in "/?#":
            end = max(end, _url_path_end(text, end))
        if free(start, end):
            found.append(Entity("url", start, end))
            taken.append((start, end))

    for match in _BARE_DOMAIN.finditer(text):
        start, end = match.span()
        if start > 0 and (_is_word(text[start - 1]) or text[start - 1] in "@/#.-:"):
            continue
        if match.group(1).lower() not in _COMMON_TLDS:
            continue
        if end < len(text) and (_is_word(text[end]) or text[end] == "@"):
            continue
        end = _port_end(text, end)
        if end < len(text) and text[end] in "/?#":
            end = max(end, _url_path_end(text, end))
        if free(start, end):
            found.append(Entity("url", start, end))
            taken.append((start, end))
    return found


def _find_mentions(text: str) -> Iterable[Entity]:
    for match in re.finditer(r"@([A-Za-z0-9_]+)", text):
        start, end = match.span()
        size = end - start - 1
        if start > 0 and _is_word(text[start - 1]):
            continue
        # Usernames are at least 4 characters (a few short reserved ones aside).
        if size < 4 or size > 32:
            continue
        if end < len(text) and _is_word(text[end]):
            continue
        yield Entity("mention", start, end)


def _find_bot_commands(text: str) -> Iterable[Entity]:
    pos = text.find("/")
    n = len(text)
    while pos != -1:
        start = pos
        pos += 1
        if start > 0 and (_is_word(text[start - 1]) or text[start - 1] in "/<>"):
            pos = text.find("/", pos)
            continue
        while pos < n and _ascii_word(text[pos]):
            pos += 1
        end = pos
        if not 1 <= end - start - 1 <= 64:
            pos = text.find("/", pos)
            continue
        if pos < n and text[pos] == "@":
            pos += 1
            mention_start = pos
            while pos < n and _ascii_word(text[pos]):
                pos += 1
            if not 3 <= pos - mention_start <= 32:
                pos = text.find("/", pos)
                continue
            end = pos
        if pos < n and (_is_word(text[pos]) or text[pos] in "/<>"):
            pos = text.find("/", pos)
            continue
        yield Entity("bot_command", start, end)
        pos = text.find("/", pos)


def _find_hashtags(text: str) -> Iterable[Entity]:
    pos = text.find("#")
    n = len(text)
    while pos != -1:
        start = pos
        pos += 1
        if start > 0 and _is_hashtag_char(text[start - 1]):
            pos = text.find("#", pos)
            continue
        size = 0
        was_letter = False
        tag_end = pos
        while pos < n and _is_hashtag_char(text[pos]):
            if size < 256:
                was_letter = was_letter or unicodedata.category(text[pos])[0] == "L"
                size += 1
                tag_end = pos + 1
            pos += 1
        if size >= 1 and was_letter and not (pos < n and text[pos] == "#"):
            yield Entity("hashtag", start, tag_end)
        pos = text.find("#", pos)


def _find_cashtags(text: str) -> Iterable[Entity]:
    for match in re.finditer(r"\$(1INCH|[A-Z]{1,8})", text):
        start, end = match.span()
        if start > 0 and (_is_hashtag_char(text[start - 1]) or text[start - 1] == "$"):
            continue
        if end < len(text) and (_is_hashtag_char(text[end]) or text[end] == "$"):
            continue
        yield Entity("cashtag", start, end)


def find_entities(text: str, *, bot_commands: bool = True) -> list[Entity]:
    """Entities Telegram detects by itself: mentions, hashtags, commands, URLs, e-mails."""
    found: list[Entity] = []
    if "@" in text:
        found.extend(_find_mentions(text))
    if bot_commands and "/" in text:
        found.extend(_find_bot_commands(text))
    if "#" in text:
        found.extend(_find_hashtags(text))
    if "$" in text:
        found.extend(_find_cashtags(text))
    if "." in text:
        found.extend(_find_urls(text))
    found.sort(key=lambda e: (e.start, -e.end))
    result: list[Entity] = []
    last_end = 0
    for entity in found:
        if entity.start >= last_end:
            result.append(entity)
            last_end = entity.end
    return result


# ---------------------------------------------------------------------------------------
# Normalisation: what Telegram does to every message text before storing it.


def _sort_key(entity: Entity) -> tuple[int, int, int]:
    return (entity.start, -entity.end, _PRIORITY.get(entity.type, 50))


def _disjoint(entities: Sequence[Entity]) -> bool:
    """Sorted entities that neither overlap nor touch one of the same formatting type."""
    for previous, entity in itertools.pairwise(entities):
        if entity.start < previous.end or (
            entity.start == previous.end
            and entity.type == previous.type
            and entity.type in SPLITTABLE
        ):
            return False
    return True


def _fix_entities(entities: list[Entity]) -> list[Entity]:
    """Telegram's nesting rules: continuous entities don't intersect, formatting is split
    at their borders, same-type formatting that touches is merged, none inside ``pre``."""
    entities = sorted((e for e in entities if e.end > e.start), key=_sort_key)
    if _disjoint(entities):
        return entities  # the usual case, nothing to split or merge
    others = _continuous_entities(entities)
    result = others + _split_formatting(entities, others)
    result.sort(key=_sort_key)
    return result


def _continuous_entities(entities: list[Entity]) -> list[Entity]:
    """Links, code, quotes ... that survive: none crossing another, nothing inside code."""
    continuous = sorted(
        (e for e in entities if e.type not in SPLITTABLE and e.type not in BLOCKQUOTES),
        key=_sort_key,
    )
    kept: list[Entity] = []
    enclosing: list[Entity] = []  # kept entities containing the current position
    for entity in continuous:
        while enclosing and enclosing[-1].end <= entity.start:
            enclosing.pop()
        if enclosing and (
            entity.end > enclosing[-1].end or any(k.type in ("pre", "code") for k in enclosing)
        ):
            continue
        kept.append(entity)
        enclosing.append(entity)

    quotes: list[Entity] = []
    for quote in sorted((e for e in entities if e.type in BLOCKQUOTES), key=_sort_key):
        if all(quote.start >= q.end or quote.end <= q.start for q in quotes):
            quotes.append(quote)
    kept = [
        e
        for e in kept
        if all(
            e.end <= q.start or e.start >= q.end or (q.start <= e.start and e.end <= q.end)
            for q in quotes
        )
    ]
    return kept + quotes


def _split_formatting(entities: list[Entity], others: list[Entity]) -> list[Entity]:
    """Bold, italic ... merged where they touch, cut at the borders of ``others``, not in pre."""
    borders = sorted({p for e in others for p in (e.start, e.end)})
    pres = [e for e in others if e.type == "pre"]
    pieces: list[Entity] = []
    by_type: dict[str, list[Entity]] = {}
    for entity in entities:
        if entity.type in SPLITTABLE:
            by_type.setdefault(entity.type, []).append(entity)
    for same in by_type.values():
        same.sort(key=lambda e: e.start)
        merged: list[Entity] = []
        for entity in same:
            if merged and entity.start <= merged[-1].end:
                merged[-1].end = max(merged[-1].end, entity.end)
            else:
                merged.append(entity.copy(entity.start, entity.end))
        for entity in merged:
            inner = borders[
                bisect.bisect_right(borders, entity.start) : bisect.bisect_left(
                    borders, entity.end
                )
            ]
            cuts = [entity.start, *inner, entity.end]
            for a, b in itertools.pairwise(cuts):
                if not any(p.start <= a and b <= p.end for p in pres):
                    pieces.append(entity.copy(a, b))
    return pieces


def _drop_whitespace_entities(text: str, entities: list[Entity]) -> list[Entity]:
    """Entities may not start with, or consist only of, spaces and newlines."""
    result: list[Entity] = []
    for entity in entities:
        if entity.type not in _HIDDEN_DATA:
            while entity.start < entity.end and text[entity.start] in " \n":
                entity.start += 1
            if entity.start >= entity.end:
                continue
        result.append(entity)
    return result


def _clean_controls(text: str, entities: list[Entity]) -> str:
    """Telegram drops ``\\r`` and the other control characters except tab and newline."""
    if _CONTROL.search(text) is None:
        return text
    bad = [match.start() for match in _CONTROL.finditer(text)]
    for entity in entities:
        entity.start -= bisect.bisect_left(bad, entity.start)
        entity.end -= bisect.bisect_left(bad, entity.end)
    return _CONTROL.sub("", text)


def _utf16_converter(text: str) -> Callable[[int], int]:
    if text.isascii() or utf16_len(text) == len(text):
        return lambda pos: pos
    prefix = [0]
    total = 0
    for c in text:
        total += 2 if ord(c) > 0xFFFF else 1
        prefix.append(total)
    return prefix.__getitem__


def _code_point_converter(text: str) -> Callable[[int], int | None]:
    """UTF-16 offset to code point index, None if it splits a surrogate pair."""
    if text.isascii() or utf16_len(text) == len(text):
        return lambda pos: pos if 0 <= pos <= len(text) else None
    mapping: dict[int, int] = {}
    total = 0
    for index, c in enumerate(text):
        mapping[total] = index
        total += 2 if ord(c) > 0xFFFF else 1
    mapping[total] = len(text)
    return mapping.get


def entities_to_dicts(text: str, entities: Sequence[Entity]) -> list[dict[str, Any]]:
    """Bot API MessageEntity dicts with UTF-16 offsets and lengths."""
    to16 = _utf16_converter(text)
    result: list[dict[str, Any]] = []
    for entity in entities:
        offset = to16(entity.start)
        item: dict[str, Any] = {
            "offset": offset,
            "length": to16(entity.end) - offset,
            "type": entity.type,
        }
        if entity.url is not None:
            item["url"] = entity.url
        if entity.language:
            item["language"] = entity.language
        if entity.custom_emoji_id is not None:
            item["custom_emoji_id"] = entity.custom_emoji_id
        if entity.user is not None:
            item["user"] = entity.user
        result.append(item)
    return result


def entities_from_dicts(
    text: str, items: Any, resolve_user: UserResolver | None = None
) -> list[Entity]:
    """Entities given explicitly by the bot (the ``entities`` parameter)."""
    if not isinstance(items, list):
        raise bad_request("can't parse entities JSON object")
    to_cp = _code_point_converter(text)
    total = utf16_len(text)
    result: list[Entity] = []
    for item in items:
        if not isinstance(item, dict):
            raise bad_request("can't parse MessageEntity: MessageEntity must be an Object")
        kind = item.get("type")
        offset = item.get("offset")
        length = item.get("length")
        if not isinstance(kind, str) or kind not in _ENTITY_TYPES:
            raise bad_request(f"can't parse MessageEntity: Unsupported type specified {kind!r}")
        if not isinstance(offset, int) or not isinstance(length, int) or offset < 0:
            raise bad_request('can\'t parse MessageEntity: Field "offset" must be a number')
        if length < 0 or offset + length > total:
            raise bad_request(
                f"entity beginning at UTF-16 offset {offset} ends after the end of the text "
                f"at UTF-16 offset {offset + length}"
            )
        start, end = to_cp(offset), to_cp(offset + length)
        if start is None or end is None:
            raise bad_request("can't parse entities: entity splits a surrogate pair")
        entity = Entity(kind, start, end)
        if kind == "text_link":
            url = _checked_link(str(item.get("url", "")))
            if url is None:
                raise bad_request("entity URL is invalid")
            entity.url = url
        elif kind == "pre" and item.get("language"):
            entity.language = str(item["language"])
        elif kind == "custom_emoji":
            entity.custom_emoji_id = str(item.get("custom_emoji_id", ""))
        elif kind == "text_mention":
            user = item.get("user")
            user_id = user.get("id") if isinstance(user, dict) else None
            resolved = resolve_user(user_id) if resolve_user and isinstance(user_id, int) else None
            if resolved is None:
                raise bad_request("can't parse entities: user not found")
            entity.user = resolved
        result.append(entity)
    return result


def normalize(
    text: str, entities: list[Entity], *, bot_commands: bool = True
) -> tuple[str, list[Entity]]:
    """Clean, trim and complete a message text like Telegram; raises on an empty result."""
    text = _clean_controls(text, entities)
    entities = _drop_whitespace_entities(text, _fix_entities(entities))

    last = len(text) - 1
    while last >= 0 and text[last] in " \n":
        last -= 1
    if last < 0:
        raise bad_request("message text is empty")
    # Trailing whitespace goes; leading whitespace goes up to the first entity.
    end = last + 1
    text = text[:end]
    trimmed: list[Entity] = []
    for entity in entities:
        if entity.start < end:
            entity.end = min(entity.end, end)
            trimmed.append(entity)
    first = min((e.start for e in trimmed), default=len(text))
    skip = 0
    while skip < first and text[skip] in " \n":
        skip += 1
    if skip:
        text = text[skip:]
        for entity in trimmed:
            entity.start -= skip
            entity.end -= skip

    found = find_entities(text, bot_commands=bot_commands)
    if found:
        blockers = [e for e in trimmed if e.type in _NO_DETECTION_INSIDE]
        quotes = [e for e in trimmed if e.type in BLOCKQUOTES]
        found = [
            f
            for f in found
            if all(f.end <= b.start or f.start >= b.end for b in blockers)
            and all(
                f.end <= q.start or f.start >= q.end or (q.start <= f.start and f.end <= q.end)
                for q in quotes
            )
        ]
        trimmed = _fix_entities(trimmed + found)
    else:
        trimmed.sort(key=_sort_key)
    return text, _drop_whitespace_entities(text, trimmed)


def format_text(
    text: str,
    *,
    parse_mode: str | None = None,
    entities: Any = None,
    bot_commands: bool = True,
    strict_named_entities: bool = True,
    resolve_user: UserResolver | None = None,
) -> FormattedText:
    """Parse and normalise a message text exactly as sendMessage/editMessageText do."""
    if any("\ud800" <= c <= "\udfff" for c in text):
        raise bad_request("strings must be encoded in UTF-8")
    parsed: list[Entity]
    if entities is not None:
        parsed = entities_from_dicts(text, entities, resolve_user)
    elif parse_mode is None or parse_mode == "":
        parsed = []
    elif parse_mode.lower() == "html":
        text, parsed = parse_html(
            text, strict_named_entities=strict_named_entities, resolve_user=resolve_user
        )
    elif parse_mode.lower() in ("markdown", "markdownv2"):
        # Telegram accepts these; this server does not parse them, so refuse loudly.
        raise bad_request(f"parse_mode {parse_mode} is not supported here, use HTML")
    else:
        raise bad_request("unsupported parse_mode")
    plain, fixed = normalize(text, parsed, bot_commands=bot_commands)
    return FormattedText(plain, entities_to_dicts(plain, fixed))
