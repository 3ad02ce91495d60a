"""The text summary of a report (CLI output and the Slack reply) and its reusable pieces."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from bot.periods import parse_period
from bot.projection import NONE, PARTIAL, PREVIOUS_MONTH
from bot.records import TokenTotals
from bot.render_text import ago, bar, change_text, compare_label, fmt_count, period_title, render_text, sparkline
from bot.report import (
    BudgetStatus,
    DayLine,
    ModelLine,
    MonthProjection,
    ProviderLine,
    Report,
    WorkspaceLine,
)

D = date
TODAY = D(2026, 11, 21)
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
WEEK = parse_period("week", TODAY)


def day(d: int, anthropic: str, openai: str) -> DayLine:
    a, o = Decimal(anthropic), Decimal(openai)
    return DayLine(D(2026, 11, d), a + o, {"anthropic": a, "openai": o})


def week_report() -> Report:
    return Report(
        period=WEEK,
        previous_total=Decimal("812.40"),
        total=Decimal("1093.17"),
        change_pct=Decimal("34.56"),
        providers=[
            ProviderLine("anthropic", Decimal("700.02"), "ok", "2026-11-21T09:48:00Z"),
            ProviderLine("openai", Decimal("393.15"), "error", "2026-11-21T07:00:00Z", "HTTP 500 from OpenAI"),
        ],
        models=[
            ModelLine("anthropic", "claude-opus-4-8", Decimal("420.5")),
            ModelLine("openai", "gpt-5", Decimal("300")),
            ModelLine("anthropic", "claude-sonnet-4-6", Decimal("250.02")),
            ModelLine("openai", "gpt-5-mini", Decimal("90")),
            ModelLine("anthropic", "", Decimal("29.5")),
            ModelLine("openai", "", Decimal("2.15")),
            ModelLine("openai", "o4-mini", Decimal("1")),
        ],
        workspaces=[
            WorkspaceLine("openai", "proj_1", "web-app", False, Decimal("393.15")),
            WorkspaceLine("anthropic", "wrkspc_01", "batch-jobs", False, Decimal("390")),
            WorkspaceLine("anthropic", None, "Default", False, Decimal("300.02")),
            WorkspaceLine("anthropic", "wrkspc_02", "old-eval", True, Decimal("10")),
        ],
        daily=[
            day(14, "90.1", "50.1"),
            day(15, "0", "0"),
            day(16, "100", "60"),
            day(17, "120", "70"),
            day(18, "150", "80"),
            day(19, "110", "70"),
            day(20, "129.92", "62.95"),
        ],
        tokens=TokenTotals(input=123_456_789, output=2_345_678, cache_read=100_000_000, cache_write=1_000_000),
        cache_hit_ratio=Decimal("0.81"),
        notes=[
            "OpenAI: the last sync failed (HTTP 500 from OpenAI); figures may be stale.",
            "Priority Tier usage on 2026-11-18 is not included in Anthropic's cost report.",
        ],
        month=None,
        budget=BudgetStatus(Decimal(5000), Decimal("2260.5"), Decimal("45.21"), Decimal("4900"), Decimal("98.00")),
        generated_at=NOW,
    )


GOLDEN = """\
AI spend, last 7 days: 2026-11-14 to 2026-11-20 (UTC)
Total: $1,093.17  ▲ 34.6% vs the previous 7 days: $812.40

Providers
  Anthropic  $700.02  synced 12 min ago
  OpenAI     $393.15  ⚠ HTTP 500 from OpenAI; last good sync 3 h ago

Top models
  claude-opus-4-8 · Anthropic                     $420.50  ██████████
  gpt-5 · OpenAI                                  $300.00  ███████▏
  claude-sonnet-4-6 · Anthropic                   $250.02  ██████
  gpt-5-mini · OpenAI                              $90.00  ██▏
  other (web search, tools, storage) · Anthropic   $29.50  ▊
  … 2 more                                          $3.15

Top workspaces and projects
  web-app · OpenAI                 $393.15  ██████████
  batch-jobs · Anthropic           $390.00  █████████▉
  Default · Anthropic              $300.02  ███████▋
  old-eval · Anthropic · archived   $10.00  ▎

