"""Evaluate the alert rules against the store, record what is new, and deliver it to Slack exactly once.

The order is what makes delivery lose nothing and repeat nothing:
1. Take the "alerts" lease (a row in SQLite with an expiry), so two threads or processes never evaluate or post
   at once; another evaluation waits for it (up to `lease_wait`), then finds the alerts already recorded.
2. Evaluate; drop scopes that are snoozed or already alerted for an overlapping window (the same 7 days for
   spikes, the same month for budget thresholds, the same week for the digest).
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
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from slack_sdk import WebClient

from bot.alerts import payload
from bot.alerts.delivery import LEASE, ElapsedClock, acquire, deliver, new_holder
from bot.alerts.digest import digest_message
from bot.alerts.messages import budget_headline, budget_message, spike_headline, spike_message
from bot.alerts.model import AlertRun, FoundAlert
from bot.alerts.overview import alerts_overview_text, delivery_problems_text, format_alerts_text
from bot.alerts.render import DIGEST, digest_payload, render_record
from bot.alerts.rules import BUDGET, SPIKE, BudgetReport, SpikeReport, evaluate_budget, evaluate_spikes, week_for
from bot.alerts.spender_rules import add_spenders
from bot.alerts.waits import budget_wait, digest_wait, spike_wait
from bot.budget import current_budget
from bot.config import Settings
from bot.errors import ConfigError
from bot.periods import parse_period
from bot.report import load_report
from bot.safe_text import literal
from bot.store import Store
from bot.store.alerts import AlertStore

__all__ = [
    "AlertRun",
    "alerts_overview",
    "delivery_problems",
    "describe_spike",
    "format_alerts_text",
    "post_digest",
    "run_alerts",
]

logger = logging.getLogger("aispend.alerts")

BUDGET_LABEL = "budget warnings"


def spike_report(store: Store, settings: Settings, today: date) -> SpikeReport:
    week = week_for(today)
    current = store.scope_totals(week.start, week.end)
    previous = store.scope_totals(week.prev_start, week.prev_end)
    excluded = []
    for provider in sorted({c[0] for c in (*current, *previous)}):
        span = store.data_range(provider)
        # a provider synced only recently would look like a brand-new spender: missing data is not zero
        if span is not None and span[0] > week.prev_start:
            excluded.append(provider)
    labels = store.labels()
    report = evaluate_spikes(
        current,
        previous,
        labels=labels,
        week=week,
        pct=settings.spike_pct,
        min_usd=settings.spike_min_usd,
        excluded=excluded,
    )
    # keys always; people only where the channel may show them (CONTRACT §2)
    rows = store.spender_rows(week.prev_start, week.end)
    return add_spenders(report, rows, store.spender_labels(), labels, people=settings.show_people_in_channel)


def budget_report(store: Store, settings: Settings, today: date, now: datetime) -> BudgetReport | None:
    budget, _ = current_budget(store, settings)
    if budget is None:
        return None
    month = load_report(
        store, parse_period("month", today), now=now, configured=settings.configured_providers, budget_usd=budget
    ).month
    return None if month is None else evaluate_budget(month, budget, today)


def describe_spike(store: Store, today: date, settings: Settings) -> str | None:
    """The plain text a spike alert for `today` would say (ignoring what was already posted), or None."""
    report = spike_report(store, settings, today)
    if not report.alerts:
        return None
    return spike_message(report, f"{SPIKE}|{report.week.key}").text


# --- recording -------------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Candidate:
    kind: str
    period: str
    period_end: str
    window_start: str
    identity_base: str
    scopes: list[tuple[str, str]]  # (scope, label) in message order
    build: Callable[[set[str]], tuple[str, str, str]]  # new scopes -> (summary, payload, text)


def _spike_candidate(report: SpikeReport) -> _Candidate | None:
    if not report.alerts:
        return None

    def build(new: set[str]) -> tuple[str, str, str]:
        sub = report.only(a for a in report.alerts if a.scope in new)
        return spike_headline(sub), payload.dumps(sub), spike_message(sub, "").text

    return _Candidate(
        kind=SPIKE,
        period=report.week.key,
        period_end=report.week.end.isoformat(),
        window_start=report.week.start.isoformat(),
        identity_base=f"{SPIKE}|{report.week.key}",
        scopes=[(a.scope, a.change.title) for a in report.alerts],
        build=build,
    )


def _budget_candidate(report: BudgetReport | None) -> _Candidate | None:
    if report is None or not report.alerts:
        return None

    def build(new: set[str]) -> tuple[str, str, str]:
        sub = report.only(a for a in report.alerts if a.scope in new)
        return budget_headline(sub), payload.dumps(sub), budget_message(sub, "").text

    return _Candidate(
        kind=BUDGET,
        period=report.month,
        period_end=report.month_end.isoformat(),
        window_start=report.today.replace(day=1).isoformat(),
        identity_base=f"{BUDGET}|{report.month}",
        scopes=[(a.scope, BUDGET_LABEL) for a in report.alerts],
        build=build,
    )


def _mute_scope(kind: str, scope: str) -> str:
    return BUDGET if kind == BUDGET else scope


def _new_scopes(alert_store: AlertStore, candidate: _Candidate, now: datetime) -> list[tuple[str, str]]:
    muted = {s.scope for s in alert_store.active_snoozes(now)}
    live = [(s, label) for s, label in candidate.scopes if _mute_scope(candidate.kind, s) not in muted]
    covered = alert_store.covered_scopes(candidate.kind, [s for s, _ in live], candidate.window_start)
    return [(s, label) for s, label in live if s not in covered]


def _record(alert_store: AlertStore, candidate: _Candidate, now: datetime) -> FoundAlert | None:
    new = _new_scopes(alert_store, candidate, now)
    if not new:
        return None
    summary, data, _ = candidate.build({s for s, _ in new})
    record = alert_store.record(
        kind=candidate.kind,
        period=candidate.period,
        period_end=candidate.period_end,
        scopes=new,
        summary=summary,
        payload=data,
        identity_base=candidate.identity_base,
        now=now,
    )
    if record is None:
        return None
    logger.info("recorded alert %s: %s", record.identity, summary)
    return FoundAlert(record.identity, record.kind, render_record(record).text, tuple(s for s, _ in new))


# --- entry points ----------------------------------------------------------------------------------------------


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
) -> AlertRun:
    """Evaluate spikes and budget for `today`, record what is new and post it (see the module docstring).

    dry_run: evaluate only; nothing is posted or recorded, nothing printed (format it with format_alerts_text).
    retry_failed: also resend alerts Slack refused permanently (a manual run after fixing the channel).
    lease_wait: how long to wait for another evaluation (thread or process) to finish before skipping.
    """
    alert_store = alert_store or AlertStore(store)
    if dry_run:
        return _dry_run(store, alert_store, settings, today, now)
    poster, channel = _require_slack(client, settings)
    clock = ElapsedClock(now, time.monotonic())
    holder = new_holder()
    if not acquire(alert_store, holder, clock, lease_wait):
        return AlertRun(today, False, skipped="another aispend process is evaluating alerts right now; it posts them")
    try:
        candidates, notes = _candidates(store, settings, today, now)
        found = [f for c in candidates if (f := _record(alert_store, c, now)) is not None]
        deliveries = deliver(
            alert_store,
            poster,
            channel,
            clock=clock,
            holder=holder,
            include_failed=retry_failed,
            pace=pace,
            secrets=settings.secrets(),
        )
    finally:
        alert_store.release_lease(LEASE, holder)
    return AlertRun(today, False, tuple(found), tuple(deliveries), notes=notes)


def _candidates(
    store: Store, settings: Settings, today: date, now: datetime
) -> tuple[list[_Candidate], tuple[str, ...]]:
    """The messages this evaluation may record, and notes: what was left out and what waits for data."""
    spikes = spike_report(store, settings, today)
    notes = list(_notes(spikes))
    candidates = []
    waits = spike_wait(store, settings, spikes)
    if waits is None:
        candidates.append(_spike_candidate(spikes))
    else:
        logger.info("%s", waits)
        notes.append(waits)
    budget, waits = _budget_or_wait(store, settings, today, now)
    if waits is None:
        candidates.append(_budget_candidate(budget))
    else:
        logger.info("%s", waits)
        notes.append(waits)
    return [c for c in candidates if c is not None], tuple(notes)


def _budget_or_wait(
    store: Store, settings: Settings, today: date, now: datetime
) -> tuple[BudgetReport | None, str | None]:
    """The budget evaluation, or why it waits: the month's data, or a pace to project from, is not there yet."""
    waits = budget_wait(store, settings, today)
    if waits is not None:
        return None, waits
    report = budget_report(store, settings, today, now)
    if report is None and current_budget(store, settings)[0] is not None:
        return None, (
            f"Budget alerts for {today:%B} wait for a month-end projection: none can be made yet "
            "(`aispend report month` says why)."
        )
    return report, None


