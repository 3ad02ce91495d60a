"""Text about alerts rather than alerts themselves: `/aispend alerts`, the admin failure notice, `aispend alerts`.

Pure functions of records the alert store returned and of an AlertRun. Summaries and snooze labels name
workspaces and models, so the Slack texts show them `literal`ly (bot.safe_text); lists are capped so the
answer stays one readable Slack message.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.alerts.model import ACKNOWLEDGED, FAILED, PENDING, POSTED, POSTING, UNCERTAIN, AlertRecord, AlertRun, Snooze
from bot.safe_text import TEXT_LIMIT, mrkdwn
from bot.safe_text import code as code_text

MAX_LISTED = 10  # snoozes and failures listed in Slack; the rest are counted

PERMANENT_FIXES = {
    "channel_not_found": (
        "AISPEND_ALERT_CHANNEL does not name a channel the bot can see: set it to the channel ID (C…, at the bottom "
        "of the channel details), and /invite the bot if the channel is private; then run `aispend alerts` to resend."
    ),
    "not_in_channel": (
        "the bot is not in the alert channel: /invite the bot there (or add the chat:write.public scope for a public "
        "channel and reinstall the app); then run `aispend alerts` to resend."
    ),
    "is_archived": (
        "the alert channel is archived: unarchive it or set AISPEND_ALERT_CHANNEL to another channel ID; then run "
        "`aispend alerts` to resend."
    ),
    "invalid_auth": "Slack refused SLACK_BOT_TOKEN: copy the Bot User OAuth Token (xoxb-…) into SLACK_BOT_TOKEN.",
    "not_authed": "no Slack token was sent: set SLACK_BOT_TOKEN to the Bot User OAuth Token (xoxb-…).",
    "account_inactive": (
        "SLACK_BOT_TOKEN belongs to a deactivated user or workspace: reinstall the app and update SLACK_BOT_TOKEN."
    ),
    "token_revoked": "SLACK_BOT_TOKEN was revoked (app uninstalled?): reinstall the app and update SLACK_BOT_TOKEN.",
    "token_expired": "SLACK_BOT_TOKEN expired: turn off token rotation for the app, reinstall it and update the token.",
    "missing_scope": (
        "the Slack app lacks the chat:write scope: add it under OAuth & Permissions, reinstall the app and update "
        "SLACK_BOT_TOKEN."
    ),
    "restricted_action": (
        "the workspace does not let the bot post in the alert channel: ask a Slack admin to allow it or set "
        "AISPEND_ALERT_CHANNEL to another channel."
    ),
    "invalid_blocks": "Slack rejected the message layout: this is an aispend bug, please report it with this log line.",
    "msg_too_long": "Slack rejected the message as too long: this is an aispend bug, please report it.",
    "msg_blocks_too_long": "Slack rejected the message as too long: this is an aispend bug, please report it.",
    "no_text": "Slack rejected an empty message: this is an aispend bug, please report it.",
}


# why the bot could not read the alert channel to find out whether an uncertain post arrived
UNCHECKABLE = {
    "missing_scope": (
        "add the channels:history scope (groups:history for a private channel) under OAuth & Permissions and "
        "reinstall the app"
    ),
    "not_in_channel": "/invite the bot to the alert channel",
    "channel_not_found": "/invite the bot to the alert channel",
}


def fix_for(code: str) -> str | None:
    return PERMANENT_FIXES.get(code)


def uncertain_fix(identity: str, code: str) -> str:
    """What an admin does about a post whose outcome is unknown and that the bot could not check (`code`)."""
    how = UNCHECKABLE.get(code)
    check = f"; to let aispend check by itself, {how}" if how else f" (reading the channel failed: {code})"
    return f"look for it in the alert channel: if it is not there, run `aispend alerts --resend '{identity}'`{check}."


def _state_text(record: AlertRecord) -> str:
    if record.state == ACKNOWLEDGED:
        return f"acknowledged by <@{record.acked_by}>" if record.acked_by else "acknowledged"
    if record.state == POSTED:
        return "posted"
    if record.state == POSTING:  # the error may quote what the network sent back
        error = f" ({mrkdwn(record.last_error, TEXT_LIMIT)})" if record.last_error else ""
        return f"being posted, or its post's outcome is unknown{error}; the channel is checked before any new post"
    if record.state == UNCERTAIN:
        return "MAY NOT HAVE BEEN POSTED: an admin has to check the alert channel"
    if record.state == PENDING:
        tries = f" after {record.attempts} attempt{'s' if record.attempts != 1 else ''}" if record.attempts else ""
        error = f" ({mrkdwn(record.last_error, TEXT_LIMIT)})" if record.last_error else ""
        return f"waiting to be posted{tries}{error}; retried at the next evaluation"
    return f"NOT POSTED: {mrkdwn(record.last_error or 'unknown error', TEXT_LIMIT)}"


def alert_state_text(record: AlertRecord) -> str:
    """An alert's state as `/aispend alerts` says it (the App Home's recent alerts say it the same way)."""
    return _state_text(record)


def alerts_overview_text(
    recent_alerts: Sequence[AlertRecord], snoozes: Sequence[Snooze], failures: Sequence[AlertRecord]
) -> str:
    """`/aispend alerts`: recent alerts with their state, active snoozes, and delivery problems with the fix."""
    lines = ["*Recent alerts*"]
    if recent_alerts:
        lines += [
            f"• {r.created_at[:10]} {r.kind}: {mrkdwn(r.summary, TEXT_LIMIT)} — {_state_text(r)}" for r in recent_alerts
        ]
    else:
        lines.append("• none yet")
    lines.append("*Active snoozes*")
    if snoozes:
        lines += [
            f"• {mrkdwn(s.label, TEXT_LIMIT)} until {s.until[:16].replace('T', ' ')} UTC (by <@{s.by}>)"
            for s in snoozes[:MAX_LISTED]
        ]
        lines += _more(len(snoozes))
    else:
        lines.append("• none")
    problems = delivery_problems_text(failures)
    if problems:
        lines += ["", problems]
    return "\n".join(lines)


def delivery_problems_text(failures: Sequence[AlertRecord]) -> str | None:
    """For admins: alerts Slack refused for good, and posts whose outcome is unknown, each with what to do; None
    when there are none."""
    if not failures:
        return None
    lines = ["*Alerts that could not be posted*"]
    for r in failures[:MAX_LISTED]:
        code = r.last_error or "unknown_error"
        if r.state == UNCERTAIN:
            fix = uncertain_fix(code_text(r.identity), mrkdwn(code, TEXT_LIMIT))
            problem = f"may or may not have been posted: {fix}"
        else:
            fix = fix_for(code) or "check the aispend log, then run `aispend alerts` to resend."
            problem = f"Slack said {mrkdwn(code, TEXT_LIMIT)}: {fix}"
        lines.append(f"• {r.created_at[:10]} {r.kind}: {mrkdwn(r.summary, TEXT_LIMIT)} — {problem}")
    lines += _more(len(failures))
    return "\n".join(lines)


def _more(count: int) -> list[str]:
    return [f"• …and {count - MAX_LISTED} more"] if count > MAX_LISTED else []


def format_alerts_text(run: AlertRun) -> str:
    """What `aispend alerts` prints."""
    title = f"Alerts as of {run.today}"
    if run.dry_run:
        title += " (dry run: nothing posted, nothing recorded)"
    lines = [title]
    if run.skipped:
        lines.append(f"Skipped: {run.skipped}")
    if not run.found:
        lines.append("No new alerts." if not run.skipped else "")
    for found in run.found:
        lines.append(f"- [{found.kind}] {found.text}")
    for note in run.notes:
        lines.append(f"Note: {note}")
    for d in run.deliveries:
        if d.state == POSTED:
            lines.append(f"Posted {d.identity}.")
        elif d.state == PENDING:
            lines.append(f"Not posted yet {d.identity}: {d.error}; it will be retried at the next evaluation.")
        elif d.state == POSTING:
            lines.append(
                f"Outcome unknown for {d.identity} ({d.error}): the channel is checked before it is posted again."
            )
        elif d.state == UNCERTAIN:
            lines.append(f"UNCERTAIN {d.identity}: it may or may not have been posted; {d.fix}")
        elif d.state == FAILED:
            lines.append(f"FAILED {d.identity}: Slack said {d.error}: {d.fix}")
    return "\n".join(line for line in lines if line)
