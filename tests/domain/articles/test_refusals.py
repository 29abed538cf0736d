"""The article-file parser's refusals: each names the line and what was expected."""

from __future__ import annotations

import pytest

from bot.domain.articles import ArticleError, parse_article, parse_article_bytes

# --- Refusals --------------------------------------------------------------------------------

LONG_LINE = "Some text that goes on " * 10

REFUSALS: list[tuple[str, str, int | None, str]] = [
    ("empty", "", None, "the file is empty"),
    ("bom-only", "\ufeff", None, "the file is empty"),
    ("blank", " \n\t\n\r\n   ", None, "the file has only blank lines"),
    (
        "no-title-takeaways-first",
        "📌 Key Takeaways\n- a\n📖 Full Retelling\np\n",
        1,
        'expected the title, found the "📌 Key Takeaways" header',
    ),
    (
        "no-title-hashtags-first",
        "\n#Kyiv #War\n📌 Key Takeaways\n- a\n📖 Full Retelling\np\n",
        2,
        'expected the title, found a hashtag line "#Kyiv #War"',
    ),
    (
        "title-only",
        "Just a title\n\n",
        1,
        'expected the hashtag line or the "📌 Key Takeaways" header after this line, '
        "found the end of the file",
    ),
    (
        "title-and-tags-only",
        "Title\n#Kyiv\n",
        2,
        'expected the "📌 Key Takeaways" header after this line, found the end of the file',
    ),
    (
        "text-between-hashtags-and-takeaways",
        "Title\n#Kyiv #War\nSome text\n📌 Key Takeaways\n- a\n📖 Full Retelling\np\n",
        3,
        'expected the "📌 Key Takeaways" header, found "Some text"',
    ),
    (
        "text-between-title-and-takeaways",
        "Title\nA second title line\n📌 Key Takeaways\n- a\n📖 Full Retelling\np\n",
        2,
        'expected the hashtag line or the "📌 Key Takeaways" header, found "A second title line"',
    ),
    (
        "long-line-is-quoted-short",
        f"Title\n#Kyiv\n{LONG_LINE}\n📌 Key Takeaways\n- a\n📖 Full Retelling\np\n",
        3,
        'expected the "📌 Key Takeaways" header, found "' + LONG_LINE[:59] + '…"',
    ),
    (
        "no-takeaways-header",
        "Title\n#Kyiv\n📖 Full Retelling\np\n",
        3,
        'expected the "📌 Key Takeaways" header, found the "📖 Full Retelling" header',
    ),
    (
        "no-bullets-before-retelling",
        "Title\n📌 Key Takeaways\n\n📖 Full Retelling\np\n",
        2,
        'the "📌 Key Takeaways" header has no bullet under it',
    ),
    (
        "no-bullets-at-end",
        "Title\n📌 Key Takeaways\n",
        2,
        'the "📌 Key Takeaways" header has no bullet under it',
    ),
    (
        "not-a-bullet",
        "Title\n📌 Key Takeaways\n- a\nA line without a marker\n📖 Full Retelling\np\n",
        4,
        'expected a "- " bullet or the "📖 Full Retelling" header, '
        'found "A line without a marker"',
    ),
    (
        "marker-without-space",
        "Title\n📌 Key Takeaways\n-a\n📖 Full Retelling\np\n",
        3,
        'expected a "- " bullet or the "📖 Full Retelling" header, found "-a"',
    ),
    (
        "empty-bullet",
        "Title\n📌 Key Takeaways\n- a\n-   \n📖 Full Retelling\np\n",
        4,
        "empty bullet: a bullet needs text after its marker",
    ),
    (
        "no-retelling-header",
        "Title\n📌 Key Takeaways\n- a\n- b\n\n",
        4,
        'expected the "📖 Full Retelling" header, found the end of the file',
    ),
    (
        "no-retelling-paragraph",
        "Title\n📌 Key Takeaways\n- a\n📖 Full Retelling\n\n  \n",
        4,
        'the "📖 Full Retelling" header has no paragraph under it',
    ),
    (
        "no-retelling-paragraph-before-themes",
        "Title\n📌 Key Takeaways\n- a\n📖 Full Retelling\n🏷️ Themes\nWar\n",
        4,
        'the "📖 Full Retelling" header has no paragraph under it',
    ),
    (
        "themes-before-retelling",
        "Title\n📌 Key Takeaways\n- a\n🏷️ Themes\nWar\n📖 Full Retelling\np\n",
        4,
        'expected a bullet or the "📖 Full Retelling" header, found the "🏷️ Themes" header',
    ),
    (
        "takeaways-after-retelling",
        "Title\n📌 Key Takeaways\n- a\n📖 Full Retelling\np\n📌 Key Takeaways\n- b\n",
        6,
        'a second "📌 Key Takeaways" header (the first is on line 2)',
    ),
    (
        "second-retelling",
        "Title\n📌 Key Takeaways\n- a\n📖 Full Retelling\np\nFull Retelling\nq\n",
        6,
        'a second "📖 Full Retelling" header (the first is on line 4)',
    ),
    (
        "themes-after-graph",
        "Title\n📌 Key Takeaways\n- a\n📖 Full Retelling\np\nEntity Intersection Graph\ng\n"
        "🏷️ Themes\nWar\n",
        8,
        'the "🏷️ Themes" header is out of order: it comes before the "Entity Intersection '
        'Graph" header (line 6)',
    ),
    ("nul", "Title\n#Kyiv\nbad\x00line\n", 3, "a NUL character is not allowed in an article"),
    (
        "control-character",
        "Title\n📌 Key Takeaways\n- a\x1b[31m\n",
        3,
        "the control character U+001B is not allowed in an article",
    ),
    (
        "c1-control-character",
        "Title\u0085\n",
        1,
        "the control character U+0085 is not allowed in an article",
    ),
    (
        "lone-surrogate",
        "Title\n\n\ud83d\n",
        3,
        "a lone surrogate U+D83D is not allowed in an article (not valid Unicode)",
    ),
    (
        "line-numbers-count-crlf-and-cr",
        "\ufeffTitle\r\n\r\n#Kyiv\rSome text\r\n📌 Key Takeaways\r\n",
        4,
        'expected the "📌 Key Takeaways" header, found "Some text"',
    ),
    (
        "invisible-characters-are-escaped-in-quotes",
        "Title\n#Kyiv\nSome\u200btext\u2028here\n",
        3,
        'expected the "📌 Key Takeaways" header, found "Some\\u200btext\\u2028here"',
    ),
]


