"""Slack mrkdwn escaping for strings we did not write (workspace names, echoed command words).

Slack treats `<`, `>` and `&` as control characters (`<!channel>`, `<@U123>`, links); escaping them is
all Slack asks for, and it keeps a workspace named `<!here>` from pinging a channel.
"""

from __future__ import annotations


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def quoted(word: str, limit: int = 40) -> str:
    """A user's word echoed back safely: escaped, shortened, and without backticks that would break code spans."""
    short = word if len(word) <= limit else word[: limit - 1] + "…"
    return "“" + escape(short.replace("`", "'")) + "”"
