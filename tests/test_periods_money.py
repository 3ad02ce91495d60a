"""Periods per contract §2 and exact money helpers."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from bot.errors import UsageError
from bot.money import AmountError, cents_to_nano, fmt_usd, nano_to_usd, parse_decimal, pct_change, usd_to_nano
from bot.periods import Period, parse_period

TODAY = date(2026, 11, 21)


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        (
            "today",
            Period("today", date(2026, 11, 21), date(2026, 11, 21), date(2026, 11, 20), date(2026, 11, 20), True),
        ),
        (
            "yesterday",
            Period("yesterday", date(2026, 11, 20), date(2026, 11, 20), date(2026, 11, 19), date(2026, 11, 19), False),
        ),
        (None, Period("week", date(2026, 11, 14), date(2026, 11, 20), date(2026, 11, 7), date(2026, 11, 13), False)),
        ("WEEK", Period("week", date(2026, 11, 14), date(2026, 11, 20), date(2026, 11, 7), date(2026, 11, 13), False)),
        ("30d", Period("30d", date(2026, 10, 22), date(2026, 11, 20), date(2026, 9, 22), date(2026, 10, 21), False)),
        ("month", Period("month", date(2026, 11, 1), date(2026, 11, 21), date(2026, 10, 1), date(2026, 10, 21), True)),
    ],
)
def test_periods(word: str | None, expected: Period) -> None:
    assert parse_period(word, TODAY) == expected


@pytest.mark.dates
@pytest.mark.parametrize("word", ["yesterday", "week", "1d", "30d", "400d"])
def test_trailing_periods_are_whole_days_before_today_then_as_many_before(word: str, today: date) -> None:
    period = parse_period(word, today)
    n = {"yesterday": 1, "week": 7}.get(word) or int(word[:-1])
    assert (period.end, period.days, period.includes_partial_today) == (today - timedelta(days=1), n, False)
    assert period.dates() == [today - timedelta(days=n - i) for i in range(n)]
    assert (period.prev_end, period.prev_start) == (period.start - timedelta(days=1), period.start - timedelta(days=n))


@pytest.mark.dates
def test_today_and_month_around_the_suite_clock(today: date) -> None:
    assert parse_period("today", today) == Period(
        "today", today, today, today - timedelta(days=1), today - timedelta(days=1), True
    )
    month = parse_period("month", today)
    assert (month.start, month.end, month.includes_partial_today) == (date(today.year, today.month, 1), today, True)
    # the month before, from its 1st through the same day of the month, clipped to its last day
    previous = (date(today.year, today.month, 1) - timedelta(days=1)).replace(day=1)
    last = (previous + timedelta(days=31)).replace(day=1) - timedelta(days=1)
    assert (month.prev_start, month.prev_end) == (previous, previous.replace(day=min(today.day, last.day)))
    assert month.prev_end.month == previous.month and month.prev_start.day == 1


def test_month_compares_with_clipped_previous_month() -> None:
    period = parse_period("month", date(2026, 3, 31))
    assert (period.prev_start, period.prev_end) == (date(2026, 2, 1), date(2026, 2, 28))


def test_nd_bounds() -> None:
    assert parse_period("400d", TODAY).days == 400
    assert parse_period("1d", TODAY).days == 1
    with pytest.raises(UsageError, match="between 1d and 400d"):
        parse_period("401d", TODAY)
    with pytest.raises(UsageError, match="between 1d and 400d"):
        parse_period("0d", TODAY)
    with pytest.raises(UsageError, match="use today, yesterday, week, month or Nd"):
        parse_period("fortnight", TODAY)


def test_money_is_exact() -> None:
    assert parse_decimal("12.50") == Decimal("12.50")
    assert parse_decimal(0.21870350744715547) == Decimal("0.21870350744715547")
    assert usd_to_nano(Decimal("0.1")) + usd_to_nano(Decimal("0.2")) == usd_to_nano(Decimal("0.3"))
    assert cents_to_nano(Decimal("123.78912")) == 1_237_891_200
    assert nano_to_usd(1_237_891_200) == Decimal("1.2378912")
    assert nano_to_usd(0) == Decimal(0)
    assert fmt_usd(Decimal("1093.165")) == "$1,093.16"  # half-even, display only
    assert fmt_usd(Decimal("-3.2")) == "-$3.20"


@pytest.mark.parametrize("bad", ["NaN", "Infinity", "-inf", "abc", None, True, float("nan"), float("inf"), [1]])
def test_bad_amounts_are_errors(bad: object) -> None:
    with pytest.raises(AmountError):
        parse_decimal(bad)


def test_pct_change() -> None:
    assert pct_change(Decimal("1093.17"), Decimal("812.40")) == Decimal("34.56")
    assert pct_change(Decimal(5), Decimal(0)) is None
