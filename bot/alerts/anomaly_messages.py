"""The daily anomaly and drop messages (issue 13): reports -> Block Kit plus a `text` with the same key facts. Pure.

"Organization: Tuesday $1,930 vs a typical Tuesday $610–$720", then the drivers that explain it (bot.alerts.drivers),
then every other scope that fired. Buttons as on the spike: Acknowledge, Snooze, Expected, Not expected, Details.
Names come clean from the rules and every line built from them is shown `literal`ly, blocks and text alike.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal

from bot.alerts.anomaly import AnomalyAlert, AnomalyReport
from bot.alerts.baseline import Z_FIRE
from bot.alerts.drops import MAX_RUN_DAYS, STEADY_DAYS, DropAlert, DropReport
from bot.alerts.format import bulleted_sections, bullets, day_text, signed_usd, usd
from bot.alerts.messages import (
    ALERT_CUT,
    DETAILS_CUT,
    MAX_LISTED_SCOPES,
    MessageState,
    actions,
    state_blocks,
    state_text,
)
from bot.alerts.rules import Driver, share_pct
from bot.money import fmt_usd, nano_to_usd
from bot.safe_text import literal
from bot.slack.kit import MAX_TEXT, Message, context, fit, header, section, truncate_mrkdwn

STATE_ROOM = 300


def dollars(nano: int) -> str:
    """'$1,930' from $100 up (a range reads better in whole dollars), '$61.40' below."""
    value = nano_to_usd(nano)
    if abs(value) < 100:
        return fmt_usd(value)
    return f"${value.quantize(Decimal(1), ROUND_HALF_EVEN):,}"


def _title(alert: AnomalyAlert) -> str:
    title = alert.change.title
    return title[:1].upper() + title[1:]


def day_line(report: AnomalyReport, alert: AnomalyAlert) -> str:
    """'Tuesday $1,930 vs a typical Tuesday $610–$720'."""
    weekday = f"{report.day:%A}"
    typical = f"{dollars(alert.low)}–{dollars(alert.high)}"
    return f"{weekday} {dollars(alert.change.current)} vs a typical {weekday} {typical}"


def driver_line(driver: Driver, change: int, weekday: str) -> str:
    """'81% from anthropic / batch-jobs / claude-opus-4-8 (new: nothing on a typical Tuesday), +$1,020.00'."""
    new = f" (new: nothing on a typical {weekday})" if driver.is_new else ""
    return f"{share_pct(driver.contribution, change)}% from {driver.label}{new}, {signed_usd(driver.contribution)}"


def _drivers(report: AnomalyReport, alert: AnomalyAlert) -> list[str]:
    change = alert.change.increase
    lines = [driver_line(d, change, f"{report.day:%A}") for d in alert.drivers]
    if alert.other != 0 and lines:
        lines.append(f"other {share_pct(alert.other, change)}%, {signed_usd(alert.other)}")
    return lines


def _scope_line(report: AnomalyReport, alert: AnomalyAlert) -> str:
    return f"{_title(alert)}: {day_line(report, alert)} ({signed_usd(alert.change.increase)} over the expected day)"


def _rule_text(report: AnomalyReport) -> str:
    return (
        f"An unusual day is at least {Z_FIRE:g} times its usual day-to-day deviation and {fmt_usd(report.min_usd)} "
        "above the same weekday of up to 8 previous weeks, allowing for trend. Expected (planned work) mutes its "
        "scopes' anomalies for 7 days."
    )


def anomaly_headline(report: AnomalyReport) -> str:
    lead = report.alerts[0]
    return f"Unusual day: {lead.change.title} {day_line(report, lead)}"


def anomaly_message(report: AnomalyReport, identity: str, *, state: MessageState | None = None) -> Message:
    state = state or MessageState()
    lead, rest = report.alerts[0], list(report.alerts[1:])
    blocks = [
        header(anomaly_headline(report), ":mag:"),
        section(literal(f"{_scope_line(report, lead)}, {day_text(report.day)}.")),
    ]
    drivers = _drivers(report, lead)
    if drivers:
        blocks.append(section(f"*Drivers for {literal(lead.change.title)}*\n" + literal(bullets(drivers))))
    listed = rest[:MAX_LISTED_SCOPES]
    if listed:
        lines = [literal(_scope_line(report, a)) for a in listed]
        if len(rest) > len(listed):
            lines.append(f"…and {len(rest) - len(listed)} more: press Details.")
        blocks += bulleted_sections("Also unusual that day", lines)
    blocks.append(context(literal(_rule_text(report))))
    tail = [*state_blocks(state), actions(identity, state, feedback=True)]
    parts = [f"{anomaly_headline(report)} ({day_text(report.day)})."]
    if drivers:
        parts.append("Drivers: " + "; ".join(drivers) + ".")
    if rest:
        more = f"; and {len(rest) - MAX_LISTED_SCOPES} more" if len(rest) > MAX_LISTED_SCOPES else ""
        parts.append("Also unusual: " + "; ".join(_scope_line(report, a) for a in listed) + more + ".")
    text = truncate_mrkdwn(literal(" ".join(parts)), MAX_TEXT - STATE_ROOM) + state_text(state)
    return fit(text, blocks, keep=tail, note=ALERT_CUT)


def anomaly_details(report: AnomalyReport) -> Message:
    lines, parts = [], [f"Full breakdown, {day_text(report.day)}."]
    for alert in report.alerts:
        drivers = _drivers(report, alert)
        line = _scope_line(report, alert) + "".join(f"\n    ◦ {d}" for d in drivers)
        lines.append(literal(line))
        parts.append(_scope_line(report, alert) + (" — " + "; ".join(drivers) if drivers else "") + ".")
    blocks = [section(f"*Full breakdown*, {day_text(report.day)}"), *bulleted_sections("Unusual scopes", lines)]
    blocks.append(context(literal(_rule_text(report))))
    return fit(literal(" ".join(parts)), blocks, note=DETAILS_CUT)


# --- drops to zero ---------------------------------------------------------------------------------------------


def _drop_line(alert: DropAlert) -> str:
    since = day_text(alert.first_zero)
    return (
        f"{alert.title[:1].upper() + alert.title[1:]}: no spend since {since}, after {usd(alert.before)} over the "
        f"{STEADY_DAYS} days before, while the other providers kept spending"
    )


def drop_headline(report: DropReport) -> str:
    lead = report.alerts[0]
    return f"AI spend stopped: {lead.title} has spent nothing since {day_text(lead.first_zero)}"


def drop_message(report: DropReport, identity: str, *, state: MessageState | None = None) -> Message:
    state = state or MessageState()
    lines = [literal(_drop_line(a)) for a in report.alerts]
    hint = (
        "A broken or revoked API key, a dead pipeline or a workload moved elsewhere look like this; "
        f"each provider is reported once per drop (up to {MAX_RUN_DAYS} days of silence)."
    )
    blocks = [header(drop_headline(report), ":electric_plug:"), *bulleted_sections("Stopped", lines), context(hint)]
    tail = [*state_blocks(state), actions(identity, state, feedback=True)]
    text = literal(f"{drop_headline(report)}. " + "; ".join(_drop_line(a) for a in report.alerts) + ".")
    return fit(truncate_mrkdwn(text, MAX_TEXT - STATE_ROOM) + state_text(state), blocks, keep=tail, note=ALERT_CUT)


def drop_details(report: DropReport) -> Message:
    lines = [literal(_drop_line(a)) for a in report.alerts]
    text = literal("; ".join(_drop_line(a) for a in report.alerts) + ".")
    return fit(text, bulleted_sections(f"Stopped, as of {day_text(report.day)}", lines), note=DETAILS_CUT)
