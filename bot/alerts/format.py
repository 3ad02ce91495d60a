"""Formatting and Block Kit building blocks shared by the alert and digest messages. Pure, plain dicts.

Slack's limits are enforced here (header 150, section 3000, 50 blocks), because slack_sdk validates only its
model classes and never a message's block count; names we did not write are escaped here too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from bot.money import fmt_usd, nano_to_usd

MAX_BLOCKS = 50
SECTION_LIMIT = 3000
HEADER_LIMIT = 150
TEXT_LIMIT = 3500

Block = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Message:
    text: str
    blocks: list[Block]


def escape(text: str) -> str:
    """Slack mrkdwn control characters in names we did not write (a workspace called <!here>)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def usd(nano: int) -> str:
    return fmt_usd(nano_to_usd(nano))


def signed_usd(nano: int) -> str:
    return ("+" if nano >= 0 else "-") + usd(abs(nano))


def pct_text(pct: Decimal | None) -> str:
    """'+85%', '-12%', '+8.5%' (one decimal under 10 %); 'new' when there was nothing to compare with."""
    if pct is None:
        return "new"
    places = Decimal(1) if abs(pct) >= 10 else Decimal("0.1")
    value = pct.quantize(places, ROUND_HALF_EVEN)
    return f"{'+' if value >= 0 else ''}{value}%"


def day_text(day: date) -> str:
    return f"{day:%b} {day.day}"


def range_text(start: date, end: date) -> str:
    """'Nov 15–21', 'Oct 29 – Nov 4', 'Dec 29, 2026 – Jan 4, 2027'."""
    if start.year != end.year:
        return f"{day_text(start)}, {start.year} – {day_text(end)}, {end.year}"
    if start.month != end.month:
        return f"{day_text(start)} – {day_text(end)}"
    return f"{day_text(start)}–{end.day}"


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def header(text: str) -> Block:
    return {"type": "header", "text": {"type": "plain_text", "text": clip(text, HEADER_LIMIT), "emoji": True}}


def section(text: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": clip(text, SECTION_LIMIT)}}


def context(text: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": clip(text, SECTION_LIMIT)}]}


def bullets(lines: list[str]) -> str:
    return "\n".join(f"• {line}" for line in lines)


def bulleted_sections(title: str, lines: list[str]) -> list[Block]:
    """Lines under a bold title, split over as many sections as the 3000-character limit needs."""
    blocks: list[Block] = []
    chunk = f"*{title}*"
    for line in lines:
        entry = f"\n• {clip(line, SECTION_LIMIT - 100)}"
        if len(chunk) + len(entry) > SECTION_LIMIT:
            blocks.append(section(chunk))
            chunk = ""
        chunk += entry
    if chunk:
        blocks.append(section(chunk.lstrip("\n")))
    return blocks


def fit(blocks: list[Block], tail: list[Block]) -> list[Block]:
    """At most MAX_BLOCKS blocks, always keeping `tail` (the state and the buttons)."""
    room = MAX_BLOCKS - len(tail)
    if len(blocks) > room:
        blocks = [*blocks[: room - 1], context("…cut to fit one Slack message: press Details for everything.")]
    return blocks + tail
