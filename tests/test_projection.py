"""The month-end projection (issue 10 §4.2) at the edges of a month, on a real SQLite store.

Spend is written the way a sync writes it, with the moment of the fetch, so each day is final or not exactly as
in production. One rule serves the `month` report, every report's budget line, `/aispend budget` and the budget
alerts; the last test checks they agree.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.alerts.service import budget_report, run_alerts
from bot.money import usd_to_nano
from bot.periods import parse_period
from bot.projection import NONE, PARTIAL, PREVIOUS_MONTH, MonthProjection
from bot.records import CostRecord, ProviderData
from bot.report import Report, load_report
from bot.slack.blocks import budget_message
from bot.store import Store
from tests.alert_support import alert_settings

ONE = timedelta(days=1)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "aispend.db") as opened:
        yield opened


def fetch(store: Store, at: datetime, daily: dict[date, str]) -> None:
    """One successful Anthropic sync at `at` of the days in `daily` (a contiguous window) with those dollars."""
    start, end = min(daily), max(daily) + ONE
    costs = [
        CostRecord("anthropic", d, "", "claude-opus-4-8", "tokens", "", usd_to_nano(Decimal(v)))
        for d, v in daily.items()
    ]
    data = ProviderData("anthropic", start, end, costs=[c for c in costs if c.amount_nano])
    sync_id = store.begin_sync("anthropic", at, (start, end))
    store.finish_sync(sync_id, at, "ok", None, store.replace_provider_data(data, at))


def days(first: date, last: date, usd: str) -> dict[date, str]:
    return {first + i * ONE: usd for i in range((last - first).days + 1)}


def month(store: Store, now: datetime, budget: Decimal | None = None) -> Report:
    return load_report(store, parse_period("month", now.date()), now=now, configured=["anthropic"], budget_usd=budget)


def test_at_00_00_05_on_new_years_day_the_projection_is_decembers_rate_not_five_seconds_of_spend(
    store: Store,
) -> None:
    now = datetime(2027, 1, 1, 0, 0, 5, tzinfo=UTC)
    # $200 every day of December, fetched once December had ended; nothing yet for Jan 1
    fetch(store, now, days(date(2026, 12, 1), date(2026, 12, 31), "200") | {date(2027, 1, 1): "0"})
    report = month(store, now)
    assert report.month == MonthProjection(
        Decimal(0), Decimal(6200), 31, Decimal(200), 31, PREVIOUS_MONTH, 0, date(2026, 12, 1)
    )
    assert report.notes[-1] == (
        "The month-end projection uses December's average of $200.00/day over 31 days with spend: this month has "
        "no complete day with spend yet."
    )
    # ten minutes later, $5.52 so far is still no day's rate (it would project $171.12)
    later = now + timedelta(minutes=10)
    fetch(store, later, {date(2026, 12, 31): "200", date(2027, 1, 1): "5.52"})
    assert month(store, later).month == MonthProjection(
        Decimal("5.52"), Decimal(6200), 31, Decimal(200), 31, PREVIOUS_MONTH, 0, date(2026, 12, 1)
    )


def test_the_first_at_06_00_without_a_previous_month_scales_the_hours_of_data_and_says_so(store: Store) -> None:
    first = date(2027, 1, 1)
    too_early = datetime(2027, 1, 1, 5, 59, tzinfo=UTC)
    fetch(store, too_early, {first: "59"})
    report = month(store, too_early, budget=Decimal(5000))
    assert report.month == MonthProjection(Decimal(59), None, 31, None, 0, NONE)
    assert report.budget is not None and (report.budget.projected_total, report.budget.projected_pct) == (None, None)
    assert report.notes[-1] == (
        "No month-end projection yet: this month has under 6 h of data and there is no complete day with spend last "
        "month to go by."
    )
    # the budget alerts have no pace to speak of yet, and say so rather than warn from nothing
    conf = alert_settings(monthly_budget_usd=Decimal(5000))
    dry = run_alerts(store, None, settings=conf, today=first, now=too_early, dry_run=True)
    assert (dry.found, dry.notes) == (
        (),
        (
            "Budget alerts for January wait for a month-end projection: none can be made yet "
            "(`aispend report month` says why).",
        ),
    )
    six = datetime(2027, 1, 1, 6, 0, tzinfo=UTC)
    fetch(store, six, {first: "60"})
    # $60 in 6 h is $240 a day; today is counted at that rate too
    assert month(store, six).month == MonthProjection(Decimal(60), Decimal(7440), 31, Decimal(240), 0, PARTIAL, 6)
    assert month(store, six).notes[-1] == (
        "The month-end projection is from only 6 h of this month's data, scaled to a full day: there is no complete "
        "day with spend this month or last month to go by."
    )


def test_the_first_at_06_00_with_a_previous_month_uses_its_rate(store: Store) -> None:
    six = datetime(2027, 1, 1, 6, 0, tzinfo=UTC)
    fetch(store, six, days(date(2026, 12, 1), date(2026, 12, 31), "150") | {date(2027, 1, 1): "60"})
    assert month(store, six).month == MonthProjection(
        Decimal(60), Decimal(4650), 31, Decimal(150), 31, PREVIOUS_MONTH, 0, date(2026, 12, 1)
    )


def test_on_a_leap_day_and_the_day_after_the_month_has_29_days(store: Store) -> None:
    noon = datetime(2028, 2, 29, 12, 0, tzinfo=UTC)
    fetch(store, noon, days(date(2028, 1, 1), date(2028, 2, 28), "100") | {date(2028, 2, 29): "30"})
    # 28 complete days at $100, and Feb 29 at the rate: $2,900
    assert month(store, noon).month == MonthProjection(Decimal(2830), Decimal(2900), 29, Decimal(100), 28)
    march = datetime(2028, 3, 1, 0, 0, 5, tzinfo=UTC)
    fetch(store, march, {date(2028, 2, 29): "100", date(2028, 3, 1): "0"})
    assert month(store, march).month == MonthProjection(
        Decimal(0), Decimal(3100), 31, Decimal(100), 29, PREVIOUS_MONTH, 0, date(2028, 2, 1)
    )


def test_mid_month_a_day_fetched_before_it_ended_is_left_out_of_the_rate(store: Store) -> None:
    now = datetime(2026, 11, 15, 0, 20, tzinfo=UTC)
    fetch(
        store,
        datetime(2026, 11, 14, 23, 10, tzinfo=UTC),
        days(date(2026, 10, 1), date(2026, 11, 13), "100") | {date(2026, 11, 14): "95"},
    )
    report = month(store, now)
    # 13 complete days at $100; Nov 14 (23 h 10 min of it) and the 16 days after it are counted at the rate
    assert report.month == MonthProjection(Decimal(1395), Decimal(3000), 30, Decimal(100), 13)
    assert "2026-11-14 is not final: last fetched by Anthropic at 23:10 UTC, before the day ended; the next sync " in (
        " ".join(report.notes)
    )


def test_the_report_the_budget_command_and_the_budget_alert_project_alike(store: Store) -> None:
    now = datetime(2027, 1, 1, 0, 10, tzinfo=UTC)
    fetch(store, now, days(date(2026, 12, 1), date(2026, 12, 31), "200") | {date(2027, 1, 1): "5.52"})
    conf = alert_settings(monthly_budget_usd=Decimal(5000))
    week = load_report(store, parse_period("week", now.date()), now=now, configured=[], budget_usd=Decimal(5000))
    assert week.budget is not None and week.budget.projected_total == Decimal(6200)
    assert "projected $6,200.00 (124.0%)" in budget_message(month(store, now, Decimal(5000)), now, None).text
    alert = budget_report(store, conf, now.date(), now)
    assert alert is not None and (alert.projected, alert.rate) == (
        usd_to_nano(Decimal(6200)),
        usd_to_nano(Decimal(200)),
    )
    # a projection from last month's rate does not warn: the warning waits for this month's first complete day
    assert alert.alerts == ()
    assert run_alerts(store, None, settings=conf, today=now.date(), now=now, dry_run=True).found == ()

    jan2 = datetime(2027, 1, 2, 1, 0, tzinfo=UTC)
    fetch(store, jan2, {date(2027, 1, 1): "250", date(2027, 1, 2): "10"})
    alert = budget_report(store, conf, jan2.date(), jan2)
    assert alert is not None and alert.projected == usd_to_nano(Decimal(7750))
    found_now = run_alerts(store, None, settings=conf, today=jan2.date(), now=jan2, dry_run=True).found
    # Jan 1's $250 after a month of $200 days is also an unusual day (the daily rule); the budget warning is ours
    [found] = [f for f in found_now if f.kind == "budget"]
    assert found.scopes == ("budget:projected",)
