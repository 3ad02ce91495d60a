"""`aispend budget --check`, the CI gate: is the month within its budget? Pure: a month Report in, (exit, line) out.

Exit 0 within the budget, 1 over it (month to date, or with `projected` the projected month end), 2 when it
cannot say: no budget is set, or some provider's data is more than a day stale. Stale means its latest
successful fetch is more than 24 hours old, or its data is not complete through the day before yesterday (a
day is complete once a sync fetched it after it ended, bot.freshness): either way month to date may be missing
spend, and a gate must not pass on data it does not have.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.money import fmt_usd
from bot.records import provider_name
from bot.report import Report

EXIT_WITHIN, EXIT_OVER, EXIT_UNKNOWN = 0, 1, 2
STALE_AFTER = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class GateResult:
    code: int
    line: str


def budget_gate(report: Report, *, providers: Sequence[str], projected: bool, now: datetime) -> GateResult:
    """The gate's verdict on a `month` report built with the budget in force, for `providers` (those whose data
    must be fresh: the configured ones, else every one with data)."""
    budget = report.budget
    spent = f"month to date {fmt_usd(report.month.month_to_date)}" if report.month is not None else "month to date"
    if budget is None:
        return GateResult(
            EXIT_UNKNOWN,
            f"NO BUDGET: {spent} and no monthly budget is set: set AISPEND_MONTHLY_BUDGET_USD, or "
            "`/aispend budget set <usd>` in Slack.",
        )
    stale = _stale(report, providers, now)
    if stale:
        return GateResult(
            EXIT_UNKNOWN, f"STALE: {'; '.join(stale)}, so {spent} may miss spend: run `aispend sync`, then check again."
        )
    limit = fmt_usd(budget.monthly_budget)
    mtd = f"month to date {fmt_usd(budget.month_to_date)} ({budget.pct_used.normalize():f} %)"
    if projected:
        if budget.projected_total is None or budget.projected_pct is None:
            return GateResult(
                EXIT_UNKNOWN, f"NO PROJECTION: there is no spend this month to project from yet; {mtd} of {limit}."
            )
        figures = f"projected month end {fmt_usd(budget.projected_total)} ({budget.projected_pct.normalize():f} %)"
        if budget.projected_total > budget.monthly_budget:
            return GateResult(EXIT_OVER, f"OVER BUDGET (projected): {figures} of the {limit} budget; {mtd}.")
        return GateResult(EXIT_WITHIN, f"WITHIN BUDGET (projected): {figures} of the {limit} budget; {mtd}.")
    if budget.month_to_date > budget.monthly_budget:
        return GateResult(EXIT_OVER, f"OVER BUDGET: {mtd} of the {limit} monthly budget.")
    return GateResult(EXIT_WITHIN, f"WITHIN BUDGET: {mtd} of the {limit} monthly budget.")


def _stale(report: Report, providers: Sequence[str], now: datetime) -> list[str]:
    today = now.date()
    fresh = {f.provider: f for f in report.freshness}
    out = []
    for provider in providers:
        name = provider_name(provider)
        line = fresh.get(provider)
        if line is None or line.fetched_at is None:
            out.append(f"{name} has no synced data")
            continue
        if now - line.fetched_at > STALE_AFTER:
            out.append(f"{name} was last synced at {line.fetched_at:%Y-%m-%d %H:%M} UTC, more than a day ago")
        elif line.complete_through is None or line.complete_through < today - timedelta(days=2):
            through = line.complete_through.isoformat() if line.complete_through else "no day yet"
            out.append(f"{name}'s data is complete through {through}, more than a day behind")
    return out
