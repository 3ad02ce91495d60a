"""What waits for data: whether a spike, budget, daily anomaly or digest evaluation may be built from the store yet.

An alert kind is built only when every configured provider has a successful sync covering its window (for the
daily anomaly and drop rules: the last 14 complete days) and every day of it was fetched after it ended
(bot.freshness.wait_reasons). Otherwise it is neither built nor recorded; these functions say why, in one
sentence, for the run's notes, the log and `/aispend alerts`.
"""

from __future__ import annotations

from datetime import date, timedelta

from bot.alerts.baseline import MIN_HISTORY_DAYS
from bot.alerts.format import day_text, range_text
from bot.alerts.rules import SpikeReport, week_for
from bot.budget import current_budget
from bot.config import Settings
from bot.freshness import wait_reasons
from bot.store import Store


def _reasons(store: Store, settings: Settings, start: date, end: date, skip: frozenset[str] = frozenset()) -> list[str]:
    """Why the days [start, end] cannot be evaluated yet; providers in `skip` are left out."""
    fetches = {p: f for p, f in store.fetches(start, end).items() if p not in skip}
    configured = [p for p in settings.configured_providers if p not in skip]
    return wait_reasons(fetches, start, end, configured=configured, states=store.sync_states())


def _waiting(what: str, reasons: list[str]) -> str:
    return f"{what} for complete data: {'; '.join(reasons)}. They are evaluated again after the next sync."


def spike_wait(store: Store, settings: Settings, report: SpikeReport) -> str | None:
    """Why this spike evaluation must wait, or None: its 14 days are synced and final for every provider in it."""
    week = report.week
    # providers whose history starts inside the two weeks are left out of the evaluation, so they hold nothing up
    short = {p for p, f in store.fetches(week.prev_start, week.end).items() if f.first_day > week.prev_start}
    reasons = _reasons(store, settings, week.prev_start, week.end, frozenset(short | set(report.excluded)))
    return _waiting(f"Spike alerts for {range_text(week.start, week.end)} wait", reasons) if reasons else None


def budget_wait(store: Store, settings: Settings, today: date) -> str | None:
    """Why budget alerts must wait, or None: the month's complete days are synced and final (or no budget)."""
    if current_budget(store, settings)[0] is None:
        return None
    reasons = _reasons(store, settings, today.replace(day=1), today - timedelta(days=1))
    return _waiting(f"Budget alerts for {today:%B} wait", reasons) if reasons else None


def digest_wait(store: Store, settings: Settings, today: date) -> str | None:
    """Why the weekly digest for the 7 days before `today` must wait, or None: they are synced and final."""
    week = week_for(today)
    reasons = _reasons(store, settings, week.start, week.end)
    if not reasons:
        return None
    return (
        f"The weekly digest for {range_text(week.start, week.end)} waits for complete data: {'; '.join(reasons)}. "
        "It is built after the sync that completes it."
    )


def daily_wait(store: Store, settings: Settings, today: date) -> str | None:
    """Why the daily rules must wait, or None: the last 14 complete days are synced and final."""
    day = today - timedelta(days=1)
    start = day - timedelta(days=MIN_HISTORY_DAYS - 1)
    short = frozenset(p for p, f in store.fetches(start, day).items() if f.first_day > start)
    reasons = _reasons(store, settings, start, day, short)
    return _waiting(f"Daily anomaly and drop alerts for {day_text(day)} wait", reasons) if reasons else None
