"""Formatting shared by the alert and digest messages: money, percentages, date ranges, bullet lists. Pure.

The Block Kit constructors and the size guard every message passes are bot.slack.kit's; provider names are
made safe by bot.safe_text where they enter a line.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

from bot.money import fmt_usd, nano_to_usd
from bot.slack.kit import MAX_SECTION_TEXT, Block, section, truncate_mrkdwn


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


def bullets(lines: list[str]) -> str:
    return "\n".join(f"• {line}" for line in lines)


def bulleted_sections(title: str, lines: list[str]) -> list[Block]:
    """Lines (already mrkdwn) under a bold title, split over as many sections as the 3000-character limit needs."""
    blocks: list[Block] = []
    chunk = f"*{title}*"
    for line in lines:
        entry = f"\n• {truncate_mrkdwn(line, MAX_SECTION_TEXT - 100)}"
        if len(chunk) + len(entry) > MAX_SECTION_TEXT:
            blocks.append(section(chunk))
            chunk = ""
        chunk += entry
    if chunk:
        blocks.append(section(chunk.lstrip("\n")))
    return blocks
