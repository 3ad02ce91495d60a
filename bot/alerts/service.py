"""Evaluate the alert rules against the store, record what is new, and deliver it to Slack exactly once.

The order is what makes delivery lose nothing and repeat nothing:
1. Take the "alerts" lease (a row in SQLite with an expiry), so two threads or processes never evaluate or post
   at once; another evaluation waits for it (up to `lease_wait`), then finds the alerts already recorded.
2. Evaluate; drop scopes that are snoozed (or, for anomaly kinds, called Expected) or already alerted for an
   overlapping window (the same 7 days for spikes, the last 7 days for unusual days and stopped spend, the same
   month for budget thresholds, the same week for the digest).
3. Record one message per kind holding every new scope, state `pending`, before anything is posted. A scope
   that fires later the same week gets a follow-up message holding only the new scopes (identity `…|2`).
4. Post every pending message (bot.alerts.delivery): `posting` is committed before each post, refusals leave it
   pending or failed_permanent (logged with the fix, shown to admins, resent by a manual `aispend alerts`), and a
   post whose outcome is unknown (dropped connection, timeout, 5xx, a killed process) is looked for in the channel
   before it is ever posted again: it is never repeated blindly.

Because the spike window rolls daily, an ongoing event keeps firing for a week; the overlap rule means each
scope is alerted at most once per 7 days, so the channel never fills with near-copies.

Nothing is evaluated from data that is not there yet (contract §5): a kind whose window some provider has not
covered with a successful sync, or that holds a day fetched before it ended (bot.freshness), is neither built
nor recorded. It waits, the run's notes (and `/aispend alerts`) say why, and the next evaluation after the sync
that completes the data builds it: spikes over their 14 days, budget over the month's complete days, the digest
over its week.
"""

from __future__ import annotations

import logging
import time
from datetime import date, datetime

from slack_sdk import WebClient

from bot.alerts.candidates import BUDGET_LABEL, Candidate, collect_candidates, dry_run_alerts, record_new
from bot.alerts.delivery import LEASE, ElapsedClock, acquire, deliver, new_holder
from bot.alerts.digest import digest_message
from bot.alerts.evaluation import budget_report, describe_spike, spike_report
from bot.alerts.ledger_view import LedgerView, alerts_overview, delivery_problems, waiting_alerts
from bot.alerts.model import AlertRun
from bot.alerts.overview import format_alerts_text
from bot.alerts.pictures import Pictures
from bot.alerts.render import DIGEST, digest_payload
from bot.alerts.routing import Route
from bot.alerts.rules import week_for
from bot.alerts.waits import digest_wait
from bot.budget import current_budget
from bot.charts.codec import daily_to_dict
from bot.charts.data import daily_chart, previous_by_day
from bot.config import Settings
from bot.errors import ConfigError
from bot.periods import parse_period
from bot.reconcile import difference_lines, load_reconciliation
from bot.report import load_report
from bot.saved_settings import effective_settings
from bot.store import Store
from bot.store.alerts import AlertStore

__all__ = [
    "BUDGET_LABEL",
    "AlertRun",
    "LedgerView",
    "alerts_overview",
    "budget_report",
    "delivery_problems",
    "describe_spike",
    "format_alerts_text",
    "post_digest",
    "run_alerts",
    "spike_report",
    "waiting_alerts",
]

logger = logging.getLogger("aispend.alerts")


def _require_slack(client: WebClient | None, settings: Settings) -> tuple[WebClient, str]:
    if client is None or settings.alert_channel is None:
        raise ConfigError(
            "Posting alerts needs SLACK_BOT_TOKEN and AISPEND_ALERT_CHANNEL: set both, or use --dry-run to only "
            "print them."
        )
    return client, settings.alert_channel


