"""Evaluate the alert rules against the store, record what is new, and deliver it to Slack exactly once.

The order is what makes delivery lose nothing and repeat nothing:
1. Take the "alerts" lease (a row in SQLite with an expiry), so two threads or processes never evaluate or post
   at once; another evaluation waits for it (up to `lease_wait`), then finds the alerts already recorded.
2. Evaluate; drop scopes that are snoozed or already alerted for an overlapping window (the same 7 days for
   spikes, the same month for budget thresholds, the same week for the digest).
3. Record one message per kind holding every new scope, state `pending`, before anything is posted. A scope
   that fires later the same week gets a follow-up message holding only the new scopes (identity `…|2`).
4. Post every pending message. Slack 5xx, `ratelimited` and network failures leave it pending for the next
   evaluation; permanent refusals (channel_not_found, not_in_channel, invalid_auth…) become failed_permanent,
   are logged with the fix and shown to admins, and are resent by a manual `aispend alerts`.
A crash between Slack accepting a post and step 4 recording it is the one window that can repeat a message.

Because the spike window rolls daily, an ongoing event keeps firing for a week; the overlap rule means each
scope is alerted at most once per 7 days, so the channel never fills with near-copies.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.alerts import payload
from bot.alerts.digest import digest_message
from bot.alerts.messages import budget_headline, budget_message, spike_headline, spike_message
from bot.alerts.model import FAILED, PENDING, POSTED, AlertRecord, AlertRun, Delivery, FoundAlert
from bot.alerts.overview import fix_for, format_alerts_text
from bot.alerts.render import DIGEST, digest_payload, render_record
from bot.alerts.rules import BUDGET, SPIKE, BudgetReport, SpikeReport, evaluate_budget, evaluate_spikes, week_for
from bot.config import Settings
from bot.errors import ConfigError
from bot.periods import parse_period
from bot.report import load_report
from bot.store import Store
from bot.store.alerts import AlertStore

__all__ = ["AlertRun", "describe_spike", "format_alerts_text", "post_digest", "run_alerts"]

logger = logging.getLogger("aispend.alerts")

LEASE = "alerts"
LEASE_TTL = timedelta(minutes=10)
LEASE_POLL = 0.2  # seconds between attempts while another evaluation holds the lease
MAX_ATTEMPTS = 48  # an unknown Slack error is retried this many evaluations before it counts as permanent
TRANSIENT_CODES = frozenset(
    {"ratelimited", "internal_error", "fatal_error", "service_unavailable", "request_timeout", "team_added_to_org"}
)
BUDGET_LABEL = "budget warnings"


@dataclass(frozen=True, slots=True)
class _Clock:
    """The caller's `now`, advanced by real elapsed time, so a lease renewed mid-run really moves forward."""

    start: datetime
    t0: float

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.t0)


def budget_usd(store: Store, settings: Settings) -> Decimal | None:
    """`/aispend budget set` (store setting "budget_usd") wins over AISPEND_MONTHLY_BUDGET_USD."""
    value = store.get_setting("budget_usd")
    if value:
        try:
            return Decimal(value)
        except InvalidOperation:
            logger.warning("stored budget %r is not a number; using AISPEND_MONTHLY_BUDGET_USD", value)
    return settings.monthly_budget_usd


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
    return evaluate_spikes(
        current,
        previous,
        labels=store.labels(),
        week=week,
        pct=settings.spike_pct,
        min_usd=settings.spike_min_usd,
        excluded=excluded,
    )


def budget_report(store: Store, settings: Settings, today: date, now: datetime) -> BudgetReport | None:
    budget = budget_usd(store, settings)
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


# --- delivery --------------------------------------------------------------------------------------------------


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}:{uuid.uuid4().hex[:8]}"


def _acquire(alert_store: AlertStore, holder: str, clock: Callable[[], datetime], wait: float) -> bool:
    """Take the lease, waiting up to `wait` seconds for another evaluation to finish with it."""
    deadline = time.monotonic() + wait
    while not alert_store.acquire_lease(LEASE, holder, clock(), clock() + LEASE_TTL):
        if time.monotonic() >= deadline:
            return False
        time.sleep(LEASE_POLL)
    return True


def _redact(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "********")
    return text


def _classify(err: SlackApiError, attempts: int) -> tuple[str, bool]:
    """(error code, permanent?) for a Slack refusal."""
    status = getattr(err.response, "status_code", 200)
    code = str(err.response.get("error") or f"http_{status}")
    if status >= 500 or status == 429 or code in TRANSIENT_CODES:
        return code, False
    if fix_for(code) is not None:
        return code, True
    return code, attempts + 1 >= MAX_ATTEMPTS


