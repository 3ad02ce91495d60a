"""What `/aispend alerts` shows from the ledger: recent alerts, snoozes, delivery problems and what waits for data."""

from __future__ import annotations

from datetime import datetime

from bot.alerts.anomaly_eval import daily_short_note
from bot.alerts.cap_rules import caps_or_wait
from bot.alerts.evaluation import budget_or_wait, spike_report
from bot.alerts.feedback import feedback_line
from bot.alerts.overview import alerts_overview_text, delivery_problems_text
from bot.alerts.quiet import waiting_lines
from bot.alerts.waits import daily_wait, spike_wait
from bot.config import Settings
from bot.safe_text import TEXT_LIMIT, literal, mrkdwn
from bot.saved_settings import effective_settings
from bot.store import Store
from bot.store.alert_feedback import recent_feedback
from bot.store.alerts import AlertStore


def alerts_overview(
    store: Store, now: datetime, *, admin: bool, limit: int = 10, settings: Settings | None = None
) -> str:
    """`/aispend alerts`: recent alerts and active snoozes; delivery problems too when an admin asks.

    With `settings`, also the alert kinds that wait for data today, and why.
    """
    alert_store = AlertStore(store)
    failures = alert_store.failures() if admin else []
    text = alerts_overview_text(alert_store.recent(limit), alert_store.active_snoozes(now), failures)
    answers = recent_feedback(alert_store)
    if answers:  # Expected / Not expected (issue 13)
        text += "\n*Feedback*\n" + "\n".join(
            f"• {f.at[:10]} {f.kind}: {mrkdwn(f.summary, TEXT_LIMIT)} — {feedback_line(f)}" for f in answers
        )
    in_force = None if settings is None else effective_settings(store, settings)
    waiting = [] if in_force is None else waiting_alerts(store, in_force, now)
    if waiting:
        text += "\n*Waiting for data*\n" + "\n".join(f"• {literal(line)}" for line in waiting)
    quiet = [] if settings is None else waiting_lines(settings.quiet_hours, alert_store.to_deliver(), now)
    if quiet:
        text += "\n*Waiting for quiet hours*\n" + "\n".join(f"• {literal(line)}" for line in quiet)
    too_new = None if in_force is None or waiting else daily_short_note(store, in_force, now.date())
    if too_new:
        text += f"\n*Not judged yet*\n• {literal(too_new)}"
    return text


def waiting_alerts(store: Store, settings: Settings, now: datetime) -> list[str]:
    """What the next evaluation at `now` would leave out for want of complete data, and why."""
    today = now.date()
    waits = [
        spike_wait(store, settings, spike_report(store, settings, today)),
        daily_wait(store, settings, today),
        budget_or_wait(store, settings, today, now)[1],
        caps_or_wait(store, settings, today, now)[1],
    ]
    return [w for w in waits if w is not None]


def delivery_problems(store: Store) -> str | None:
    """For admins, under any `/aispend` answer: alerts Slack refused for good, each with the fix; else None."""
    return delivery_problems_text(AlertStore(store).failures())


class LedgerView:
    """The alert ledger bound to a store, in the shape `/aispend alerts` asks for (bot.slack.listener.AlertsView)."""

    def __init__(self, store: Store, settings: Settings | None = None) -> None:
        self.store = store
        self.settings = settings

    def overview(self, now: datetime, admin: bool) -> str:
        return alerts_overview(self.store, now, admin=admin, settings=self.settings)

    def problems(self) -> str | None:
        return delivery_problems(self.store)
