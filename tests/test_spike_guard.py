"""The weekly spike's quiet-week guard (bot.alerts.spike_guard): a week that only recovers from a holiday week is not
a spike, a real spike after a holiday week still is, and the alert and notes say what the week was compared with.

Hand-made daily series around a fixed evaluation on Nov 22, 2026 (the week Nov 15–21 against Nov 8–14): $100 a
weekday, $50 a weekend day since September, so a typical week is $600.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from bot.alerts import payload
from bot.alerts.candidates import dry_run_alerts
from bot.alerts.evaluation import spike_notes, spike_report
from bot.alerts.ledger_view import alerts_overview
from bot.alerts.messages import spike_message
from bot.alerts.rules import Combo, SpikeReport, evaluate_spikes, week_for
from bot.alerts.spike_guard import guard_spikes, history_window
from bot.records import CostRecord, Label, ProviderData
from bot.store import Store
from bot.store.alerts import AlertStore
from tests.alert_support import alert_settings, usd, write

TODAY = date(2026, 11, 22)
WEEK = week_for(TODAY)  # Nov 15–21 against Nov 8–14
FIRST = date(2026, 9, 1)
HOLIDAYS = frozenset(
    {date(2026, 11, 10), date(2026, 11, 11)}
)  # a Tuesday and Wednesday at 30 % of a day: the week is $460
PROD: Combo = ("anthropic", "wrk_prod", "claude-sonnet-4-6")
LABELS = {("anthropic", "wrk_prod"): Label("anthropic", "wrk_prod", "production")}
NOTE = (
    "Spike check for Nov 15–21: the week before was unusually quiet (a holiday?), so it was compared with a typical "
    "week: "
)


def series(
    first: date = FIRST, *, holidays: frozenset[date] = HOLIDAYS, extra: Mapping[date, str] | None = None
) -> dict[date, dict[Combo, int]]:
    """PROD's daily spend from `first` to the week's last day: `holidays` at 30 %, plus `extra` dollars."""
    out = {}
    for i in range((WEEK.end - first).days + 1):
        day = first + timedelta(days=i)
        nano = usd("100") if day.weekday() < 5 else usd("50")
        if day in holidays:
            nano = nano * 3 // 10
        out[day] = {PROD: nano + usd((extra or {}).get(day, "0"))}
    return out


def plain(daily: Mapping[date, Mapping[Combo, int]]) -> SpikeReport:
    """The contract's rule: the two weeks' totals."""

    def total(start: date, end: date) -> dict[Combo, int]:
        return {PROD: sum(daily.get(start + timedelta(days=i), {}).get(PROD, 0) for i in range((end - start).days + 1))}

    return evaluate_spikes(
        total(WEEK.start, WEEK.end),
        total(WEEK.prev_start, WEEK.prev_end),
        labels=LABELS,
        week=WEEK,
        pct=Decimal(25),
        min_usd=Decimal(10),
    )


def guarded(daily: Mapping[date, Mapping[Combo, int]], first: date = FIRST) -> SpikeReport:
    return guard_spikes(plain(daily), daily, {"anthropic": first})


def test_the_week_after_a_holiday_week_is_a_recovery_not_a_spike() -> None:
    daily = series()
    before = plain(daily)
    org = before.alerts[0]
    assert (org.scope, org.change.previous, org.change.current) == ("org", usd("460"), usd("600"))
    assert len(before.alerts) == 4  # +30 %: the contract's rule alone fires for every scope
    after = guarded(daily)
    assert after.alerts == ()
    assert after.held == (
        "organization",
        "provider anthropic",
        "workspace production (anthropic)",
        "model claude-sonnet-4-6 (anthropic)",
    )
    assert spike_notes(after) == (
        NOTE + "organization, provider anthropic, workspace production (anthropic), model claude-sonnet-4-6 "
        "(anthropic) stayed within a typical week and did not fire.",
    )


def test_a_real_spike_after_a_holiday_week_still_fires_against_a_typical_week() -> None:
    # a runaway job adds $60 a day all week: $1,020 against a typical $600
    daily = series(extra={WEEK.start + timedelta(days=i): "60" for i in range(7)})
    report = guarded(daily)
    assert [a.scope for a in report.alerts] == [
        "org",
        "provider:anthropic",
        "workspace:anthropic:wrk_prod",
        "model:anthropic:claude-sonnet-4-6",
    ]
    org = report.alerts[0]
    assert org.change.previous == usd("460") and org.change.current == usd("1020")
    assert org.typical is not None and org.typical_previous is not None
    assert abs(org.typical - usd("600")) < usd("1")  # the baseline's statistics: exact to the dollar, not the nano
    assert abs(org.typical_previous - usd("600")) < usd("1")
    assert report.held == ()
    message = spike_message(report, "spike|x")
    text = message.text
    shown = json.dumps(message.blocks)
    assert "+70% over a typical week" in shown and "The week before was unusually quiet (a holiday?)" in shown
    assert text.startswith("AI spend spike: +$420.00 (+70% over a typical week) (Nov 15–21 vs Nov 8–14).")
    assert (
        "Organization $460.00 → $1,020.00 (+$560.00, +122%). The week before was unusually quiet (a holiday?): "
        "$460.00 against a typical $600.00, so this week was compared with a typical week of $600.00." in text
    )
    assert spike_notes(report)[0].startswith(NOTE + "organization, provider anthropic")
    assert payload.loads(payload.dumps(report)) == report


def test_a_spike_after_a_typical_week_keeps_the_contract_rule_and_its_message() -> None:
    daily = series(holidays=frozenset(), extra={WEEK.start + timedelta(days=i): "30" for i in range(7)})  # +35 %
    report = guarded(daily)
    assert report == plain(daily)
    assert report.alerts[0].typical is None and report.held == ()
    assert spike_notes(report) == ()
    assert spike_message(report, "spike|x").text.startswith("AI spend spike: +$210.00 (+35%) week over week")


def test_a_scope_with_too_little_history_keeps_the_plain_rule() -> None:
    first = WEEK.prev_start - timedelta(days=6)  # 6 days before the quiet week: no baseline for its first day
    daily = series(first)
    assert guarded(daily, first) == plain(daily)
    assert guarded(daily, first).alerts  # the recovery fires, as the contract's rule says


def test_the_guard_reads_the_two_weeks_and_eight_weeks_of_baseline_before_them() -> None:
    assert history_window(plain(series())) == (WEEK.end - timedelta(days=69), WEEK.end)


def _store(path: Path) -> Store:
    store = Store(path)
    data = ProviderData("anthropic", FIRST, TODAY)
    for day, combos in series().items():
        data.costs += [CostRecord("anthropic", day, c[1], c[2], "tokens", "", nano) for c, nano in combos.items()]
    data.labels = [LABELS[("anthropic", "wrk_prod")]]
    write(store, data, datetime(2026, 11, 22, 9, 0, tzinfo=UTC))
    return store


def test_the_bot_holds_the_recovery_back_and_says_so_in_a_dry_run_and_slash_alerts(tmp_path: Path) -> None:
    store = _store(tmp_path / "a.db")
    try:
        report = spike_report(store, alert_settings(), TODAY)
        assert report.alerts == () and len(report.held) == 4
        overview = alerts_overview(
            store, datetime(2026, 11, 22, 9, 0, tzinfo=UTC), admin=True, settings=alert_settings()
        )
        run = dry_run_alerts(
            store, AlertStore(store), alert_settings(), TODAY, datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
        )
        assert run.found == () and any(n.startswith(NOTE) for n in run.notes)
        assert (
            "*Spike check*\n• Spike check for Nov 15–21: the week before was unusually quiet (a holiday?)" in overview
        )
    finally:
        store.close()
