"""Build the spike and budget reports an evaluation works from, out of the store, and say what waits for data."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot.alerts.budget_rules import BudgetReport, evaluate_budget
from bot.alerts.format import range_text
from bot.alerts.messages import spike_message
from bot.alerts.rules import SPIKE, SpikeReport, evaluate_spikes, week_for
from bot.alerts.spender_rules import add_spenders
from bot.alerts.spike_guard import guard_spikes, history_window, needs_guard
from bot.alerts.waits import budget_wait
from bot.budget import current_budget
from bot.config import Settings
from bot.periods import parse_period
from bot.report import load_report
from bot.store import Store


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
    if needs_guard(report):  # the store's days are read only when a scope fired
        first, last = history_window(report)
        days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
        daily = {d: store.scope_totals(d, d) for d in days}
        spans = {p: store.data_range(p) for p in {c[0] for c in (*current, *previous)}}
        starts = {p: span[0] for p, span in spans.items() if span is not None}
        report = guard_spikes(report, daily, starts)
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


def budget_or_wait(
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


def spike_notes(spikes: SpikeReport) -> tuple[str, ...]:
    notes = []
    if spikes.excluded:
        names = ", ".join(spikes.excluded)
        notes.append(
            f"Spikes not evaluated for {names}: its synced data does not reach back two weeks; "
            "run `aispend sync --days 14` to fill it."
        )
    guard = guard_note(spikes)
    if guard:
        notes.append(guard)
    return tuple(notes)


def guard_note(spikes: SpikeReport) -> str | None:
    """What the quiet-week guard (bot.alerts.spike_guard) changed in this spike check, or None."""
    compared = [a.change.title for a in spikes.alerts if a.typical is not None]
    if not compared and not spikes.held:
        return None
    parts = []
    if spikes.held:
        parts.append(f"{_names(spikes.held)} stayed within a typical week and did not fire")
    if compared:
        parts.append(f"{_names(compared)} still rose past the spike thresholds")
    return (
        f"Spike check for {range_text(spikes.week.start, spikes.week.end)}: the week before was unusually quiet "
        f"(a holiday?), so it was compared with a typical week: {'; '.join(parts)}."
    )


def _names(titles: list[str] | tuple[str, ...], most: int = 5) -> str:
    more = f" and {len(titles) - most} more" if len(titles) > most else ""
    return ", ".join(titles[:most]) + more
