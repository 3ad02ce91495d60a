"""Provider spend caps against this month's spend: month to date, the forecast, and the day the cap is reached.

Each monthly cap is forecast with bot.projection's rule on its own scope's spend (the organization's total for an
organization cap, the workspace's/project's for a workspace cap), so a cap, the `month` report and the budget
never project differently. A cap not yet reached is reached, at that daily rate, on the first day the month to
date plus the rate for each day from today on covers it (today is partial, so it counts at the rate); a cap
already reached was reached on the first day its running total covered it. Caps on other periods (Anthropic's
weekly or daily limits) are shown, not forecast. Amounts are integer nano-dollars until shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from bot.freshness import ProviderFetches
from bot.money import nano_to_usd, usd_to_nano
from bot.periods import month_days
from bot.projection import MONTH, previous_month, project_month
from bot.records import MONTHLY, ORG_SCOPE, Label, SpendCap

ORG_NAME = "organization"


class CapStore(Protocol):
    def spend_caps(self) -> list[SpendCap]: ...
    def spend_cap_notes(self) -> dict[str, str]: ...
    def daily_totals(self, start: date, end: date) -> dict[tuple[date, str], int]: ...
    def workspace_daily(self, provider: str, workspace_id: str, start: date, end: date) -> dict[date, int]: ...
    def fetches(self, start: date, end: date) -> dict[str, ProviderFetches]: ...
    def labels(self) -> dict[tuple[str, str], Label]: ...


@dataclass(frozen=True, slots=True)
class CapForecast:
    cap: SpendCap
    name: str  # "organization", or the workspace's/project's name as the provider gives it (escape to show)
    month_to_date: int  # nano, this month through today (today partial)
    rate: int | None  # nano per day the forecast uses; None: no forecast (not monthly, or nothing to project from)
    basis: str  # bot.projection's basis of the rate
    forecast_hit: date | None  # the day the cap is (or was) reached this month; None: not within the month

    @property
    def reached(self) -> bool:
        return self.month_to_date >= self.cap.limit_nano


def reach_day(month_daily: Mapping[date, int], limit: int, rate: int | None, today: date) -> date | None:
    """The day this month's spend reaches `limit`: already (the first day its running total covers it) or at
    `rate` per day from today on; None when it is not reached by the month's last day."""
    mtd = sum(month_daily.values())
    if mtd >= limit:
        running = 0
        for day in sorted(month_daily):
            running += month_daily[day]
            if running >= limit:
                return day
    if rate is None or rate <= 0:
        return None
    days = -(-(limit - mtd) // rate)  # ceiling: the day whose spend covers the rest
    day = today + timedelta(days=days - 1)
    return day if day <= today.replace(day=month_days(today)) else None


def forecast_caps(store: CapStore, *, today: date, now: datetime) -> list[CapForecast]:
    """Every stored cap with this month's spend of its scope and its forecast, organization caps first."""
    caps = store.spend_caps()
    if not caps:
        return []
    first = today.replace(day=1)
    prev_first, prev_last = previous_month(today)
    month, previous = store.daily_totals(first, today), store.daily_totals(prev_first, prev_last)
    fetches = store.fetches(prev_first, today)
    labels = store.labels()
    out = []
    for cap in caps:
        p = cap.provider
        if cap.scope == ORG_SCOPE:
            this = {d: n for (d, q), n in month.items() if q == p}
            last = {d: n for (d, q), n in previous.items() if q == p}
            name = ORG_NAME
        else:
            this = store.workspace_daily(p, cap.scope_id, first, today)
            last = store.workspace_daily(p, cap.scope_id, prev_first, prev_last)
            label = labels.get((p, cap.scope_id))
            name = label.name if label is not None else cap.scope_id
        out.append(_forecast(cap, name, this, last, {k: v for k, v in fetches.items() if k == p}, today, now))
    return sorted(out, key=lambda f: (f.cap.scope != ORG_SCOPE, f.cap.provider, f.name, f.cap.period))


def _forecast(
    cap: SpendCap,
    name: str,
    this: Mapping[date, int],
    last: Mapping[date, int],
    fetches: Mapping[str, ProviderFetches],
    today: date,
    now: datetime,
) -> CapForecast:
    mtd = sum(this.values())
    if cap.period != MONTHLY:
        return CapForecast(cap, name, mtd, None, "none", None)
    p = cap.provider
    projection, _ = project_month(
        {(d, p): n for d, n in this.items()},
        {(d, p): n for d, n in last.items()},
        fetches,
        today=today,
        now=now,
        configured=[p],
    )
    rate = None if projection.burn_rate_per_day is None else usd_to_nano(projection.burn_rate_per_day)
    return CapForecast(cap, name, mtd, rate, projection.basis, reach_day(this, cap.limit_nano, rate, today))


def alerting(forecasts: Sequence[CapForecast]) -> list[CapForecast]:
    """The caps worth an alert: enforced monthly caps reached already, or reached before month end at this
    month's own rate (never from last month's rate or a few hours of data, as the budget's projected warning)."""
    return [f for f in forecasts if f.cap.enforced and f.forecast_hit is not None and (f.reached or f.basis == MONTH)]


def caps_json(forecasts: Sequence[CapForecast]) -> list[dict[str, object]]:
    """Contract §4 `caps`: money as exact Decimals, `forecast_hit` an ISO date or None."""
    return [
        {
            "provider": f.cap.provider,
            "scope": f.cap.scope,
            "id": f.cap.scope_id or None,
            "name": f.name,
            "limit_usd": nano_to_usd(f.cap.limit_nano),
            "period": f.cap.period,
            "enforced": f.cap.enforced,
            "month_to_date_usd": nano_to_usd(f.month_to_date),
            "forecast_hit": f.forecast_hit.isoformat() if f.forecast_hit else None,
        }
        for f in forecasts
    ]
