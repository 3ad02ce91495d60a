"""A user's words echoed back in a reply (`/aispend blah`). Provider names go through bot.safe_text instead.

Slack treats `<`, `>` and `&` as control characters (`<!channel>`, `<@U123>`, links); `escape` (from
bot.safe_text) is Slack's documented escaping of them.
"""

from __future__ import annotations

from bot.safe_text import escape

__all__ = ["escape", "quoted"]


def quoted(word: str, limit: int = 40) -> str:
    """A user's word echoed back safely: escaped, shortened, and without backticks that would break code spans."""
    short = word if len(word) <= limit else word[: limit - 1] + "…"
    return "“" + escape(short.replace("`", "'")) + "”"
