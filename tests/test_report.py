"""The report builder (pure, on hand-built inputs), its contract §4 JSON, and the loader against a real Store."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.freshness import ProviderFetches
from bot.periods import parse_period
from bot.records import CostRecord, Label, ProviderData, SyncState, TokenTotals, UsageRecord
from bot.report import (
    BudgetStatus,
    DayLine,
    ModelLine,
    MonthProjection,
    ProviderLine,
    ReportInputs,
    WorkspaceLine,
    build_report,
    load_report,
)
from bot.report_json import dumps_json, dumps_report, report_to_json
from bot.store import Store

D = date
TODAY = D(2026, 11, 21)
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
WEEK = parse_period("week", TODAY)  # 2026-11-14 .. 2026-11-20, previous 2026-11-07 .. 2026-11-13
USD = 1_000_000_000  # nano-dollars per dollar


def ok_state(provider: str, at: str) -> SyncState:
    return SyncState(provider, "ok", at, at, None, at, 10)


def week_inputs() -> ReportInputs:
    return ReportInputs(
        daily={
            (D(2026, 11, 14), "anthropic"): 100_000_000,
            (D(2026, 11, 14), "openai"): 200_000_000,
            (D(2026, 11, 16), "anthropic"): 5 * USD,
            (D(2026, 11, 20), "openai"): 1_234_567_890,
        },
        previous_daily={(D(2026, 11, 10), "anthropic"): 4 * USD},
        month_daily={(D(2026, 11, 16), "anthropic"): 5 * USD, (D(2026, 11, 21), "openai"): 1 * USD},
        models={
            ("anthropic", "claude-opus-4-8"): 5 * USD,
            ("anthropic", ""): 100_000_000,
            ("openai", "gpt-5"): 1_334_567_890,
            ("openai", ""): 100_000_000,
        },
        workspaces={
            ("anthropic", ""): 5 * USD,
            ("anthropic", "wrkspc_old"): 100_000_000,
            ("openai", "proj_abc"): 1 * USD,
            ("openai", ""): 334_567_890,
            ("openai", "proj_gone"): 100_000_000,
        },
        tokens=TokenTotals(input=1_000_000, output=20_000, cache_read=810_000, cache_write=5_000),
        tier_days=[(D(2026, 11, 18), "anthropic"), (D(2026, 11, 19), "anthropic"), (D(2026, 11, 17), "openai")],
        labels={
            ("anthropic", "wrkspc_old"): Label("anthropic", "wrkspc_old", "legacy", archived=True),
            ("openai", "proj_abc"): Label("openai", "proj_abc", "web-app"),
        },
        sync_states={
            "anthropic": ok_state("anthropic", "2026-11-21T09:48:00Z"),
            "openai": SyncState(
                "openai",
                "error",
                "2026-11-21T09:47:55Z",
                "2026-11-21T09:48:00Z",
                "HTTP 500 from OpenAI; try again later.",
                "2026-11-21T07:00:00Z",
            ),
        },
        data_ranges={"anthropic": (D(2026, 8, 23), D(2026, 11, 21)), "openai": (D(2026, 11, 10), D(2026, 11, 21))},
        configured=("anthropic", "openai"),
    )


def test_totals_are_exact_and_every_list_adds_up() -> None:
    report = build_report(week_inputs(), WEEK, now=NOW, budget=None)
    assert (report.total, report.previous_total, report.change_pct) == (
        Decimal("6.53456789"),
        Decimal(4),
        Decimal("63.36"),
    )
    for lines in (report.providers, report.models, report.workspaces, report.daily):
        assert sum(line.total for line in lines) == report.total
    assert report.tokens == TokenTotals(1_000_000, 20_000, 810_000, 5_000)
    assert report.cache_hit_ratio == Decimal("0.8100")
    assert (report.month, report.budget, report.generated_at) == (None, None, NOW)


def test_lines_are_named_and_sorted_by_total_then_name() -> None:
    report = build_report(week_inputs(), WEEK, now=NOW, budget=None)
    assert report.providers == [
        ProviderLine("anthropic", Decimal("5.1"), "ok", "2026-11-21T09:48:00Z"),
        ProviderLine(
            "openai", Decimal("1.43456789"), "error", "2026-11-21T07:00:00Z", "HTTP 500 from OpenAI; try again later"
        ),
    ]
    assert report.models == [
        ModelLine("anthropic", "claude-opus-4-8", Decimal(5)),
        ModelLine("openai", "gpt-5", Decimal("1.33456789")),
        ModelLine("anthropic", "", Decimal("0.1")),  # a tie: same name, so by provider
        ModelLine("openai", "", Decimal("0.1")),
    ]
    assert report.models[2].name == "other (web search, tools, storage)"
    assert report.workspaces == [
        WorkspaceLine("anthropic", None, "Default", False, Decimal(5)),
        WorkspaceLine("openai", "proj_abc", "web-app", False, Decimal(1)),
        WorkspaceLine("openai", None, "Organization (no project)", False, Decimal("0.33456789")),
        WorkspaceLine("anthropic", "wrkspc_old", "legacy", True, Decimal("0.1")),  # archived keeps its name
        WorkspaceLine("openai", "proj_gone", "proj_gone", False, Decimal("0.1")),  # unknown id: the raw id
    ]


def test_daily_has_every_day_of_the_period_with_zero_days() -> None:
    report = build_report(week_inputs(), WEEK, now=NOW, budget=None)
    zero = {"anthropic": Decimal(0), "openai": Decimal(0)}
    assert report.daily == [
        DayLine(D(2026, 11, 14), Decimal("0.3"), {"anthropic": Decimal("0.1"), "openai": Decimal("0.2")}),
        DayLine(D(2026, 11, 15), Decimal(0), zero),
        DayLine(D(2026, 11, 16), Decimal(5), {"anthropic": Decimal(5), "openai": Decimal(0)}),
        DayLine(D(2026, 11, 17), Decimal(0), zero),
        DayLine(D(2026, 11, 18), Decimal(0), zero),
        DayLine(D(2026, 11, 19), Decimal(0), zero),
        DayLine(D(2026, 11, 20), Decimal("1.23456789"), {"anthropic": Decimal(0), "openai": Decimal("1.23456789")}),
    ]


def test_notes_for_failed_sync_short_history_and_priority_tier() -> None:
    report = build_report(week_inputs(), WEEK, now=NOW, budget=None)
    assert report.notes == [
        "OpenAI: the last sync failed (HTTP 500 from OpenAI; try again later); figures may be stale.",
        "No data before 2026-11-10 has been synced for OpenAI; the previous period is incomplete.",
        "Priority Tier usage on 2026-11-18 and 2026-11-19 is not included in Anthropic's cost report.",
    ]


def test_priority_tier_runs_collapse_into_ranges_and_other_periods_note_differently() -> None:
    days = [D(2026, 11, d) for d in (1, 3, 4, 5, 6, 9, 10)]
    inputs = dataclasses.replace(
        week_inputs(),
        tier_days=[(d, "anthropic") for d in days],
        data_ranges={"anthropic": (D(2026, 11, 2), D(2026, 11, 8)), "openai": (D(2026, 1, 1), D(2026, 11, 21))},
        sync_states={"anthropic": ok_state("anthropic", "2026-11-08T00:00:00Z")},
    )
    report = build_report(inputs, parse_period("month", D(2026, 11, 10)), now=NOW, budget=None)
    assert report.notes == [
        "Today (2026-11-10) is partial: it shows the spend reported so far.",
        "No data before 2026-11-02 has been synced for Anthropic; this period and the previous one are incomplete.",
        "No data after 2026-11-08 has been synced for Anthropic; run `aispend sync` to bring it up to date.",
        "Priority Tier usage on 2026-11-01, 2026-11-03 to 2026-11-06, 2026-11-09 and 2026-11-10"
        " is not included in Anthropic's cost report.",
        "No month-end projection yet: this month has under 6 h of data and there is no complete day with spend "
        "last month to go by.",
    ]


@pytest.mark.parametrize(
    ("current", "previous", "expected"),
    [
        (4 * USD, 3 * USD, Decimal("33.33")),
        (2 * USD, 3 * USD, Decimal("-33.33")),
        (1_005_000_000, 1 * USD, Decimal("0.50")),
        (0, 3 * USD, Decimal("-100.00")),
        (5 * USD, 0, None),
        (0, 0, None),
    ],
)
def test_change_pct(current: int, previous: int, expected: Decimal | None) -> None:
    inputs = dataclasses.replace(
        week_inputs(),
        daily={(D(2026, 11, 15), "anthropic"): current},
        previous_daily={(D(2026, 11, 8), "anthropic"): previous},
        models={("anthropic", "m"): current},
        workspaces={("anthropic", ""): current},
    )
    assert build_report(inputs, WEEK, now=NOW, budget=None).change_pct == expected


@pytest.mark.parametrize(
    ("tokens", "ratio"),
    [
        (TokenTotals(input=3, cache_read=1), Decimal("0.3333")),
        (TokenTotals(input=3, cache_read=2), Decimal("0.6667")),
        (TokenTotals(input=10, cache_read=10), Decimal("1.0000")),
        (TokenTotals(input=0, output=5), None),
    ],
)
def test_cache_hit_ratio(tokens: TokenTotals, ratio: Decimal | None) -> None:
    report = build_report(dataclasses.replace(week_inputs(), tokens=tokens), WEEK, now=NOW, budget=None)
    assert report.cache_hit_ratio == ratio


def month_inputs(month_daily: dict[tuple[date, str], int]) -> ReportInputs:
    total = sum(month_daily.values())
    return dataclasses.replace(
        week_inputs(),
        daily=month_daily,
        previous_daily={},
        month_daily=month_daily,
        models={("anthropic", "m"): total},
        workspaces={("anthropic", ""): total},
        tier_days=[],
        sync_states={"anthropic": ok_state("anthropic", "2026-11-05T11:00:00Z")},
        data_ranges={"anthropic": (D(2026, 9, 1), D(2026, 11, 5))},
        configured=("anthropic",),
    )


def test_month_projection_uses_complete_days_with_spend() -> None:
    # Nov 1 had no spend, so the rate is (3 + 1 + 2) / 3 days = $2/day; today (Nov 5, partial $7) is excluded.
    inputs = month_inputs(
        {
            (D(2026, 11, 2), "anthropic"): 3 * USD,
            (D(2026, 11, 3), "anthropic"): 1 * USD,
            (D(2026, 11, 4), "anthropic"): 2 * USD,
            (D(2026, 11, 5), "anthropic"): 7 * USD,
        }
    )
    report = build_report(inputs, parse_period("month", D(2026, 11, 5)), now=NOW, budget=Decimal("100"))
    # projected = 6 spent on the 4 complete days + 2/day x (30 - 4) days
    assert report.month == MonthProjection(Decimal(13), Decimal(58), 30, Decimal(2), 3)
    assert report.budget == BudgetStatus(Decimal(100), Decimal(13), Decimal("13.00"), Decimal(58), Decimal("58.00"))
    assert report.notes == ["Today (2026-11-05) is partial: it shows the spend reported so far."]


def test_month_projection_rate_is_exact_to_the_nano_dollar() -> None:
    inputs = month_inputs({(D(2026, 2, d), "anthropic"): USD for d in (1, 2, 3)} | {(D(2026, 2, 4), "anthropic"): 1})
    report = build_report(inputs, parse_period("month", D(2026, 2, 5)), now=NOW, budget=Decimal("70"))
    # rate = 3_000_000_001 / 4 = 750_000_000.25 -> 750_000_000 nano; 28 days - 4 complete = 24 to go
    assert report.month == MonthProjection(Decimal("3.000000001"), Decimal("21.000000001"), 28, Decimal("0.75"), 4)
    assert report.budget == BudgetStatus(
        Decimal(70), Decimal("3.000000001"), Decimal("4.29"), Decimal("21.000000001"), Decimal("30.00")
    )


def test_a_partial_first_day_alone_is_no_projection_and_says_so() -> None:
    # hand-built inputs say nothing about when the 1st was fetched, so it holds no measured hours of data
    inputs = month_inputs({(D(2026, 11, 1), "anthropic"): 5 * USD})
    report = build_report(inputs, parse_period("month", D(2026, 11, 1)), now=NOW, budget=None)
    assert report.month == MonthProjection(Decimal(5), None, 30, None, 0, "none")
    assert report.notes[-1] == (
        "No month-end projection yet: this month has under 6 h of data and there is no complete day with spend "
        "last month to go by."
    )


def test_month_projection_is_never_below_month_to_date() -> None:
    inputs = month_inputs({(D(2026, 11, 29), "anthropic"): 1 * USD, (D(2026, 11, 30), "anthropic"): 9 * USD})
    report = build_report(inputs, parse_period("month", D(2026, 11, 30)), now=NOW, budget=None)
    assert report.month == MonthProjection(Decimal(10), Decimal(10), 30, Decimal(1), 1)


def test_budget_is_for_the_current_month_whatever_the_period() -> None:
    report = build_report(week_inputs(), WEEK, now=NOW, budget=Decimal("40"))
    # week_inputs' month: $5 on Nov 16 (the only complete day with spend), $1 so far today (Nov 21)
    assert report.month is None
    # projected = 5 + $5/day x (30 - 20 complete days)
    assert report.budget == BudgetStatus(Decimal(40), Decimal(6), Decimal("15.00"), Decimal(55), Decimal("137.50"))


def test_providers_not_configured_never_synced_and_keyless_with_data() -> None:
    inputs = dataclasses.replace(
        week_inputs(),
        daily={(D(2026, 11, 15), "openai"): 2 * USD},
        previous_daily={},
        models={("openai", "gpt-5"): 2 * USD},
        workspaces={("openai", "proj_abc"): 2 * USD},
        tier_days=[],
        sync_states={"openai": ok_state("openai", "2026-11-20T08:00:00Z")},
        data_ranges={"anthropic": None, "openai": (D(2026, 1, 1), D(2026, 11, 20))},
        configured=(),
    )
    report = build_report(inputs, WEEK, now=NOW, budget=None)
    assert report.providers == [
        ProviderLine("openai", Decimal(2), "ok", "2026-11-20T08:00:00Z"),
        ProviderLine("anthropic", Decimal(0), "not_configured", None),
    ]
    assert report.notes == [
        "OpenAI has no key configured, so its figures stop at the last sync; set OPENAI_ADMIN_KEY to update them."
    ]
    configured = build_report(
        dataclasses.replace(inputs, configured=("anthropic", "openai")), WEEK, now=NOW, budget=None
    )
    assert configured.providers[1] == ProviderLine(
        "anthropic", Decimal(0), "error", None, "never synced; run `aispend sync`"
    )
    assert configured.notes == ["Anthropic has never been synced, so its spend is not shown; run `aispend sync`."]


def test_a_store_whose_breakdowns_disagree_is_flagged_not_hidden() -> None:
    inputs = dataclasses.replace(week_inputs(), models={("anthropic", "m"): 1 * USD})
    notes = build_report(inputs, WEEK, now=NOW, budget=None).notes
    assert notes[-1] == (
        "Spend by models ($1.00) does not add up to the total ($6.53);"
        " run `aispend sync` to rebuild the stored figures."
    )


def small_report_inputs() -> ReportInputs:
    # 0.1 + 0.2 dollars: a float sum would print 0.30000000000000004
    return ReportInputs(
        daily={(D(2026, 11, 20), "anthropic"): 100_000_000, (D(2026, 11, 20), "openai"): 200_000_000},
        previous_daily={},
        month_daily={},
        models={("anthropic", "claude-opus-4-8"): 100_000_000, ("openai", ""): 200_000_000},
        workspaces={("anthropic", ""): 100_000_000, ("openai", ""): 200_000_000},
        tokens=TokenTotals(input=200, output=50, cache_read=50, cache_write=10),
        tier_days=[],
        labels={},
        sync_states={
            "anthropic": ok_state("anthropic", "2026-11-21T08:00:04Z"),
            "openai": ok_state("openai", "2026-11-21T08:00:03Z"),
        },
        data_ranges={"anthropic": (D(2026, 11, 1), D(2026, 11, 21)), "openai": (D(2026, 11, 1), D(2026, 11, 21))},
        configured=("anthropic", "openai"),
        fetches={
            "anthropic": fetched("anthropic", D(2026, 11, 1), TODAY, datetime(2026, 11, 21, 8, 0, 4, tzinfo=UTC)),
            "openai": fetched("openai", D(2026, 11, 1), TODAY, datetime(2026, 11, 21, 8, 0, 3, tzinfo=UTC)),
        },
    )


def fetched(provider: str, first: date, last: date, at: datetime) -> ProviderFetches:
    """Every day from `first` through `last` fetched by one sync at `at`, as Store.fetches would say."""
    days = {first + timedelta(days=i): at for i in range((last - first).days + 1)}
    through = max((d for d in days if d + timedelta(days=1) <= at.date()), default=None)
    return ProviderFetches(provider, first, last, at, through, (D(2026, 1, 1), D(2026, 12, 31)), days)


SMALL_JSON = {
    "period": {
        "name": "yesterday",
        "start": "2026-11-20",
        "end": "2026-11-20",
        "includes_partial_today": False,
        "final": True,
    },
    "previous": {"start": "2026-11-19", "end": "2026-11-19", "total_usd": Decimal(0), "final": True},
    "total_usd": Decimal("0.3"),
    "change_pct": None,
    "providers": [
        {"provider": "openai", "total_usd": Decimal("0.2"), "status": "ok", "last_synced_at": "2026-11-21T08:00:03Z"},
        {
            "provider": "anthropic",
            "total_usd": Decimal("0.1"),
            "status": "ok",
            "last_synced_at": "2026-11-21T08:00:04Z",
        },
    ],
    "models": [
        {"provider": "openai", "model": "other (web search, tools, storage)", "total_usd": Decimal("0.2")},
        {"provider": "anthropic", "model": "claude-opus-4-8", "total_usd": Decimal("0.1")},
    ],
    "workspaces": [
        {"provider": "openai", "id": None, "name": "Organization (no project)", "total_usd": Decimal("0.2")},
        {"provider": "anthropic", "id": None, "name": "Default", "total_usd": Decimal("0.1")},
    ],
    "daily": [
        {
            "date": "2026-11-20",
            "total_usd": Decimal("0.3"),
            "by_provider": {"anthropic": Decimal("0.1"), "openai": Decimal("0.2")},
        }
    ],
    "tokens": {"input": 200, "output": 50, "cache_read": 50, "cache_write": 10},
    "cache_hit_ratio": Decimal("0.25"),
    "freshness": {
        "anthropic": {"complete_through": "2026-11-20", "fetched_at": "2026-11-21T08:00:04Z"},
        "openai": {"complete_through": "2026-11-20", "fetched_at": "2026-11-21T08:00:03Z"},
    },
    "keys": [],
    "users": [],
    "notes": [
        "No month-end projection yet: this month has no spend yet and there is no complete day with spend last "
        "month to go by."
    ],
    "claude_code": {"estimated_usd": None, "users": []},
    "usage": [],
    "caps": [],
    "estimates": {"total_usd": Decimal(0), "lines": [], "unpriced": [], "adjustments": []},
    "budget": {
        "monthly_budget_usd": Decimal(10),
        "month_to_date_usd": Decimal(0),
        "pct_used": Decimal(0),
        "projected_usd": None,
        "projected_pct": None,
    },
}


def test_report_to_json_is_the_contract_object() -> None:
    report = build_report(small_report_inputs(), parse_period("yesterday", TODAY), now=NOW, budget=Decimal(10))
    assert report_to_json(report) == SMALL_JSON


def test_json_round_trips_with_decimal_exactness() -> None:
    report = build_report(small_report_inputs(), parse_period("yesterday", TODAY), now=NOW, budget=Decimal(10))
    text = dumps_report(report)
    assert '"total_usd": 0.3,' in text
    assert "0.30000000000000004" not in text
    assert json.loads(text, parse_float=Decimal) == SMALL_JSON
    assert json.loads(dumps_report(report, indent=None), parse_float=Decimal) == SMALL_JSON
    assert type(json.loads(text, parse_float=Decimal)["total_usd"]) is Decimal


def test_json_error_key_month_key_and_number_forms() -> None:
    week = report_to_json(build_report(week_inputs(), WEEK, now=NOW, budget=None))
    assert [sorted(p) for p in week["providers"]] == [
        ["last_synced_at", "provider", "status", "total_usd"],
        ["error", "last_synced_at", "provider", "status", "total_usd"],
    ]
    assert "month" not in week and "budget" not in week
    month = month_inputs({(D(2026, 11, 2), "anthropic"): 3 * USD})
    assert report_to_json(build_report(month, parse_period("month", D(2026, 11, 5)), now=NOW, budget=None))[
        "month"
    ] == {
        "month_to_date_usd": Decimal(3),
        "projected_usd": Decimal(81),
        "burn_rate_per_day_usd": Decimal(3),
        "days_in_month": 30,
        "basis_days": 1,
        "basis": "month",
    }
    assert dumps_json([Decimal("1E+3"), Decimal("1E-9"), Decimal("-2.50"), None, True, "é\n"], indent=None) == (
        '[1000, 0.000000001, -2.50, null, true, "\\u00e9\\n"]'
    )
    with pytest.raises(ValueError, match="not a finite amount"):
        dumps_json({"x": Decimal("NaN")})


def test_load_report_reads_a_real_store(tmp_path: Path) -> None:
    store = Store(tmp_path / "aispend.db")
    try:
        fill_store(store)
        report = load_report(store, WEEK, now=NOW, configured=["anthropic", "openai"], budget_usd=Decimal("100"))
    finally:
        store.close()
    assert report_to_json(report) == {
        # OpenAI has never synced, so neither week is final
        "period": {
            "name": "week",
            "start": "2026-11-14",
            "end": "2026-11-20",
            "includes_partial_today": False,
            "final": False,
        },
        "previous": {"start": "2026-11-07", "end": "2026-11-13", "total_usd": Decimal(2), "final": False},
        "total_usd": Decimal("3.3"),
        "change_pct": Decimal(65),
        "providers": [
            {
                "provider": "anthropic",
                "total_usd": Decimal("3.3"),
                "status": "ok",
                "last_synced_at": "2026-11-21T09:00:00Z",
            },
            {
                "provider": "openai",
                "total_usd": Decimal(0),
                "status": "error",
                "last_synced_at": None,
                "error": "OpenAI refused the key (401); set OPENAI_ADMIN_KEY to an Admin key",
            },
        ],
        "models": [
            {"provider": "anthropic", "model": "claude-opus-4-8", "total_usd": Decimal("3.1")},
            {"provider": "anthropic", "model": "other (web search, tools, storage)", "total_usd": Decimal("0.2")},
        ],
        "workspaces": [
            {"provider": "anthropic", "id": "wrkspc_a", "name": "batch-jobs", "total_usd": Decimal(3)},
            {"provider": "anthropic", "id": None, "name": "Default", "total_usd": Decimal("0.3")},
        ],
        "daily": [
            {"date": d.isoformat(), "total_usd": total, "by_provider": {"anthropic": total, "openai": Decimal(0)}}
            for d, total in zip(
                WEEK.dates(),
                [Decimal("0.3"), Decimal(0), Decimal(0), Decimal(0), Decimal(3), Decimal(0), Decimal(0)],
                strict=True,
            )
        ],
        "tokens": {"input": 1000, "output": 100, "cache_read": 600, "cache_write": 100},
        "cache_hit_ratio": Decimal("0.6"),
        "freshness": {
            # fetched at 09:00 on Nov 21: the days through Nov 20 had ended, Nov 21 had not
            "anthropic": {"complete_through": "2026-11-20", "fetched_at": "2026-11-21T09:00:00Z"},
            "openai": {"complete_through": None, "fetched_at": None},
        },
        "keys": [],
        "users": [],
        "notes": [
            "OpenAI: the last sync failed (OpenAI refused the key (401); set OPENAI_ADMIN_KEY to an Admin key);"
            " nothing has been synced yet.",
            "Priority Tier usage on 2026-11-18 is not included in Anthropic's cost report.",
        ],
        "claude_code": {"estimated_usd": None, "users": []},
        "usage": [],
        "caps": [],
        "estimates": {"total_usd": Decimal(0), "lines": [], "unpriced": [], "adjustments": []},
        "budget": {
            "monthly_budget_usd": Decimal(100),
            "month_to_date_usd": Decimal("5.3"),
            "pct_used": Decimal("5.3"),
            # three complete days with spend ($5.3 on Nov 10, 14 and 18): 1_766_666_666.67 nano/day, rounded;
            # 5.3 + $1.766666667/day x (30 - 20 complete days)
            "projected_usd": Decimal("22.96666667"),
            "projected_pct": Decimal("22.97"),
        },
    }


@pytest.mark.dates
@pytest.mark.parametrize(
    ("word", "total", "previous"),
    [
        ("today", Decimal("0.75"), Decimal(3)),  # today so far against yesterday's whole day
        ("yesterday", Decimal(3), Decimal(3)),
        ("week", Decimal(21), Decimal(21)),
        ("30d", Decimal(90), Decimal(90)),
        ("month", None, None),  # 3 a day before today, plus today so far; the same days of the month before
    ],
)
def test_a_report_sums_whole_utc_days_around_the_suite_clock(
    tmp_path: Path, now: datetime, word: str, total: Decimal | None, previous: Decimal | None
) -> None:
    today = now.date()
    start, end = today - timedelta(days=70), today + timedelta(days=1)
    with Store(tmp_path / "aispend.db") as store:
        for provider, daily, so_far in (("anthropic", 1 * USD, USD // 4), ("openai", 2 * USD, USD // 2)):
            days = [start + timedelta(days=i) for i in range((end - start).days)]
            costs = [CostRecord(provider, d, "", "m", "i", "", so_far if d == today else daily) for d in days]
            sync_id = store.begin_sync(provider, now, (start, end))
            store.finish_sync(
                sync_id, now, "ok", None, store.replace_provider_data(ProviderData(provider, start, end, costs), now)
            )
        period = parse_period(word, today)
        report = load_report(store, period, now=now, configured=["anthropic", "openai"], budget_usd=None)
    if word == "month":
        total = 3 * (today.day - 1) + Decimal("0.75")
        previous = Decimal(3 * period.prev_end.day)
        assert report.month is not None and report.month.month_to_date == total
    assert (report.total, report.previous_total) == (total, previous)
    assert [line.date for line in report.daily] == period.dates()
    assert sum(line.total for line in report.daily) == report.total
    if period.includes_partial_today:  # then notes about the projection may follow (on the 1st, for one)
        assert report.notes[0] == f"Today ({today}) is partial: it shows the spend reported so far."
        assert not [note for note in report.notes if "No data" in note]
    else:
        assert report.notes == []


def fill_store(store: Store) -> None:
    start, end = D(2026, 10, 1), D(2026, 11, 22)

    def cost(day: date, workspace: str, model: str, item: str, tier: str, nano: int) -> CostRecord:
        return CostRecord("anthropic", day, workspace, model, item, tier, nano)

    data = ProviderData(
        "anthropic",
        start,
        end,
        costs=[
            cost(D(2026, 11, 14), "", "claude-opus-4-8", "tokens/input", "standard", 100_000_000),
            cost(D(2026, 11, 14), "", "", "web_search", "", 200_000_000),
            cost(D(2026, 11, 18), "wrkspc_a", "claude-opus-4-8", "tokens/output", "batch", 1 * USD),
            cost(D(2026, 11, 18), "wrkspc_a", "claude-opus-4-8", "tokens/output", "batch", 2 * USD),  # same grain
            cost(D(2026, 11, 10), "wrkspc_a", "claude-opus-4-8", "tokens/input", "standard", 2 * USD),
            cost(D(2026, 10, 30), "wrkspc_a", "claude-opus-4-8", "tokens/input", "standard", 50 * USD),
        ],
        usage=[
            UsageRecord("anthropic", D(2026, 11, 14), "", "claude-opus-4-8", "standard", 400, 40, 200, 50),
            UsageRecord("anthropic", D(2026, 11, 18), "wrkspc_a", "claude-opus-4-8", "priority", 600, 60, 400, 50),
            UsageRecord("anthropic", D(2026, 11, 21), "wrkspc_a", "claude-opus-4-8", "priority", 9, 9, 9, 9),
        ],
        labels=[Label("anthropic", "wrkspc_a", "batch-jobs")],
    )
    sync_id = store.begin_sync("anthropic", datetime(2026, 11, 21, 8, 59, tzinfo=UTC), (start, end))
    rows = store.replace_provider_data(data, datetime(2026, 11, 21, 9, 0, tzinfo=UTC))
    store.finish_sync(sync_id, datetime(2026, 11, 21, 9, 0, tzinfo=UTC), "ok", None, rows)
    failed = store.begin_sync("openai", datetime(2026, 11, 21, 8, 59, tzinfo=UTC), (start, end))
    store.finish_sync(
        failed,
        datetime(2026, 11, 21, 9, 0, tzinfo=UTC),
        "error",
        "OpenAI refused the key (401); set OPENAI_ADMIN_KEY to an Admin key.",
        0,
    )


def test_cost_rows_without_an_amount_are_noted_per_provider() -> None:
    gaps = {
        (D(2026, 11, 15), "openai"): 2,
        (D(2026, 11, 16), "openai"): 1,
        (D(2026, 11, 17), "openai"): 4,
        (D(2026, 11, 13), "openai"): 9,  # in the comparison, whose total and change_pct it understates too
        (D(2026, 11, 6), "openai"): 5,  # before the comparison: not this report's concern
        (D(2026, 11, 18), "anthropic"): 1,
    }
    report = build_report(dataclasses.replace(week_inputs(), cost_gaps=gaps), WEEK, now=NOW, budget=None)
    assert [note for note in report.notes if "had no amount" in note] == [
        "1 Anthropic cost row on 2026-11-18 had no amount; it is counted as $0, so Anthropic's spend may be "
        "understated: check the Anthropic usage dashboard (https://console.anthropic.com/usage).",
        "7 OpenAI cost rows on 2026-11-15 to 2026-11-17 had no amount; they are counted as $0, so OpenAI's spend "
        "may be understated: check the OpenAI usage dashboard (https://platform.openai.com/usage).",
        "9 OpenAI cost rows on 2026-11-13 (in the comparison) had no amount; they are counted as $0, so OpenAI's "
        "spend may be understated: check the OpenAI usage dashboard (https://platform.openai.com/usage).",
    ]
    assert report.total == build_report(week_inputs(), WEEK, now=NOW, budget=None).total