def deliver(
    alert_store: AlertStore,
    client: WebClient,
    channel: str,
    *,
    clock: Callable[[], datetime],
    holder: str,
    include_failed: bool = False,
    pace: float = 1.0,
    secrets: Sequence[str] = (),
) -> list[Delivery]:
    """Post every pending message (and failed ones when asked), oldest first, while holding the lease."""
    results: list[Delivery] = []
    tried: set[str] = set()
    while True:
        # asked again after each round: a message recorded meanwhile (the digest, a follow-up) goes out too
        batch = [r for r in alert_store.to_deliver(include_failed) if r.identity not in tried]
        if not batch:
            return results
        for record in batch:
            if tried and pace:
                time.sleep(pace)  # chat.postMessage allows about one message per second per channel
            tried.add(record.identity)
            now = clock()
            if not alert_store.acquire_lease(LEASE, holder, now, now + LEASE_TTL):
                logger.warning("lost the alerts lease; the process that holds it posts the rest")
                return results
            results.append(_post(alert_store, client, channel, record, now, secrets))


def _post(
    alert_store: AlertStore,
    client: WebClient,
    channel: str,
    record: AlertRecord,
    now: datetime,
    secrets: Sequence[str],
) -> Delivery:
    message = render_record(record)
    try:
        response = client.chat_postMessage(
            channel=channel, text=message.text, blocks=message.blocks, unfurl_links=False, unfurl_media=False
        )
    except SlackApiError as err:
        code, permanent = _classify(err, record.attempts)
        alert_store.mark_failed(record.identity, code, permanent=permanent, channel=channel)
        if permanent:
            fix = fix_for(code) or "check the aispend log, then run `aispend alerts` to resend."
            logger.error("alert %s was NOT posted to %s: Slack said %s; %s", record.identity, channel, code, fix)
            return Delivery(record.identity, FAILED, code, fix)
        logger.warning(
            "alert %s not posted yet (Slack said %s); retrying at the next evaluation", record.identity, code
        )
        return Delivery(record.identity, PENDING, code)
    except Exception as err:  # network failures and anything unexpected: keep it pending, never lose it
        error = _redact(f"{type(err).__name__}: {err}", secrets)[:300]
        alert_store.mark_failed(record.identity, error, permanent=False, channel=channel)
        logger.warning("alert %s not posted yet (%s); retrying at the next evaluation", record.identity, error)
        return Delivery(record.identity, PENDING, error)
    alert_store.mark_posted(
        record.identity, str(response.get("channel") or channel), str(response.get("ts") or ""), now
    )
    logger.info("posted alert %s to %s", record.identity, channel)
    return Delivery(record.identity, POSTED)


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
    clock = _Clock(now, time.monotonic())
    holder = _holder()
    if not _acquire(alert_store, holder, clock, lease_wait):
        return AlertRun(today, False, skipped="another aispend process is evaluating alerts right now; it posts them")
    try:
        spikes = spike_report(store, settings, today)
        candidates = [_spike_candidate(spikes), _budget_candidate(budget_report(store, settings, today, now))]
        found = [f for c in candidates if c is not None and (f := _record(alert_store, c, now)) is not None]
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
    return AlertRun(today, False, tuple(found), tuple(deliveries), notes=_notes(spikes))


def _notes(spikes: SpikeReport) -> tuple[str, ...]:
    if not spikes.excluded:
        return ()
    names = ", ".join(spikes.excluded)
    return (
        f"Spikes not evaluated for {names}: its synced data does not reach back two weeks; "
        "run `aispend sync --days 14` to fill it.",
    )


def _dry_run(store: Store, alert_store: AlertStore, settings: Settings, today: date, now: datetime) -> AlertRun:
    spikes = spike_report(store, settings, today)
    found = []
    for candidate in (_spike_candidate(spikes), _budget_candidate(budget_report(store, settings, today, now))):
        if candidate is None:
            continue
        new = _new_scopes(alert_store, candidate, now)
        if new:
            _, _, text = candidate.build({s for s, _ in new})
            found.append(FoundAlert(candidate.identity_base, candidate.kind, text, tuple(s for s, _ in new)))
    return AlertRun(today, True, tuple(found), notes=_notes(spikes))


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
    lease; after that the process holding it, or the next evaluation, posts the digest.
    """
    poster, channel = _require_slack(client, settings)
    alert_store = alert_store or AlertStore(store)
    today = today or now.date()
    week = week_for(today)
    budget = budget_usd(store, settings)
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
    holder = _holder()
    clock = _Clock(now, time.monotonic())
    # a digest happens once a week: wait out a sync's evaluation rather than leave it for the next one
    if not _acquire(alert_store, holder, clock, lease_wait):
        skipped = "another aispend process is posting right now; it or the next evaluation posts the digest"
        return AlertRun(today, False, (found,) if found else (), skipped=skipped)
    try:
        deliveries = deliver(
            alert_store, poster, channel, clock=clock, holder=holder, pace=pace, secrets=settings.secrets()
        )
    finally:
        alert_store.release_lease(LEASE, holder)
    return AlertRun(today, False, (found,) if found else (), tuple(deliveries))
