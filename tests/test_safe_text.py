"""bot.safe_text: provider strings made safe for each sink (clean form, mrkdwn literal, code, terminal)."""

from __future__ import annotations

import re
import unicodedata

import pytest

from bot.safe_text import UNNAMED, clean, code, escape, literal, mrkdwn, terminal

ATTACKS = [
    "<!channel>",
    "<@U123>",
    "<https://evil|click>",
    "*bold*",
    "_it_",
    "~s~",
    "`code`",
    "```x```",
    "a\nb",
    "> quote",
    "\x1b[31mred\x1b[0m",
    "\u202eevil",
    "&amp;",
    "x" * 500,
    "*a _b_ ~c~ `d`*",
    "\ud800lone",
]


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("claude-opus-4-8", "claude-opus-4-8"),
        ("a\nb", "a b"),
        ("tab\there\r\nnext", "tab here next"),
        ("line\u2028sep\u2029end", "line sep end"),
        ("\x1b[31mred\x1b[0m", "red"),
        ("\x1b]0;title\x07name", "name"),  # OSC: set the terminal's title
        ("\x1b]8;;https://evil\x1b\\link\x1b]8;;\x1b\\", "link"),  # OSC 8 hyperlink
        ("\x1bPdcs\x1b\\ok", "ok"),
        ("esc at end\x1b", "esc at end"),
        ("\u202eevil\u202c", "evil"),  # right-to-left override and pop
        ("\u2066iso\u2069 \u200e\u200f\u061c", "iso"),
        ("zero\u200bwidth\u200d\u2060\ufeff", "zerowidth"),
        ("soft\u00adhyphen", "softhyphen"),
        ("nul\x00bel\x07del\x7f", "nulbeldel"),
        ("c1\x85next\x9b31m", "c1 next31m"),
        ("\ud800lone", "lone"),  # a lone surrogate cannot even be written as UTF-8
        ("  spaced   out  ", "spaced out"),
        ("\u202e\u200b", UNNAMED),
        ("", UNNAMED),
        ("Ünïcödé 名前 🚀", "Ünïcödé 名前 🚀"),
    ],
)
def test_clean_is_one_printable_line(raw: str, shown: str) -> None:
    assert clean(raw) == shown


def test_clean_caps_the_length() -> None:
    assert clean("x" * 500) == "x" * 79 + "…"
    assert clean("word " * 30, 20) == "word word word word…"
    assert len(clean("y" * 500, 300)) == 300


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("<!channel>", "&lt;!channel&gt;"),
        ("<@U123> & <https://evil|click>", "&lt;@U123&gt; &amp; &lt;https://evil|click&gt;"),
        ("&amp;", "&amp;amp;"),
        ("*bold*", "\u2217bold\u2217"),
        ("_it_", "\u02cdit\u02cd"),
        ("~s~", "\u223cs\u223c"),
        ("`code`", "\u02cbcode\u02cb"),
        ("```block```", "\u02cb\u02cb\u02cbblock\u02cb\u02cb\u02cb"),
        ("> quote", "\u203a quote"),
        ("line\n  > quoted too", "line\n  \u203a quoted too"),
        ("a > b", "a &gt; b"),
        # between two ASCII letters or digits Slack never formats: identifiers stay as they are
        ("snake_case_id", "snake_case_id"),
        ("wrkspc_01ABC proj_9", "wrkspc_01ABC proj_9"),
        ("a*b*c 2~3", "a*b*c 2~3"),
        ("end_ _start", "end\u02cd \u02cdstart"),
        ("名_前", "名\u02cd前"),
        ("x_<y", "x\u02cd&lt;y"),
    ],
)
def test_literal_shows_text_as_it_is(text: str, shown: str) -> None:
    assert literal(text) == shown


@pytest.mark.parametrize("raw", ATTACKS)
def test_no_attack_survives_mrkdwn(raw: str) -> None:
    out = mrkdwn(raw)
    assert "<" not in out and ">" not in out
    assert re.findall(r"&[^;]*;?", out) == re.findall(r"&(?:amp|lt|gt);", out)
    assert "`" not in out
    assert re.search(r"(?<![A-Za-z0-9])[*_~]|[*_~](?![A-Za-z0-9])", out) is None
    assert not out.lstrip().startswith(("&gt;", "\u203a>"))
    assert "\n" not in out
    assert [c for c in out if unicodedata.category(c) in {"Cc", "Cf", "Cs", "Zl", "Zp"}] == []
    assert len(out) <= 80 * len("&amp;")


def test_code_keeps_formatting_characters_but_not_backticks() -> None:
    # inside ``` Slack does not format: only a backtick (which would close the block) and & < > change
    assert code("*a* _b_ <!here> ```x```") == "*a* _b_ &lt;!here&gt; \u02cb\u02cb\u02cbx\u02cb\u02cb\u02cb"


def test_escape_is_slacks_three_entities() -> None:
    assert escape("<&>*_`") == "&lt;&amp;&gt;*_`"


def test_terminal_keeps_lines_and_drops_every_other_control() -> None:
    text = "Top models\n  \x1b[2J\x1b[31mred\x1b[0m · OpenAI  $1.00\r\n  \u202eevil\x9b\x07 · Anthropic\ttab\n"
    assert terminal(text) == "Top models\n  red · OpenAI  $1.00\n  evil · Anthropic tab\n"
    assert terminal("no change") == "no change"