Daily: ▅▁▆▇█▆▇  low $0.00 on 2026-11-15, high $230.00 on 2026-11-18

Tokens: 123.5M input (100.0M cache reads, 1.0M cache writes), 2.3M output; cache hit ratio 81.0%
Budget: $2,260.50 of $5,000.00 used this month (45.2%); projected $4,900.00 (98.0%)

Notes
  • OpenAI: the last sync failed (HTTP 500 from OpenAI); figures may be stale.
  • Priority Tier usage on 2026-11-18 is not included in Anthropic's cost report."""


def test_golden_week_summary() -> None:
    assert render_text(week_report(), NOW) == GOLDEN


def test_month_today_and_unconfigured_provider() -> None:
    month = parse_period("month", TODAY)
    report = dataclasses.replace(
        week_report(),
        period=month,
        providers=[
            ProviderLine("anthropic", Decimal("700.02"), "ok", None),
            ProviderLine("openai", Decimal(0), "not_configured", None),
        ],
        models=[],
        workspaces=[],
        daily=[day(1, "5", "0")],
        tokens=TokenTotals(),
        cache_hit_ratio=None,
        notes=[],
        month=MonthProjection(Decimal("2260.5"), Decimal("3300"), 30, Decimal("110.25"), 20),
        budget=BudgetStatus(Decimal(2000), Decimal("2260.5"), Decimal("113.03"), Decimal("3300"), Decimal("165.00")),
    )
    assert render_text(report, NOW).splitlines() == [
        "AI spend, November 2026 to date: 2026-11-01 to 2026-11-21 (UTC, today so far)",
        "Total: $1,093.17  ▲ 34.6% vs the same days of October: $812.40",
        "",
        "Providers",
        "  Anthropic  $700.02  never synced",
        "  OpenAI       $0.00  not configured: set OPENAI_ADMIN_KEY",
        "",
        "Tokens: 0 input (0 cache reads, 0 cache writes), 0 output; cache hit ratio n/a",
        "Month to date: $2,260.50; projected month end $3,300.00 (at $110.25/day, from 20 days with spend)",
        "Budget: $2,260.50 of $2,000.00 used this month (113.0%); projected $3,300.00 (165.0%) (over budget)",
    ]
    early = dataclasses.replace(report, month=MonthProjection(Decimal(5), Decimal(150), 30, Decimal(5), 0, PARTIAL, 8))
    assert "projected month end $150.00 (at $5.00/day, from only 8 h of this month's data, scaled to a day)" in (
        render_text(early, NOW)
    )
    last_month = MonthProjection(Decimal(5), Decimal(150), 30, Decimal(5), 31, PREVIOUS_MONTH, 0, D(2026, 10, 1))
    assert "projected month end $150.00 (at $5.00/day, from October's average over 31 days with spend)" in (
        render_text(dataclasses.replace(report, month=last_month), NOW)
    )
    none = dataclasses.replace(
        report,
        month=MonthProjection(Decimal(5), None, 30, None, 0, NONE),
        budget=BudgetStatus(Decimal(2000), Decimal(5), Decimal("0.25"), None, None),
    )
    assert render_text(none, NOW).splitlines()[-2:] == [
        "Month to date: $5.00; no month-end projection yet",
        "Budget: $5.00 of $2,000.00 used this month (0.2%); no projection yet",
    ]
    heading = dataclasses.replace(
        report, budget=BudgetStatus(Decimal(3000), Decimal("2260.5"), Decimal("75.35"), Decimal(3300), Decimal(110))
    )
    assert render_text(heading, NOW).splitlines()[-1] == (
        "Budget: $2,260.50 of $3,000.00 used this month (75.4%); projected $3,300.00 (110.0%) (on track to go over)"
    )


def test_today_compares_with_yesterdays_whole_day_and_new_spend() -> None:
    report = dataclasses.replace(
        week_report(), period=parse_period("today", TODAY), previous_total=Decimal(0), change_pct=None
    )
    lines = render_text(report, NOW).splitlines()
    assert lines[:2] == [
        "AI spend today, 2026-11-21 (UTC, so far)",
        "Total: $1,093.17  new vs yesterday's whole day: $0.00",
    ]


