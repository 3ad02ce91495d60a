"""The daily anomaly rule, the drivers that matter and drops to zero (issue 13), on small hand-made series.

Behaviour only, never timings: a known spike fires, a weekly rhythm with trend stays silent, under 14 days of
history stays silent (and says why), drivers under 5 % or $1 fold into "other", a drop to zero is found once.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

from bot.alerts.anomaly import day_anomaly, evaluate_anomalies
from bot.alerts.anomaly_messages import anomaly_details, anomaly_message, drop_message
from bot.alerts.baseline import MIN_HISTORY_DAYS, baseline
from bot.alerts.drivers import leading
from bot.alerts.drops import evaluate_drops, zero_run_start
from bot.alerts.rules import Driver
from bot.alerts.spender_anomaly import spender_anomalies
from bot.money import usd_to_nano
from bot.records import BILLED, KEY, SpenderLabel
from bot.spenders import SpenderRows

TUESDAY = date(2026, 11, 24)
MIN = usd_to_nano(Decimal(10))
# Monday first: busy Mondays, quiet weekends
RHYTHM = [1000, 650, 700, 640, 600, 200, 150]
JITTER = [1.03, 0.97, 1.01, 0.98, 1.02, 0.99, 1.0, 0.96, 1.04, 1.0, 0.97]  # ±4 %, no pattern of 7


def usd(value: float | int | str) -> int:
    return usd_to_nano(Decimal(str(value)))


def rhythm(days: int, first: date, growth_per_week: float = 0.0) -> list[int]:
    """Daily spend with the weekly rhythm, a trend and a little jitter (floats only to make the test data)."""
    out = []
    for i in range(days):
        day = first + timedelta(days=i)
        value = RHYTHM[day.weekday()] * (1 + growth_per_week) ** (i / 7) * JITTER[i % len(JITTER)]
        out.append(usd(round(value, 2)))
    return out


def test_a_known_spike_fires_and_its_range_brackets_the_usual_tuesday() -> None:
    first = TUESDAY - timedelta(days=56)
    history = rhythm(56, first)
    base = day_anomaly(history, usd(1930), MIN)
    assert base is not None
    assert base.low < usd(650) < base.high and base.high < usd(720)
    assert day_anomaly(history, usd(680), MIN) is None  # an ordinary Tuesday


def test_a_weekly_rhythm_with_trend_never_fires() -> None:
    first = date(2026, 8, 3)
    series = rhythm(120, first, growth_per_week=0.04)
    fired = [i for i in range(MIN_HISTORY_DAYS, len(series)) if day_anomaly(series[:i], series[i], MIN) is not None]
    assert fired == []  # busy Mondays after quiet weekends and 4 % a week of growth are not anomalies


def test_under_14_days_of_history_is_silent_and_named() -> None:
    first = TUESDAY - timedelta(days=13)
    series = rhythm(13, first)
    assert baseline(series) is None and day_anomaly(series, usd(50_000), MIN) is None
    daily = {first + timedelta(days=i): {("anthropic", "w1", "m1"): v} for i, v in enumerate(series)}
    daily[TUESDAY] = {("anthropic", "w1", "m1"): usd(50_000)}
    report = evaluate_anomalies(daily, day=TUESDAY, labels={}, starts={"anthropic": first}, min_usd=Decimal(10))
    assert report.alerts == ()
    assert report.short == ("organization", "provider anthropic", "workspace w1 (anthropic)", "model m1 (anthropic)")


def test_a_spike_below_the_minimum_dollars_does_not_fire() -> None:
    history = [usd("2.00")] * 56
    assert day_anomaly(history, usd("9.00"), MIN) is None  # +350 % but only +$7
    assert day_anomaly(history, usd("12.50"), MIN) is not None


def test_the_message_says_the_day_against_a_typical_weekday_and_ranks_the_drivers() -> None:
    first = TUESDAY - timedelta(days=56)
    daily = {}
    for i in range(56):
        daily[first + timedelta(days=i)] = {
            ("anthropic", "wrk_prod", "claude-sonnet-4-6"): usd(600),
            ("openai", "proj_web", "gpt-5.5"): usd(50),
            ("openai", "proj_small", "gpt-4o-mini"): usd("0.40"),
        }
    daily[TUESDAY] = {
        ("anthropic", "wrk_prod", "claude-sonnet-4-6"): usd(700),
        ("anthropic", "wrk_batch", "claude-opus-4-8"): usd(1240),  # new
        ("openai", "proj_web", "gpt-5.5"): usd(50),
        ("openai", "proj_small", "gpt-4o-mini"): usd("0.90"),  # +$0.50: under $1, folds into other
    }
    starts = {"anthropic": first, "openai": first}
    report = evaluate_anomalies(daily, day=TUESDAY, labels={}, starts=starts, min_usd=Decimal(10))
    org = report.alerts[0]
    assert org.scope == "org" and org.change.current == usd("1990.90")
    assert [d.model for d in org.drivers] == ["claude-opus-4-8", "claude-sonnet-4-6"]
    text = anomaly_message(report, "anomaly|2026-11-24").text
    # expected $650.40 a Tuesday; the range is it within one deviation (the 5 % floor, widened for 8 weeks)
    assert text == (
        "Unusual day: organization Tuesday $1,991 vs a typical Tuesday $616–$687 (Nov 24). Drivers: "
        "93% from anthropic / wrk_batch / claude-opus-4-8 (new: nothing on a typical Tuesday), +$1,240.00; "
        "7% from anthropic / wrk_prod / claude-sonnet-4-6, +$100.00; other 0%, +$0.50. "
        "Also unusual: Provider anthropic: Tuesday $1,940 vs a typical Tuesday $568–$634 (+$1,340.00 over the "
        "expected day)."
    )
    # the new workspace and model have one day of history: silent, and named
    assert "workspace wrk_batch (anthropic)" in report.short and "model claude-opus-4-8 (anthropic)" in report.short


def test_drivers_under_5_percent_or_1_dollar_fold_into_other_and_three_lead() -> None:
    def driver(model: str, now: str, before: str) -> Driver:
        return Driver("anthropic", "w", "w", False, model, usd(now), usd(before))

    members = [
        driver("a", "500", "0"),
        driver("b", "300", "100"),
        driver("c", "150", "50"),
        driver("d", "90", "20"),  # 4th largest: into other
        driver("e", "30", "0"),  # 30 of 1000: 3 %, into other
        driver("f", "0.80", "0"),  # under $1, into other
    ]
    change = usd(1000)
    top, other = leading(members, change)
    assert [d.model for d in top] == ["a", "b", "c"]
    assert other == change - usd(500 + 200 + 100)
    assert leading([driver("x", "1.50", "0.90")], usd("1.20"))[0] == ()  # 50 % of the change, but only $0.60


def test_a_provider_that_stops_while_the_others_go_on_is_found_once() -> None:
    steady = [usd(40)] * 7
    assert zero_run_start([*steady, 0, 0], [usd(100)] * 9, MIN) == 7
    assert zero_run_start([*steady, 0, 0], [usd(100)] * 7 + [0, 0], MIN) is None  # everything stopped: not this
    assert zero_run_start([usd(40), 0, *steady[2:], 0], [usd(100)] * 9, MIN) is None  # not steady before
    assert zero_run_start([*steady, usd(3)], [usd(100)] * 8, MIN) is None  # still spending
    days = {}
    for i in range(14):
        day = TUESDAY - timedelta(days=13 - i)
        days[(day, "anthropic")] = usd(100)
        days[(day, "openai")] = usd(40) if i < 12 else 0
    report = evaluate_drops(days, day=TUESDAY, providers=["anthropic", "openai"], min_usd=Decimal(10))
    [alert] = report.alerts
    assert (alert.provider, alert.first_zero, alert.before) == ("openai", TUESDAY - timedelta(days=1), usd(280))
    assert drop_message(report, "drop|2026-11-24").text.startswith(
        "AI spend stopped: provider openai has spent nothing since Nov 23. Provider openai: no spend since Nov 23, "
        "after $280.00 over the 7 days before, while the other providers kept spending."
    )


def spender_rows(
    lines: dict[str, list[int]], days: list[date], unfetched: frozenset[date] = frozenset()
) -> SpenderRows:
    costs = {}
    for key, series in lines.items():
        for day, nano in zip(days[-len(series) :], series, strict=True):
            costs[(day, "anthropic", KEY, key, "w", "m")] = nano
    basis = {(d, "anthropic", KEY): (BILLED, None) for d in days if d not in unfetched}
    return SpenderRows(tokens={}, costs=costs, basis=basis, scopes={})


def test_a_key_is_a_scope_of_its_own_and_a_day_not_fetched_restarts_its_history() -> None:
    days = [TUESDAY - timedelta(days=56 - i) for i in range(57)]
    labels = {("anthropic", KEY, "key_ci"): SpenderLabel("anthropic", KEY, "key_ci", "ci-nightly")}
    steady = [usd(100)] * 56
    rows = spender_rows({"key_ci": [*steady, usd(600)], "key_new": [usd(5)] * 9 + [usd(400)]}, days)
    alerts, short = spender_anomalies(rows, labels, days, min_usd_nano=MIN, people=False)
    assert [(a.scope, a.change.title, a.change.current) for a in alerts] == [
        ("key:anthropic:key_ci", "key ci-nightly (anthropic)", usd(600))
    ]
    assert short == ["key key_new (anthropic)"]
    # per-key figures missing for a day ten days ago: missing is not zero, and only 9 days of history follow it
    gap = spender_rows({"key_ci": [*steady, usd(600)]}, days, unfetched=frozenset({TUESDAY - timedelta(days=10)}))
    assert spender_anomalies(gap, labels, days, min_usd_nano=MIN, people=False) == ([], ["key ci-nightly (anthropic)"])


def test_a_day_on_which_hundreds_of_scopes_are_unusual_is_one_message_that_fits() -> None:
    first = TUESDAY - timedelta(days=56)
    combos = [("anthropic", f"wrk_{i}", f"model-{i}-" + "x" * 40) for i in range(300)]
    daily = {first + timedelta(days=i): dict.fromkeys(combos, usd(20)) for i in range(56)}
    daily[TUESDAY] = dict.fromkeys(combos, usd(200))
    report = evaluate_anomalies(daily, day=TUESDAY, labels={}, starts={"anthropic": first}, min_usd=Decimal(10))
    assert len(report.alerts) == 2 + 2 * 300  # organization, provider, every workspace and model
    message = anomaly_message(report, "anomaly|2026-11-24")
    assert len(message.text) <= 3000 and len(message.blocks) <= 50
    assert len(json.dumps(message.blocks, ensure_ascii=False)) <= 12_000
    assert message.blocks[-1]["type"] == "actions"
    assert "…and 591 more: press Details." in json.dumps(message.blocks, ensure_ascii=False)
    details = anomaly_details(report)
    assert len(details.blocks) <= 50 and "cut to fit" in json.dumps(details.blocks, ensure_ascii=False)
