"""Alt text for each chart: the key facts a reader would take from the picture (totals, change, budget).

Slack shows it to screen readers and when an image cannot load, so it must stand on its own. Pure.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from bot.charts.model import DailyChart, MonthChart, SpikeChart
from bot.money import fmt_usd

ALT_LIMIT = 2000  # Slack's alt_text limit for an image block


def _change(pct: Decimal | None, current: Decimal, previous: Decimal, against: str) -> str:
    """'Up 34.6% (+$280.77) from $812.40 in the previous 7 days'."""
    if previous == 0 or pct is None:
        return f"No spend in the {against} to compare with" if current else f"No spend in it or the {against}"
    if pct == 0:
        return f"No change from {fmt_usd(previous)} in the {against}"
    way, sign = ("Up", "+") if pct > 0 else ("Down", "")
    return f"{way} {abs(pct):.1f}% ({sign}{fmt_usd(current - previous)}) from {fmt_usd(previous)} in the {against}"


def _fit(text: str) -> str:
    return text if len(text) <= ALT_LIMIT else text[: ALT_LIMIT - 1] + "…"


def daily_alt(chart: DailyChart) -> str:
    unit = "week" if chart.bucket_days == 7 else "day"
    parts = [f"Bar chart: {chart.title}, one bar per {unit} stacked by provider."]
    by = ", ".join(f"{s.label} {fmt_usd(sum(s.amounts, Decimal(0)))}" for s in chart.stacks)
    parts.append(f"Total {fmt_usd(chart.total)}" + (f" ({by})" if by else "") + ".")
    line = " (the black line)" if chart.previous is not None else ""
    parts.append(f"{_change(chart.change_pct, chart.total, chart.previous_total, chart.previous_label)}{line}.")
    if chart.days:
        sums = [sum((s.amounts[i] for s in chart.stacks), Decimal(0)) for i in range(len(chart.days))]
        top = max(range(len(sums)), key=lambda i: sums[i])
        day = chart.days[top]
        parts.append(f"Highest {unit}: {day:%b} {day.day}, {fmt_usd(sums[top])}.")
    if chart.budget_pace is not None:
        parts.append(f"Dashed line: the monthly budget's pace, {fmt_usd(chart.budget_pace)} per {unit}.")
    else:
        parts.append("No budget is set.")
    return _fit(" ".join(parts))


def month_alt(chart: MonthChart) -> str:
    through = chart.first + timedelta(days=max(len(chart.cumulative) - 1, 0))
    parts = [f"Burn-up chart: {chart.title}."]
    parts.append(f"{fmt_usd(chart.month_to_date)} spent through {through:%b} {through.day}")
    if chart.projected_total is not None:
        parts[-1] += f", projected {fmt_usd(chart.projected_total)} at month end (dashed)"
    else:
        parts[-1] += ", no month-end projection yet"
    if chart.budget is not None and chart.budget > 0:
        used = chart.month_to_date * 100 / chart.budget
        parts[-1] += f"; budget {fmt_usd(chart.budget)}, {used:.0f}% used"
        if chart.projected_total is not None:
            verdict = "over" if chart.projected_total > chart.budget else "within"
            parts[-1] += f", projection {verdict} budget"
    else:
        parts[-1] += "; no budget is set"
    parts[-1] += "."
    return _fit(" ".join(parts))


def spike_alt(chart: SpikeChart) -> str:
    pct = "" if chart.change_pct is None else f", {'+' if chart.change_pct >= 0 else ''}{chart.change_pct:.0f}%"
    sign = "+" if chart.increase >= 0 else ""
    parts = [
        f"Bar chart: {chart.title}.",
        f"{fmt_usd(chart.previous)} → {fmt_usd(chart.current)} ({sign}{fmt_usd(chart.increase)}{pct}).",
        "Changes: "
        + "; ".join(f"{b.label} {'+' if b.change >= 0 else ''}{fmt_usd(b.change)}" for b in chart.bars)
        + ".",
    ]
    return _fit(" ".join(parts))
