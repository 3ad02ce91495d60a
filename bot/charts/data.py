"""Chart data from what the bot already computed: a Report (daily and month charts) or a SpikeReport (drivers).

Pure: no store, no clock, no matplotlib. The previous period's days are the one input a Report does not hold;
`previous_by_day` sums what the store returns for them (ChartStore.daily_totals), so the loader stays thin.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Protocol

from bot.alerts.rules import Driver, SpikeReport
from bot.charts.model import Bar, DailyChart, MonthChart, SpikeChart, Stack
from bot.money import nano_to_usd, pct_change
from bot.periods import month_days
from bot.records import provider_name
from bot.report import Report
from bot.safe_text import clean

WEEKLY_FROM = 93  # periods longer than this (a quarter) are drawn as weekly bars: 400 daily bars would be hairs
MAX_BARS = 6  # spike drivers drawn; the rest of the change is one "other" bar
LABEL_WIDTH = 44


class ChartStore(Protocol):
    def daily_totals(self, start: date, end: date) -> dict[tuple[date, str], int]: ...


def previous_by_day(store: ChartStore, report: Report) -> list[Decimal]:
    """The previous period's spend per day, in order, as exact dollars (days without spend are 0)."""
    p = report.period
    per_day: dict[date, int] = defaultdict(int)
    for (day, _), nano in store.daily_totals(p.prev_start, p.prev_end).items():
        per_day[day] += nano
    days = (p.prev_end - p.prev_start).days + 1
    return [nano_to_usd(per_day.get(p.prev_start + timedelta(days=i), 0)) for i in range(days)]


def _buckets(values: Sequence[Decimal], size: int) -> tuple[Decimal, ...]:
    return tuple(sum(values[i : i + size], Decimal(0)) for i in range(0, len(values), size))


def _span(start: date, end: date) -> str:
    if start == end:
        return f"{start:%b} {start.day}, {start.year}"
    if start.year == end.year:
        return f"{start:%b} {start.day} – {end:%b} {end.day}, {end.year}"
    return f"{start:%b} {start.day}, {start.year} – {end:%b} {end.day}, {end.year}"


def daily_chart(report: Report, previous: Sequence[Decimal] | None, budget: Decimal | None = None) -> DailyChart:
    """The period's spend per day stacked by provider; `previous` per day (previous_by_day) draws the comparison.

    `budget` is the monthly budget (default: the report's), drawn as its daily pace: the budget over the days of
    the month the period ends in.
    """
    p = report.period
    size = 7 if len(report.daily) >= WEEKLY_FROM else 1
    providers = sorted({name for d in report.daily for name, usd in d.by_provider.items() if usd != 0})
    stacks = tuple(
        Stack(name, provider_name(name), _buckets([d.by_provider.get(name, Decimal(0)) for d in report.daily], size))
        for name in providers
    )
    days = tuple(d.date for d in report.daily[::size])
    monthly = budget if budget is not None else (report.budget.monthly_budget if report.budget else None)
    pace = None if monthly is None else monthly / month_days(p.end) * size
    unit = "Weekly" if size == 7 else "Daily"
    length = "1 day" if p.days == 1 else f"{p.days} days"
    compare = "same days last month" if p.name == "month" else f"previous {length}"
    return DailyChart(
        title=f"{unit} AI spend, {_span(p.start, p.end)}",
        days=days,
        bucket_days=size,
        stacks=stacks,
        previous=None if previous is None else _buckets(list(previous)[: len(report.daily)], size),
        previous_label=compare,
        budget_pace=pace,
        total=report.total,
        previous_total=report.previous_total,
        change_pct=report.change_pct,
    )


def month_chart(report: Report) -> MonthChart | None:
    """The burn-up for a `month` report (the App Home and `/aispend month`); None for any other period."""
    if report.month is None or report.period.name != "month":
        return None
    first = report.period.start
    running, cumulative = Decimal(0), []
    for day in report.daily:
        running += day.total
        cumulative.append(running)
    return MonthChart(
        title=f"AI spend, {first:%B %Y}: month to date and projection",
        first=first,
        days_in_month=report.month.days_in_month,
        cumulative=tuple(cumulative),
        projected_total=report.month.projected_total,
        budget=report.budget.monthly_budget if report.budget else None,
        month_to_date=report.month.month_to_date,
    )


def _in_scope(driver: Driver, scope: str) -> bool:
    level, _, rest = scope.partition(":")
    if level == "org":
        return True
    if level == "provider":
        return driver.provider == rest
    if level == "workspace":
        return f"{driver.provider}:{driver.workspace_id}" == rest
    if level == "model":
        return f"{driver.provider}:{driver.model}" == rest
    return False  # keys and people are not combinations of the breakdown


def spike_chart(report: SpikeReport) -> SpikeChart | None:
    """The leading scope's largest changes by provider / workspace / model; None when there is nothing to draw."""
    if not report.alerts:
        return None
    lead = report.alerts[0]
    members = [d for d in report.breakdown if _in_scope(d, lead.change.scope)] or list(lead.drivers)
    if not members:
        return None
    shown = members[:MAX_BARS]
    bars = [Bar(clean(d.label, LABEL_WIDTH), nano_to_usd(d.contribution)) for d in shown]
    other = lead.change.increase - sum(d.contribution for d in shown)
    if other:
        bars.append(Bar("everything else, net", nano_to_usd(other)))
    c = lead.change
    w = report.week
    return SpikeChart(
        title=f"What changed: {c.title}, {_span(w.start, w.end)} vs the 7 days before",
        bars=tuple(bars),
        increase=nano_to_usd(c.increase),
        previous=nano_to_usd(c.previous),
        current=nano_to_usd(c.current),
        change_pct=pct_change(nano_to_usd(c.current), nano_to_usd(c.previous)),
    )