def test_sparkline() -> None:
    assert sparkline([]) == ""
    assert sparkline([Decimal(n) for n in (0, 1, 2, 3, 4, 5, 6, 7)]) == "▁▂▃▄▅▆▇█"
    assert sparkline([Decimal(0)] * 3) == "▁▁▁"
    assert sparkline([Decimal(4)] * 3) == "▄▄▄"
    assert sparkline([Decimal("0.01"), Decimal(1000)]) == "▁█"


def test_bar() -> None:
    assert bar(Decimal(10), Decimal(10)) == "██████████"
    assert bar(Decimal(5), Decimal(10)) == "█████"
    assert bar(Decimal("5.5"), Decimal(10), width=4) == "██▎"  # 17.6 eighths -> 18 = 2 full + 2/8
    assert bar(Decimal("0.001"), Decimal(10)) == "▏"  # anything spent shows
    assert bar(Decimal(20), Decimal(10)) == "██████████"  # clipped
    assert bar(Decimal(0), Decimal(10)) == ""
    assert bar(Decimal(-3), Decimal(10)) == ""
    assert bar(Decimal(1), Decimal(0)) == ""


@pytest.mark.parametrize(
    ("ts", "expected"),
    [
        (None, "never"),
        ("2026-11-21T09:59:30Z", "just now"),
        ("2026-11-21T10:00:30Z", "just now"),  # a clock ahead of ours
        ("2026-11-21T09:48:00Z", "12 min ago"),
        ("2026-11-21T07:00:00Z", "3 h ago"),
        ("2026-11-20T09:00:00Z", "1 day ago"),
        ("2026-11-11T10:00:00Z", "10 days ago"),
        (datetime(2026, 11, 21, 9, 0), "1 h ago"),  # naive is UTC
    ],
)
def test_ago(ts: str | datetime | None, expected: str) -> None:
    assert ago(ts, NOW) == expected


@pytest.mark.parametrize(
    ("pct", "previous", "current", "expected"),
    [
        (Decimal("34.56"), Decimal(1), None, "▲ 34.6%"),
        (Decimal("-12"), Decimal(1), None, "▼ 12.0%"),
        (Decimal("0.00"), Decimal(1), None, "no change"),
        (None, Decimal(0), Decimal(5), "new"),
        (None, Decimal(0), None, "new"),
        (None, Decimal(0), Decimal(0), "no change"),
    ],
)
def test_change_text(pct: Decimal | None, previous: Decimal, current: Decimal | None, expected: str) -> None:
    assert change_text(pct, previous, current) == expected


@pytest.mark.parametrize(
    ("word", "title", "compared"),
    [
        ("today", "AI spend today, 2026-11-21 (UTC, so far)", "yesterday's whole day"),
        ("yesterday", "AI spend yesterday, 2026-11-20 (UTC)", "the day before"),
        ("week", "AI spend, last 7 days: 2026-11-14 to 2026-11-20 (UTC)", "the previous 7 days"),
        ("1d", "AI spend, last 1 day: 2026-11-20 to 2026-11-20 (UTC)", "the previous day"),
        ("30d", "AI spend, last 30 days: 2026-10-22 to 2026-11-20 (UTC)", "the previous 30 days"),
        (
            "month",
            "AI spend, November 2026 to date: 2026-11-01 to 2026-11-21 (UTC, today so far)",
            "the same days of October",
        ),
    ],
)
def test_period_title_and_compare_label(word: str, title: str, compared: str) -> None:
    period = parse_period(word, TODAY)
    assert (period_title(period), compare_label(period)) == (title, compared)


def test_fmt_count() -> None:
    assert [fmt_count(n) for n in (0, 999, 1_000, 12_345, 4_560_000, 1_234_567_890)] == [
        "0",
        "999",
        "1.0K",
        "12.3K",
        "4.6M",
        "1.2B",
    ]
