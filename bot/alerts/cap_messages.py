"""Cap alert messages: a cap report -> Block Kit blocks plus a `text` fallback, and its Details reply. Pure.

Workspace and project names come from the provider: every line carries their clean form and is shown `literal`ly
(bot.safe_text), in the blocks and the `text` alike. Buttons and state lines are the spike and budget messages'.
"""

from __future__ import annotations

from bot.alerts.cap_rules import CapReport
from bot.alerts.format import bullets
from bot.alerts.messages import ALERT_CUT, MessageState, actions, state_blocks, state_text
from bot.caps_text import alert_line, cap_line, day_text, usd
from bot.safe_text import literal
from bot.slack.kit import Message, context, fit, header, section

FOOTER = (
    "Provider spend caps are enforced by the provider: aispend only reads them. Each cap is reported once a month; "
    "raise a cap in the provider's console."
)


def cap_headline(report: CapReport) -> str:
    reached = [a for a in report.alerts if a.forecast.reached]
    if len(report.alerts) == 1:
        f = report.alerts[0].forecast
        return "A provider spend cap is reached" if f.reached else "A provider spend cap is reached before month end"
    if reached:
        return f"{len(report.alerts)} provider spend caps reached or reached before month end"
    return f"{len(report.alerts)} provider spend caps are reached before month end"


def cap_message(report: CapReport, identity: str, *, state: MessageState | None = None) -> Message:
    state = state or MessageState()
    lines = [alert_line(a.forecast) for a in report.alerts]
    blocks = [
        header(cap_headline(report), ":rotating_light:"),
        section("\n".join(f"• *{literal(line)}*" for line in lines)),
        context(f"Forecast from this month's daily rate, through {day_text(report.today)}. {FOOTER}"),
    ]
    text = f"{cap_headline(report)}: " + "; ".join(literal(line) for line in lines) + "."
    tail = [*state_blocks(state), actions(identity, state)]
    return fit(text + state_text(state), blocks, keep=tail, note=ALERT_CUT)


def cap_details(report: CapReport) -> Message:
    lines = []
    for a in report.alerts:
        f = a.forecast
        rate = "no rate" if f.rate is None else f"{usd(f.rate)} per day"
        lines.append(f"{cap_line(f)} ({rate})")
    blocks = [section("*Cap details*\n" + bullets([literal(line) for line in lines]))]
    return fit("Cap details: " + "; ".join(literal(line) for line in lines) + ".", blocks)