def run_alerts(
    store: Store,
    client: WebClient | None,
    *,
    settings: Settings,
    today: date,
    now: datetime,
    dry_run: bool,
    retry_failed: bool = True,
    pace: float = 1.0,
    lease_wait: float = 30.0,
    alert_store: AlertStore | None = None,
    pictures: Pictures | None = None,
) -> AlertRun:
    """Evaluate spikes and budget for `today`, record what is new and post it (see the module docstring).

    dry_run: evaluate only; nothing is posted or recorded, nothing printed (format it with format_alerts_text).
    retry_failed: also resend alerts Slack refused permanently (a manual run after fixing the channel).
    lease_wait: how long to wait for another evaluation (thread or process) to finish before skipping.
    """
    settings = effective_settings(store, settings)  # read now: a change saved from Slack applies at once
    alert_store = alert_store or AlertStore(store)
    if dry_run:
        return dry_run_alerts(store, alert_store, settings, today, now)
    poster, channel = _require_slack(client, settings)
    clock = ElapsedClock(now, time.monotonic())
    holder = new_holder()
    if not acquire(alert_store, holder, clock, lease_wait):
        return AlertRun(today, False, skipped="another aispend process is evaluating alerts right now; it posts them")
    try:
        candidates, notes = collect_candidates(store, settings, today, now)
        found = [f for c in candidates if (f := record_new(alert_store, c, now)) is not None]
        deliveries = deliver(
            alert_store,
            poster,
            channel,
            clock=clock,
            holder=holder,
            include_failed=retry_failed,
            pace=pace,
            secrets=settings.secrets(),
            route=Route.of(settings, channel),
            pictures=pictures,
        )
    finally:
        alert_store.release_lease(LEASE, holder)
    return AlertRun(today, False, tuple(found), tuple(deliveries), notes=notes)


def post_digest(
    store: Store,
    client: WebClient | None,
    *,
    settings: Settings,
    now: datetime,
    today: date | None = None,
    pace: float = 1.0,
    lease_wait: float = 60.0,
    alert_store: AlertStore | None = None,
    pictures: Pictures | None = None,
) -> AlertRun:
    """Record last week's summary once per week (the 7 complete days before `today`) and post what is pending.

    Recording needs no lease (the ledger's key makes it once). Posting waits up to `lease_wait` seconds for the
    lease; after that the process holding it, or the next evaluation, posts the digest. A week some provider has
    not synced completely yet is neither built nor recorded (`skipped` says why): the sync job tries again after
    each sync while the slot is within its grace (bot.jobs).
    """
    settings = effective_settings(store, settings)
    poster, channel = _require_slack(client, settings)
    alert_store = alert_store or AlertStore(store)
    today = today or now.date()
    week = week_for(today)
    waits = digest_wait(store, settings, today)
    if waits is not None:
        logger.info("%s", waits)
        return AlertRun(today, False, skipped=waits)
    budget, _ = current_budget(store, settings)
    report = load_report(
        store, parse_period("week", today), now=now, configured=settings.configured_providers, budget_usd=budget
    )
    # the week's days whose bill is more than 10 % off the list-price estimate of their usage (bot.reconcile)
    message = digest_message(report, difference_lines(load_reconciliation(store, report.period)))
    chart = daily_to_dict(daily_chart(report, previous_by_day(store, report)))  # its picture's numbers, recorded
    candidate = Candidate(
        kind=DIGEST,
        period=week.key,
        period_end=week.end.isoformat(),
        window_start=week.start.isoformat(),
        identity_base=f"{DIGEST}|{week.key}",
        scopes=[(DIGEST, "weekly digest")],
        build=lambda _: (message.text.split(":", 1)[0], digest_payload(message, chart), message.text),
    )
    found = record_new(alert_store, candidate, now)
    holder = new_holder()
    clock = ElapsedClock(now, time.monotonic())
    # a digest happens once a week: wait out a sync's evaluation rather than leave it for the next one
    if not acquire(alert_store, holder, clock, lease_wait):
        skipped = "another aispend process is posting right now; it or the next evaluation posts the digest"
        return AlertRun(today, False, (found,) if found else (), skipped=skipped)
    try:
        deliveries = deliver(
            alert_store,
            poster,
            channel,
            clock=clock,
            holder=holder,
            pace=pace,
            secrets=settings.secrets(),
            route=Route.of(settings, channel),
            pictures=pictures,
        )
    finally:
        alert_store.release_lease(LEASE, holder)
    return AlertRun(today, False, (found,) if found else (), tuple(deliveries))
