"""The budget rule (contract §5): month to date against the thresholds, and a projected month end above budget."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import ClassVar

from bot.alerts.rules import BUDGET, BUDGET_THRESHOLDS, PROJECTED, share_pct
from bot.money import usd_to_nano
from bot.periods import month_days
from bot.projection import MONTH, MonthProjection


@dataclass(frozen=True, slots=True)
class BudgetAlert:
    kind: ClassVar[str] = BUDGET
    period: str  # "2026-11"
    threshold: str  # "50", "80", "100" or PROJECTED

    @property
    def scope(self) -> str:
        return f"budget:{self.threshold}"

    @property
    def identity(self) -> tuple[str, str, str]:
        return (self.kind, self.scope, self.period)

    @property
    def mute_scope(self) -> str:
        # a snooze mutes every budget warning: they are one concern
        return BUDGET


@dataclass(frozen=True, slots=True)
class BudgetReport:
    month: str  # "2026-11"
    today: date
    budget: int  # nano
    month_to_date: int
    projected: int  # at this pace, by month_end
    rate: int  # nano per day: the month's burn rate the projection uses
    month_end: date
    reach_day: date | None  # the day the budget is reached at this pace, if within the month and not yet reached
    alerts: tuple[BudgetAlert, ...]  # thresholds crossed, lowest first, PROJECTED last

    @property
    def pct_used(self) -> int:
        return share_pct(self.month_to_date, self.budget)

    def only(self, alerts: Iterable[BudgetAlert]) -> BudgetReport:
        return replace(self, alerts=tuple(alerts))


def evaluate_budget(projection: MonthProjection, budget_usd: Decimal | None, today: date) -> BudgetReport | None:
    """Thresholds crossed this month; None when no budget is set or there is no projection yet to say the pace."""
    no_pace = projection.projected_total is None or projection.burn_rate_per_day is None
    if budget_usd is None or budget_usd <= 0 or no_pace:
        return None
    assert projection.projected_total is not None and projection.burn_rate_per_day is not None
    budget = usd_to_nano(budget_usd)
    mtd = usd_to_nano(projection.month_to_date)
    projected = usd_to_nano(projection.projected_total)
    rate = usd_to_nano(projection.burn_rate_per_day)
    month = f"{today.year:04d}-{today.month:02d}"
    month_end = today.replace(day=month_days(today))
    alerts = [BudgetAlert(month, str(t)) for t in BUDGET_THRESHOLDS if mtd * 100 >= t * budget]
    if projected > budget and projection.basis == MONTH:
        alerts.append(BudgetAlert(month, PROJECTED))
    reach = None
    if mtd < budget and rate > 0:
        # today is partial, so the remaining money is spent from today on at the daily rate
        days = -(-(budget - mtd) // rate)
        day = today + timedelta(days=days - 1)
        reach = day if day <= month_end else None
    return BudgetReport(month, today, budget, mtd, projected, rate, month_end, reach, tuple(alerts))
