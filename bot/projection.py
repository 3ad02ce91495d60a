"""The month-end projection: one rule for the `month` report, every report's budget line, `/aispend budget`
and the budget alerts, so they can never disagree.

A complete day is a day of this month before today whose data is final for every provider (fetched after it
ended, bot.freshness). The rate is chosen in this order, and the report says which:
1. "month": this month's complete days with spend: their spend / how many of them had spend (zero days before
   spend began would drag the rate down).
2. "previous_month": while this month has no complete day with spend (the 1st, or the 2nd before yesterday is
   final), the previous month's complete days with spend, the same way. A few minutes or hours of today are
   not a day's rate: at 00:00:05 on the 1st they are $0.
3. "partial": with no complete day this month or last, the spend of the hours this month's data covers (each
   unfinished day from midnight to its fetch, never past `now`) scaled to a day, once they are at least
   MIN_HOURS hours.
4. "none": no projection, and a note saying why.
projected = spend on the complete days + rate × the other days of the month (today, and any day not final yet,
are counted at the rate instead of their partial spend), and never less than the month to date. Amounts are
integer nano-dollars until the result.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from bot.freshness import ProviderFetches, Unfinished, unfinished_days
from bot.money import fmt_usd, nano_to_usd
from bot.periods import month_days

MONTH, PREVIOUS_MONTH, PARTIAL, NONE = "month", "previous_month", "partial", "none"
MIN_HOURS = 6
_DAY_SECONDS = 86_400

DayProvider = Mapping[tuple[date, str], int]


@dataclass(frozen=True, slots=True)
class MonthProjection:
    month_to_date: Decimal
    projected_total: Decimal | None  # None when there is nothing to project from (basis NONE)
    days_in_month: int
    burn_rate_per_day: Decimal | None
    basis_days: int  # the days the rate is the mean of (this month's or the previous month's); 0 otherwise
    basis: str = MONTH  # MONTH, PREVIOUS_MONTH, PARTIAL or NONE
    basis_hours: int = 0  # PARTIAL: the whole hours of data the rate is scaled from
    basis_month: date | None = None  # PREVIOUS_MONTH: the 1st of the month the rate comes from


def basis_text(m: MonthProjection) -> str:
    """How the rate was found, after 'at $X/day, ': 'from 12 days with spend', "from October's average..."."""
    if m.basis == PREVIOUS_MONTH and m.basis_month is not None:
        return f"from {m.basis_month:%B}'s average over {_days(m.basis_days)} with spend"
    if m.basis == PARTIAL:
        return f"from only {m.basis_hours} h of this month's data, scaled to a day"
    return f"from {_days(m.basis_days)} with spend"


def projection_text(m: MonthProjection, label: str = "projected month end") -> str:
    """'projected month end $3,300.00 (at $110.25/day, from 20 days with spend)', or that there is none yet."""
    if m.projected_total is None or m.burn_rate_per_day is None:
        return "no month-end projection yet"
    return f"{label} {fmt_usd(m.projected_total)} (at {fmt_usd(m.burn_rate_per_day)}/day, {basis_text(m)})"


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def previous_month(today: date) -> tuple[date, date]:
    """The first and last day of the month before `today`'s."""
    last = today.replace(day=1) - timedelta(days=1)
    return last.replace(day=1), last


def _by_day(daily: DayProvider) -> dict[date, int]:
    out: dict[date, int] = defaultdict(int)
    for (day, _), nano in daily.items():
        out[day] += nano
    return out


def _mean(total: int, days: int) -> int:
    return int((Decimal(total) / days).to_integral_value(ROUND_HALF_EVEN))


def project_month(
    month_daily: DayProvider,
    previous_daily: DayProvider,
    fetches: Mapping[str, ProviderFetches],
    *,
    today: date,
    now: datetime,
    configured: Collection[str] = (),
) -> tuple[MonthProjection, str | None]:
    """The projection for `today`'s month and, when it is not from this month's complete days, a note saying so.

    `month_daily` holds the month from the 1st through today, `previous_daily` the whole previous month and
    `fetches` (Store.fetches) covers both.
    """
    first = today.replace(day=1)
    prev_first, prev_last = previous_month(today)
    this_month, last_month = _by_day(month_daily), _by_day(previous_daily)
    unfinished = unfinished_days(fetches, prev_first, today, configured=configured)
    not_final = {u.day for u in unfinished}
    complete = [first + timedelta(days=i) for i in range(today.day - 1)]
    complete = [d for d in complete if d not in not_final]
    spent = sum(this_month.get(d, 0) for d in complete)
    mtd = sum(this_month.values())
    dim = month_days(today)

    def result(rate: int, basis: str, basis_days: int = 0, hours: int = 0) -> MonthProjection:
        projected = max(mtd, spent + rate * (dim - len(complete)))
        month = prev_first if basis == PREVIOUS_MONTH else None
        return MonthProjection(
            nano_to_usd(mtd), nano_to_usd(projected), dim, nano_to_usd(rate), basis_days, basis, hours, month
        )

    with_spend = sum(1 for d in complete if this_month.get(d, 0) != 0)
    if with_spend:
        return result(_mean(spent, with_spend), MONTH, with_spend), None
    previous = [prev_first + timedelta(days=i) for i in range(prev_last.day)]
    previous = [d for d in previous if d not in not_final and last_month.get(d, 0) != 0]
    if previous:
        rate = _mean(sum(last_month[d] for d in previous), len(previous))
        note = (
            f"The month-end projection uses {prev_first:%B}'s average of {_usd(rate)}/day over "
            f"{_days(len(previous))} with spend: this month has no complete day with spend yet."
        )
        return result(rate, PREVIOUS_MONTH, len(previous)), note
    partial = [u for u in unfinished if u.day >= first]
    seconds = _seconds_of_data(partial, now)
    partial_spend = mtd - spent
    hours = seconds // 3600
    if seconds >= MIN_HOURS * 3600 and partial_spend > 0:
        rate = _mean(partial_spend * _DAY_SECONDS, seconds)
        note = (
            f"The month-end projection is from only {hours} h of this month's data, scaled to a full day: "
            "there is no complete day with spend this month or last month to go by."
        )
        return result(rate, PARTIAL, hours=hours), note
    why = "no spend yet" if partial_spend == 0 else f"under {MIN_HOURS} h of data"
    note = (
        f"No month-end projection yet: this month has {why} and there is no complete day with spend last month "
        "to go by."
    )
    return MonthProjection(nano_to_usd(mtd), None, dim, None, 0, NONE), note


def _seconds_of_data(unfinished: list[Unfinished], now: datetime) -> int:
    """How much of the unfinished days the data covers: each from midnight to its earliest provider's fetch."""
    covered: dict[date, int] = {}
    for u in unfinished:
        start = datetime.combine(u.day, time(), UTC)
        at = start if u.fetched_at is None else min(u.fetched_at, now)
        seconds = min(max(int((at - start).total_seconds()), 0), _DAY_SECONDS)
        covered[u.day] = min(covered.get(u.day, _DAY_SECONDS), seconds)
    return sum(covered.values())


def _usd(nano: int) -> str:
    return fmt_usd(nano_to_usd(nano))
