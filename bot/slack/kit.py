"""Block Kit building blocks and the one size guard every message the bot sends passes. Pure, plain dicts.

Slack's documented limits (docs.slack.dev/reference/block-kit/blocks): 50 blocks, header 150 characters,
section text 3000, 10 fields of 2000, 10 context elements. slack_sdk validates only its model classes and never
a message as a whole, and Slack refuses a message whose blocks are too long (`msg_blocks_too_long`) well before
50 full sections, so `fit` bounds the total too. Replies, alerts, their edits after a button, Details threads
and digests are all built with `fit`; plain-text answers with `fit_text`.

Mrkdwn text objects are sent `verbatim`, so Slack does not auto-link bare URLs or conversation names, or parse
bare mentions, in text we built from provider names (see bot.safe_text); our own `<@U…>` mentions still work.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bot.safe_text import clean, no_emoji

Block = dict[str, Any]

MAX_BLOCKS = 50
MAX_HEADER = 150
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_CONTEXT_ELEMENTS = 10
MAX_CONTEXT_TEXT = 2000
# `msg_blocks_too_long` appears around 13k characters of blocks (bolt-js #2509); stay well under it
MAX_BLOCKS_JSON = 12_000
# Slack cuts `text` at 40,000 characters and asks for at most 4,000; it is a notification, not the message
MAX_TEXT = 3000
CUT_NOTE = "Some details were cut to fit in a Slack message: run `aispend report` on the server for all of it."


@dataclass(frozen=True, slots=True)
class Message:
    text: str  # the notification / screen-reader fallback, with the same key facts as the blocks
    blocks: list[Block]


def header(text: str, icon: str = "") -> Block:
    """Slack shows plain_text as it is (and escapes it itself), so it needs only the clean one-line form; with
    `emoji: true` (for our `icon`, a shortcode) it would render a `:name:` in `text`, so that is defused."""
    shown = no_emoji(clean(text, MAX_HEADER - len(icon) - 1))
    return {
        "type": "header",
        "text": {"type": "plain_text", "text": f"{icon} {shown}" if icon else shown, "emoji": True},
    }


def _mrkdwn(text: str, limit: int) -> Block:
    return {"type": "mrkdwn", "text": truncate_mrkdwn(text, limit), "verbatim": True}


def section(mrkdwn: str) -> Block:
    return {"type": "section", "text": _mrkdwn(mrkdwn, MAX_SECTION_TEXT)}


def fields(items: Sequence[str]) -> Block:
    """A section of short mrkdwn fields (two columns); beyond Slack's 10 the rest are dropped with a mark."""
    texts = list(items)
    if len(texts) > MAX_FIELDS:
        texts = [*texts[: MAX_FIELDS - 1], f"… and {len(texts) - MAX_FIELDS + 1} more"]
    return {"type": "section", "fields": [_mrkdwn(t, MAX_FIELD_TEXT) for t in texts]}


def context(*texts: str) -> Block:
    return {"type": "context", "elements": [_mrkdwn(t, MAX_CONTEXT_TEXT) for t in texts[:MAX_CONTEXT_ELEMENTS]]}


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def truncate_mrkdwn(text: str, limit: int) -> str:
    """Cut to `limit` characters without leaving a code block open or half an escape such as `&am`."""
    if len(text) <= limit:
        return text
    cut = text[: limit - 4]  # room for "…" and a closing ```
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + ("…```" if cut.count("```") % 2 else "…")


def fit(text: str, blocks: Sequence[Block], *, keep: Sequence[Block] = (), note: str = CUT_NOTE) -> Message:
    """The message Slack will take: `text` at most MAX_TEXT characters; at most MAX_BLOCKS blocks and
    MAX_BLOCKS_JSON characters of them. Blocks are dropped from the end, before `keep` (a state line and the
    buttons, which must stay), and a context block saying `note` takes their place."""
    return Message(fit_text(text), fit_blocks(blocks, keep=keep, note=note))


def fit_text(text: str) -> str:
    return truncate_mrkdwn(text, MAX_TEXT)


def fit_blocks(blocks: Sequence[Block], *, keep: Sequence[Block] = (), note: str = CUT_NOTE) -> list[Block]:
    out, tail = list(blocks), list(keep)
    if len(out) + len(tail) <= MAX_BLOCKS and _size([*out, *tail]) <= MAX_BLOCKS_JSON:
        return [*out, *tail]
    cut = context(note)
    while out and (len(out) + len(tail) + 1 > MAX_BLOCKS or _size([*out, cut, *tail]) > MAX_BLOCKS_JSON):
        out.pop()
    return [*out, cut, *tail]


def _size(blocks: Sequence[Block]) -> int:
    return len(json.dumps(blocks, ensure_ascii=False))


def blocks_size(blocks: Sequence[Block]) -> int:
    """The aggregate size `fit_blocks` bounds, for tests."""
    return _size(blocks)