def _notes(spikes: SpikeReport) -> tuple[str, ...]:
    if not spikes.excluded:
        return ()
    names = ", ".join(spikes.excluded)
    return (
        f"Spikes not evaluated for {names}: its synced data does not reach back two weeks; "
        "run `aispend sync --days 14` to fill it.",
    )


def _dry_run(store: Store, alert_store: AlertStore, settings: Settings, today: date, now: datetime) -> AlertRun:
    candidates, notes = _candidates(store, settings, today, now)
    found = []
    for candidate in candidates:
        new = _new_scopes(alert_store, candidate, now)
        if new:
            _, _, text = candidate.build({s for s, _ in new})
            found.append(FoundAlert(candidate.identity_base, candidate.kind, text, tuple(s for s, _ in new)))
    return AlertRun(today, True, tuple(found), notes=notes)


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
) -> AlertRun:
    """Record last week's summary once per week (the 7 complete days before `today`) and post what is pending.

    Recording needs no lease (the ledger's key makes it once). Posting waits up to `lease_wait` seconds for the
    lease; after that the process holding it, or the next evaluation, posts the digest. A week some provider has
    not synced completely yet is neither built nor recorded (`skipped` says why): the sync job tries again after
    each sync while the slot is within its grace (bot.jobs).
    """
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
    message = digest_message(report)
    candidate = _Candidate(
        kind=DIGEST,
        period=week.key,
        period_end=week.end.isoformat(),
        window_start=week.start.isoformat(),
        identity_base=f"{DIGEST}|{week.key}",
        scopes=[(DIGEST, "weekly digest")],
        build=lambda _: (message.text.split(":", 1)[0], digest_payload(message), message.text),
    )
    found = _record(alert_store, candidate, now)
    holder = new_holder()
    clock = ElapsedClock(now, time.monotonic())
    # a digest happens once a week: wait out a sync's evaluation rather than leave it for the next one
    if not acquire(alert_store, holder, clock, lease_wait):
        skipped = "another aispend process is posting right now; it or the next evaluation posts the digest"
        return AlertRun(today, False, (found,) if found else (), skipped=skipped)
    try:
        deliveries = deliver(
            alert_store, poster, channel, clock=clock, holder=holder, pace=pace, secrets=settings.secrets()
        )
    finally:
        alert_store.release_lease(LEASE, holder)
    return AlertRun(today, False, (found,) if found else (), tuple(deliveries))


def alerts_overview(
    store: Store, now: datetime, *, admin: bool, limit: int = 10, settings: Settings | None = None
) -> str:
    """`/aispend alerts`: recent alerts and active snoozes; delivery problems too when an admin asks.

    With `settings`, also the alert kinds that wait for data today, and why.
    """
    alert_store = AlertStore(store)
    failures = alert_store.failures() if admin else []
    text = alerts_overview_text(alert_store.recent(limit), alert_store.active_snoozes(now), failures)
    waiting = [] if settings is None else waiting_alerts(store, settings, now)
    if waiting:
        text += "\n*Waiting for data*\n" + "\n".join(f"• {literal(line)}" for line in waiting)
    return text


def waiting_alerts(store: Store, settings: Settings, now: datetime) -> list[str]:
    """What the next evaluation at `now` would leave out for want of complete data, and why."""
    today = now.date()
    waits = [
        spike_wait(store, settings, spike_report(store, settings, today)),
        _budget_or_wait(store, settings, today, now)[1],
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
