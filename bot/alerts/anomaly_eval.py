"""The daily anomaly and drop evaluations out of the store (issue 13), their ledger candidates and what they wait for.

Both look at the last complete day (`today` - 1). Like the spike, neither is built while a provider's sync has not
covered the days it reads with final data (bot.freshness, via bot.alerts.waits); a provider whose history starts
inside those days holds nothing up, it is simply left out (missing data is not zero).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from bot.alerts import payload
from bot.alerts.anomaly import ANOMALY, REALERT_DAYS, AnomalyReport, evaluate_anomalies, ranked, window
from bot.alerts.anomaly_messages import anomaly_headline, anomaly_message, drop_headline, drop_message
from bot.alerts.baseline import MIN_HISTORY_DAYS
from bot.alerts.candidates import Candidate
from bot.alerts.drops import DROP, MAX_RUN_DAYS, STEADY_DAYS, DropReport, evaluate_drops
from bot.alerts.spender_anomaly import spender_anomalies
from bot.alerts.waits import daily_wait
from bot.config import Settings
from bot.money import usd_to_nano
from bot.store import Store

MAX_NAMED = 5  # scopes named in the "under 14 days" note; the rest are counted


def _spans(store: Store, settings: Settings, providers: set[str]) -> dict[str, tuple[date, date]]:
    """Each provider's first and last synced day (before the first, missing data is not zero)."""
    out = {}
    for provider in sorted(providers | set(settings.configured_providers)):
        span = store.data_range(provider)
        if span is not None:
            out[provider] = span
    return out


def anomaly_report(store: Store, settings: Settings, today: date) -> AnomalyReport:
    day = today - timedelta(days=1)
    first, _ = window(day)
    daily = {
        first + timedelta(days=i): store.scope_totals(first + timedelta(days=i), first + timedelta(days=i))
        for i in range((day - first).days + 1)
    }
    providers = {c[0] for combos in daily.values() for c in combos}
    report = evaluate_anomalies(
        daily,
        day=day,
        labels=store.labels(),
        starts={p: span[0] for p, span in _spans(store, settings, providers).items()},
        min_usd=settings.spike_min_usd,
    )
    # keys always; people only where the channel may show them (CONTRACT §2)
    spenders, short = spender_anomalies(
        store.spender_rows(first, day),
        store.spender_labels(),
        [first + timedelta(days=i) for i in range((day - first).days + 1)],
        min_usd_nano=usd_to_nano(settings.spike_min_usd),
        people=settings.show_people_in_channel,
    )
    return replace(report, alerts=ranked([*report.alerts, *spenders]), short=(*report.short, *short))


def drop_report(store: Store, settings: Settings, today: date) -> DropReport:
    day = today - timedelta(days=1)
    first = day - timedelta(days=STEADY_DAYS + MAX_RUN_DAYS - 1)
    totals = store.daily_totals(first, day)
    spans = _spans(store, settings, {p for _, p in totals})
    # only providers synced over every day read: outside its syncs (before the first, or after its key was
    # removed) a provider's zero is missing data, not a drop
    providers = [p for p, (start, end) in spans.items() if start <= first and end >= day]
    return evaluate_drops(totals, day=day, providers=providers, min_usd=settings.spike_min_usd)


def short_history_note(report: AnomalyReport) -> str | None:
    """Which scopes stay silent for want of 14 days of history (they spent that day)."""
    if not report.short:
        return None
    named = ", ".join(report.short[:MAX_NAMED])
    more = f" and {len(report.short) - MAX_NAMED} more" if len(report.short) > MAX_NAMED else ""
    return (
        f"Daily anomalies are not evaluated for {named}{more}: under {MIN_HISTORY_DAYS} days of history "
        "(a scope needs two of each weekday before its days can be judged)."
    )


def anomaly_candidate(report: AnomalyReport) -> Candidate | None:
    if not report.alerts:
        return None

    def build(new: set[str]) -> tuple[str, str, str]:
        sub = report.only(new)
        return anomaly_headline(sub), payload.dumps(sub), anomaly_message(sub, "").text

    return Candidate(
        kind=ANOMALY,
        period=report.key,
        period_end=report.key,
        window_start=(report.day - timedelta(days=REALERT_DAYS - 1)).isoformat(),
        identity_base=f"{ANOMALY}|{report.key}",
        scopes=[(a.scope, a.change.title) for a in report.alerts],
        build=build,
    )


def drop_candidate(report: DropReport) -> Candidate | None:
    if not report.alerts:
        return None
    key = report.day.isoformat()

    def build(new: set[str]) -> tuple[str, str, str]:
        sub = report.only(new)
        return drop_headline(sub), payload.dumps(sub), drop_message(sub, "").text

    return Candidate(
        kind=DROP,
        period=key,
        period_end=key,
        window_start=(report.day - timedelta(days=MAX_RUN_DAYS - 1)).isoformat(),
        identity_base=f"{DROP}|{key}",
        scopes=[(a.scope, a.title) for a in report.alerts],
        build=build,
    )


def daily_short_note(store: Store, settings: Settings, today: date) -> str | None:
    """For `/aispend alerts`: which scopes are too new for the daily rule today (None when none are)."""
    return short_history_note(anomaly_report(store, settings, today))


def daily_candidates(
    store: Store, settings: Settings, today: date, *, explain: bool = False
) -> tuple[list[Candidate], list[str]]:
    """The daily anomaly and drop messages this evaluation may record, and why they wait (`explain`: also which
    scopes are too new to be judged, for a dry run and `/aispend alerts`)."""
    waits = daily_wait(store, settings, today)
    if waits is not None:
        return [], [waits]
    anomalies = anomaly_report(store, settings, today)
    notes = [n for n in (short_history_note(anomalies),) if n is not None and explain]
    found = [anomaly_candidate(anomalies), drop_candidate(drop_report(store, settings, today))]
    return [c for c in found if c is not None], notes
