"""Alert messages: alert reports -> Block Kit blocks plus a `text` fallback that carries the same key facts.

Pure functions (plain dicts, no slack_sdk). A spike message leads with the change in dollars and percent, then the
drivers ranked by dollar contribution (top three and "other"), then every other scope that fired. Buttons:
Acknowledge, Expected / Not expected (anomaly kinds), Snooze 7 days, Details; their `value` is the alert's identity.
Scope titles and driver labels carry clean provider names (bot.alerts.rules); every line built from them is shown
`literal`ly (bot.safe_text), in the blocks and the `text` alike, and every message passes bot.slack.kit's size
guard. The buttons and state lines here are shared with the budget messages (bot.alerts.budget_messages).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.alerts.feedback import EXPECTED
from bot.alerts.format import bulleted_sections, bullets, day_text, pct_text, range_text, signed_usd, usd
from bot.alerts.rules import (
    Driver,
    ScopeChange,
    SpikeAlert,
    SpikeReport,
    Week,
    share_pct,
)
from bot.alerts.spender_drivers import SpenderDriver
from bot.money import fmt_usd
from bot.safe_text import literal
from bot.slack.kit import MAX_TEXT, Block, Message, context, fit, header, section, truncate_mrkdwn

ACK_ACTION = "aispend_alert_ack"
SNOOZE_ACTION = "aispend_alert_snooze"
DETAILS_ACTION = "aispend_alert_details"
EXPECTED_ACTION = "aispend_alert_expected"
NOT_EXPECTED_ACTION = "aispend_alert_not_expected"
ACTIONS_BLOCK = "aispend_alert_actions"
SNOOZE_DAYS = 7
MAX_LISTED_SCOPES = 10  # in the channel message; Details lists every one
ALERT_CUT = "…cut to fit one Slack message: press Details for everything."
DETAILS_CUT = "…cut to fit one Slack message: `aispend report week` on the server shows every workspace and model."
STATE_ROOM = 200  # of the `text` limit, kept for who acknowledged and snoozed


@dataclass(frozen=True, slots=True)
class MessageState:
    """What people did with a posted alert, shown under it when the message is edited."""

    acked_by: str | None = None
    snoozed_by: str | None = None
    snoozed_until: date | None = None
    verdict: str | None = None  # bot.alerts.feedback: EXPECTED or NOT_EXPECTED
    verdict_by: str | None = None
    muted_until: date | None = None  # Expected mutes the alert's scopes until then


# --- formatting ------------------------------------------------------------------------------------------------


def week_text(week: Week) -> str:
    return f"{range_text(week.start, week.end)} vs {range_text(week.prev_start, week.prev_end)}"


def change_text(change: ScopeChange, new_spender: bool) -> str:
    """'+$866.12 (+85%)' or '+$805.00 (new spender)'."""
    tail = "new spender" if new_spender else pct_text(change.pct)
    return f"{signed_usd(change.increase)} ({tail})"


def driver_text(driver: Driver, increase: int) -> str:
    """'93% from anthropic / batch-jobs / claude-opus-4-8 (new this week), +$805.00'."""
    new = " (new this week)" if driver.is_new else ""
    return f"{share_pct(driver.contribution, increase)}% from {driver.label}{new}, {signed_usd(driver.contribution)}"


def other_text(other: int, increase: int) -> str:
    return f"other {share_pct(other, increase)}%, {signed_usd(other)}"


def spender_text(driver: SpenderDriver) -> str:
    """'+$412.00 from key ci-nightly (anthropic: batch-jobs / claude-opus-4-8), new this week'."""
    new = ", new this week" if driver.is_new else ""
    return f"{signed_usd(driver.contribution)}{driver.basis_text} from {driver.label}{new}"


def _drivers_lines(alert: SpikeAlert) -> list[str]:
    increase = alert.change.increase
    lines = [driver_text(d, increase) for d in alert.drivers]
    if alert.other != 0:
        lines.append(other_text(alert.other, increase))
    return lines


def _scope_line(alert: SpikeAlert) -> str:
    c = alert.change
    title = c.title[:1].upper() + c.title[1:]
    return f"{title}: {usd(c.previous)} → {usd(c.current)}, {change_text(c, alert.new_spender)}"


def _threshold_text(report: SpikeReport) -> str:
    min_usd = fmt_usd(report.min_usd)
    text = (
        f"A spike is a rise of at least {report.pct}% and {min_usd} week over week, "
        f"or a new spender of {min_usd} or more."
    )
    if report.excluded:
        text += f" Not evaluated (synced data does not reach back two weeks): {', '.join(report.excluded)}."
    return text


# --- Block Kit helpers -----------------------------------------------------------------------------------------


def _button(text: str, action_id: str, identity: str, style: str | None = None) -> Block:
    button: Block = {
        "type": "button",
        "text": {"type": "plain_text", "text": text, "emoji": True},
        "action_id": action_id,
        "value": identity,
    }
    if style:
        button["style"] = style
    return button


def actions(identity: str, state: MessageState, *, feedback: bool = False) -> Block:
    """The buttons; `feedback` adds Expected / Not expected (anomaly kinds), until someone has answered."""
    buttons = []
    if state.acked_by is None:
        buttons.append(_button("Acknowledge", ACK_ACTION, identity, "primary"))
    if feedback and state.verdict is None:
        buttons.append(_button("Expected", EXPECTED_ACTION, identity))
        buttons.append(_button("Not expected", NOT_EXPECTED_ACTION, identity))
    if state.snoozed_by is None:
        buttons.append(_button(f"Snooze {SNOOZE_DAYS} days", SNOOZE_ACTION, identity))
    buttons.append(_button("Details", DETAILS_ACTION, identity))
    return {"type": "actions", "block_id": ACTIONS_BLOCK, "elements": buttons}


def state_blocks(state: MessageState) -> list[Block]:
    lines = []
    if state.acked_by:
        lines.append(f":white_check_mark: Acknowledged by <@{state.acked_by}>")
    if state.snoozed_by:
        until = f" (until {day_text(state.snoozed_until)})" if state.snoozed_until else ""
        lines.append(f":zzz: Snoozed for {SNOOZE_DAYS} days by <@{state.snoozed_by}>{until}")
    if state.verdict_by:
        lines.append(verdict_text(state))
    return [context(" · ".join(lines))] if lines else []


def state_text(state: MessageState) -> str:
    parts = []
    if state.acked_by:
        parts.append(f"Acknowledged by <@{state.acked_by}>.")
    if state.snoozed_by:
        until = f" until {day_text(state.snoozed_until)}" if state.snoozed_until else ""
        parts.append(f"Snoozed by <@{state.snoozed_by}>{until}.")
    if state.verdict_by:
        parts.append(verdict_text(state) + ".")
    return (" " + " ".join(parts)) if parts else ""


def verdict_text(state: MessageState) -> str:
    """'Expected (planned work), said <@U1>; anomalies of its scopes muted until Dec 1', or 'Not expected, …'."""
    if state.verdict == EXPECTED:
        until = f"; anomalies of its scopes muted until {day_text(state.muted_until)}" if state.muted_until else ""
        return f"Expected (planned work), said <@{state.verdict_by}>{until}"
    return f"Not expected, said <@{state.verdict_by}>"


# --- spike -----------------------------------------------------------------------------------------------------


def spike_headline(report: SpikeReport, followup: bool = False) -> str:
    """The one line that names the event: the organization's change when it fired, else the largest scope's."""
    lead = report.alerts[0]
    prefix = "More spend spikes this week" if followup else "AI spend spike"
    if lead.change.level == "org":
        return f"{prefix}: {change_text(lead.change, lead.new_spender)} week over week"
    return f"{prefix}: {lead.change.title} {change_text(lead.change, lead.new_spender)}"


def spike_message(
    report: SpikeReport, identity: str, *, followup: bool = False, state: MessageState | None = None
) -> Message:
    """The channel message for every scope that fired in this evaluation (report.alerts, already ranked)."""
    state = state or MessageState()
    lead, rest = report.alerts[0], list(report.alerts[1:])
    org = report.org
    when = week_text(report.week)
    org_line = (
        f"*Organization*: {usd(org.previous)} → *{usd(org.current)}* "
        f"({signed_usd(org.increase)}, {pct_text(org.pct)}), {when}."
    )
    blocks = [header(spike_headline(report, followup), ":chart_with_upwards_trend:"), section(org_line)]
    drivers = _drivers_lines(lead)
    if drivers:
        whose = "" if lead.change.level == "org" else f" for {lead.change.title}"
        blocks.append(section(f"*Drivers of the increase{literal(whose)}*\n" + literal(bullets(drivers))))
    spenders = [spender_text(d) for d in report.spenders]
    if spenders:
        blocks.append(section("*Top spenders*\n" + literal(bullets(spenders))))
    if lead.change.level != "org":
        blocks.append(section(literal(f"Fired: {_scope_line(lead)}")))
    listed = rest[:MAX_LISTED_SCOPES]
    if listed:
        lines = [literal(_scope_line(a)) for a in listed]
        if len(rest) > len(listed):
            lines.append(f"…and {len(rest) - len(listed)} more: press Details.")
        blocks += bulleted_sections("Also fired", lines)
    blocks.append(context(literal(_threshold_text(report))))
    tail = [*state_blocks(state), actions(identity, state, feedback=True)]
    text = _spike_text(report, followup, lead, rest, drivers) + state_text(state)
    return fit(text, blocks, keep=tail, note=ALERT_CUT)


def _spike_text(
    report: SpikeReport, followup: bool, lead: SpikeAlert, rest: list[SpikeAlert], drivers: list[str]
) -> str:
    org = report.org
    parts = [f"{spike_headline(report, followup)} ({week_text(report.week)})."]
    parts.append(
        f"Organization {usd(org.previous)} → {usd(org.current)} ({signed_usd(org.increase)}, {pct_text(org.pct)})."
    )
    if drivers:
        parts.append("Drivers: " + "; ".join(drivers) + ".")
    if report.spenders:
        parts.append("Top spenders: " + "; ".join(spender_text(d) for d in report.spenders) + ".")
    if rest:
        shown = "; ".join(f"{a.change.title} {change_text(a.change, a.new_spender)}" for a in rest[:MAX_LISTED_SCOPES])
        more = f"; and {len(rest) - MAX_LISTED_SCOPES} more" if len(rest) > MAX_LISTED_SCOPES else ""
        parts.append(f"Also fired: {shown}{more}.")
    return truncate_mrkdwn(literal(" ".join(parts)), MAX_TEXT - STATE_ROOM)


def spike_details(report: SpikeReport) -> Message:
    """The Details thread reply: every scope that fired with its own drivers, then the largest changes overall."""
    when = week_text(report.week)
    blocks = [section(f"*Full breakdown*, {when}")]
    lines = []
    text_parts = [f"Full breakdown, {when}."]
    for alert in report.alerts:
        drivers = _drivers_lines(alert)
        line = _scope_line(alert) + ("".join(f"\n    ◦ {d}" for d in drivers) if drivers else "")
        lines.append(literal(line))
        text_parts.append(_scope_line(alert) + (" — " + "; ".join(drivers) if drivers else "") + ".")
    blocks += bulleted_sections("Scopes that fired", lines)
    rows = [
        f"{d.label}: {usd(d.previous)} → {usd(d.current)}, {signed_usd(d.contribution)}"
        + (" (new this week)" if d.is_new else "")
        for d in report.breakdown
    ]
    if report.rest_count:
        rows.append(f"{report.rest_count} smaller changes: {signed_usd(report.rest)} net")
    if rows:
        blocks += bulleted_sections("Largest changes by provider / workspace / model", [literal(r) for r in rows])
        text_parts.append("Largest changes: " + "; ".join(rows) + ".")
    blocks.append(context(literal(_threshold_text(report))))
    return fit(literal(" ".join(text_parts)), blocks, note=DETAILS_CUT)
