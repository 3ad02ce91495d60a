"""ClaudeCodeReport → Block Kit message. Pure: no Slack calls, no clock, no store.

Per-person data (emails): the listener shows it only to those `bot.slack.access.may_see_people` allows, and in a
public reply only when AISPEND_SHOW_PEOPLE_IN_CHANNEL allows it. Actors, terminal and model names are provider
text: cleaned one-line names in a code block (escaped by `code`), notes through `mrkdwn`; `fit` keeps the reply
within Slack's limits.
"""

from __future__ import annotations

from decimal import Decimal

from bot.claude_code import ESTIMATE_LABEL, ClaudeCodeReport
from bot.money import fmt_usd
from bot.safe_text import NOTE_LIMIT, code, literal, mrkdwn
from bot.slack.kit import Block, Message, context, fit, header, section

ROWS = 25
NAME_WIDTH = 40


def claude_code_message(report: ClaudeCodeReport) -> Message:
    p = report.period
    days = f"{p.start:%b} {p.start.day}" if p.start == p.end else f"{p.start:%b} {p.start.day} – {p.end:%b} {p.end.day}"
    title = f"Claude Code, {p.name} ({days})"
    estimated = "not available" if report.estimated is None else fmt_usd(report.estimated)
    total = f"*{estimated}* {ESTIMATE_LABEL} · not billed cost, not in any total"
    blocks: list[Block] = [header(title), section(total)]
    if report.actors:
        blocks.append(section(_table(report)))
    elif report.estimated is not None:
        blocks.append(section("No Claude Code activity in this period."))
    blocks.append(context("\n".join(f"• {mrkdwn(note, NOTE_LIMIT)}" for note in report.notes)))
    people = f", {len(report.actors)} actors" if report.actors else ""
    return fit(literal(f"{title}: {estimated} {ESTIMATE_LABEL} (not billed){people}."), blocks)


def _table(report: ClaudeCodeReport) -> str:
    shown, rest = report.actors[:ROWS], report.actors[ROWS:]
    rows = [("actor", "sessions", "lines +/-", "commits", "PRs", ESTIMATE_LABEL)]
    for line in shown:
        name = line.shown if len(line.shown) <= NAME_WIDTH else line.shown[: NAME_WIDTH - 1] + "…"
        rows.append(
            (
                name,
                str(line.sessions),
                f"+{line.lines_added}/-{line.lines_removed}",
                str(line.commits),
                str(line.pull_requests),
                fmt_usd(line.estimated),
            )
        )
    if rest:
        rows.append(
            (f"… {len(rest)} more", "", "", "", "", fmt_usd(sum((line.estimated for line in rest), Decimal(0))))
        )
    widths = [max(len(row[i]) for row in rows) for i in range(6)]
    body = "\n".join(
        "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    )
    return f"```{code(body)}```"


def _cell(column: int, text: str, width: int) -> str:
    return text.ljust(width) if column == 0 else text.rjust(width)