@pytest.mark.parametrize(
    ("case", "text", "line", "message"), REFUSALS, ids=[c for c, _, _, _ in REFUSALS]
)
def test_refusals_name_the_line_and_what_was_expected(
    case: str, text: str, line: int | None, message: str
) -> None:
    with pytest.raises(ArticleError) as caught:
        parse_article(text, source=f"{case}.txt")
    error = caught.value
    assert error.source == f"{case}.txt"
    assert error.line == line
    assert error.message == message
    where = f"{case}.txt:{line}" if line is not None else f"{case}.txt"
    assert str(error) == f"{where}: {message}"


BYTE_REFUSALS: list[tuple[str, bytes, int | None, str]] = [
    ("empty", b"", None, "the file is empty"),
    ("bom-only", b"\xef\xbb\xbf", None, "the file is empty"),
    ("nul-byte", b"Title\n\x00\x01\x02", None, "a binary file, not text (a NUL byte at offset 6)"),
    (
        "png-header",
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
        None,
        "a binary file, not text (a NUL byte at offset 8)",
    ),
    (
        "mostly-control-bytes",
        bytes(range(1, 32)) * 20,
        None,
        "a binary file, not text (mostly control bytes)",
    ),
    ("utf-16-le", "Title".encode("utf-16"), None, "the file is UTF-16; save it as UTF-8"),
    ("utf-16-be", b"\xfe\xff\x00T", None, "the file is UTF-16; save it as UTF-8"),
    (
        "latin-1",
        "Title\n#Café\n".encode("latin-1"),
        2,
        "not UTF-8: the byte 0xE9 at offset 10 cannot be decoded (save the file as UTF-8)",
    ),
    (
        "bad-byte-after-crlf-and-cr-lines",
        b"Title\r\n#Kyiv\r\r\n\xe2\x82",
        4,
        "not UTF-8: the byte 0xE2 at offset 15 cannot be decoded (save the file as UTF-8)",
    ),
    (
        "bad-byte-offset-counts-the-bom",
        b"\xef\xbb\xbfTitle \xff",
        1,
        "not UTF-8: the byte 0xFF at offset 9 cannot be decoded (save the file as UTF-8)",
    ),
    (
        "encoded-surrogate",
        b"Title \xed\xa0\xbd\n",
        1,
        "not UTF-8: the byte 0xED at offset 6 cannot be decoded (save the file as UTF-8)",
    ),
    (
        "text-errors-still-have-lines",
        b"Title\n#Kyiv\nStray line\n",
        3,
        'expected the "📌 Key Takeaways" header, found "Stray line"',
    ),
]


@pytest.mark.parametrize(
    ("case", "data", "line", "message"), BYTE_REFUSALS, ids=[c for c, _, _, _ in BYTE_REFUSALS]
)
def test_byte_refusals(case: str, data: bytes, line: int | None, message: str) -> None:
    with pytest.raises(ArticleError) as caught:
        parse_article_bytes(data, source=f"{case}.txt")
    assert (caught.value.source, caught.value.line, caught.value.message) == (
        f"{case}.txt",
        line,
        message,
    )
