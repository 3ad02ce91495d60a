"""Estimates apart from the bill, reconciliation and the lagging simulator (issue 14), end to end on the simulator.

The simulator's billed amounts are the providers' published list prices written into it by hand
(bot/simulator/catalog.py); the estimates come from genai-prices. Comparing the two is the real test.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.config import Secret, Settings
from bot.estimates import LAGGING, PRIORITY, TODAY
from bot.money import nano_to_usd
from bot.periods import parse_period
from bot.providers import build_providers
from bot.reconcile import MATCH, UNPRICED, load_reconciliation, reconciliation_json, render_reconciliation
from bot.render_text import render_text
from bot.report import load_report
from bot.report_json import dumps_report
from bot.simulator import ANTHROPIC_KEY, OPENAI_KEY, Simulator
from bot.simulator.catalog import MYTHOS
from bot.slack.blocks import report_message
from bot.spenders import load_spenders
from bot.store import Store
from bot.sync import sync_providers

REPO = Path(__file__).resolve().parents[1]
ONE = timedelta(days=1)
BACKFILL = 64  # every period here and its comparison (a month and the one before, 30d and the 30 before)


@dataclass
class Synced:
    sim: Simulator
    store: Store
    settings: Settings
    now: datetime

    @property
    def today(self) -> date:
        return self.now.date()


def _synced(tmp_path: Path, now: datetime, lag: int) -> Iterator[Synced]:
    with Simulator(today=now.date(), cost_lag_days=lag) as sim:
        settings = Settings(
            anthropic_admin_key=Secret(ANTHROPIC_KEY),
            openai_admin_key=Secret(OPENAI_KEY),
            anthropic_base_url=sim.anthropic_url,
            openai_base_url=sim.openai_url,
            db_path=str(tmp_path / "aispend.db"),
            backfill_days=BACKFILL,
        )
        store = Store(settings.db_path)
        providers = build_providers(settings)
        try:
            results = sync_providers(store, providers, now=now, backfill_days=BACKFILL)
            assert all(r.ok for r in results), [r.error for r in results]
            yield Synced(sim, store, settings, now)
        finally:
            for provider in providers:
                provider.close()
            store.close()


@pytest.fixture
def lagging(tmp_path: Path, now: datetime) -> Iterator[Synced]:
    """The simulator's organization with a cost report one complete day behind its usage."""
    yield from _synced(tmp_path, now, lag=1)


@pytest.fixture
def billed(tmp_path: Path, now: datetime) -> Iterator[Synced]:
    """The same organization with every day's cost served at once (the simulator's default)."""
    yield from _synced(tmp_path, now, lag=0)


def _report_json(s: Synced, word: str) -> dict[str, Any]:
    period = parse_period(word, s.today)
    report = load_report(s.store, period, now=s.now, configured=s.settings.configured_providers, budget_usd=None)
    keys = load_spenders(s.store, period, "key", people=True)
    users = load_spenders(s.store, period, "user", people=True)
    return json.loads(dumps_report(report, keys=keys, users=users), parse_float=Decimal)  # type: ignore[no-any-return]


def _billed_usd(sim: Simulator, provider: str, start: date, end: date) -> Decimal:
    return nano_to_usd(sim.org.expected_cost_nano(provider, start, end + ONE))


@pytest.mark.dates
def test_the_simulators_cost_report_lags_usage_by_the_configured_days(lagging: Synced) -> None:
    org, today = lagging.sim.org, lagging.today
    for provider in ("anthropic", "openai"):
        # today and yesterday have usage but no cost yet; the day before has both
        assert org.daily_cost_nano(provider, today) == org.daily_cost_nano(provider, today - ONE) == 0
        assert org.daily_cost_nano(provider, today - 2 * ONE) > 0
    assert org.anthropic_day(today - ONE).usage and org.openai_day(today - ONE).usage
    # what was synced is what was served: nothing billed for those two days
    assert lagging.store.daily_totals(today - ONE, today) == {}


@pytest.mark.dates
def test_usage_is_stored_at_the_grain_a_price_needs_and_sums_to_the_reports_tokens(lagging: Synced) -> None:
    start, end = lagging.today - 30 * ONE, lagging.today
    rows = lagging.store.priced_usage(start, end)
    tokens = lagging.store.token_totals(start, end)
    assert sum(r.uncached_input + r.cache_read + r.cache_write_5m + r.cache_write_1h for r in rows) == tokens.input
    assert sum(r.output for r in rows) == tokens.output and sum(r.cache_read for r in rows) == tokens.cache_read
    grain = {(r.provider, r.service_tier, r.batch, r.context_window, r.inference_geo) for r in rows}
    assert ("anthropic", "batch", True, "0-200k", "global") in grain  # batch is Anthropic's service tier
    assert ("anthropic", "standard", False, "200k-1M", "us") in grain  # long context, US-only inference
    assert ("anthropic", "priority", False, "0-200k", "us") in grain
    assert ("openai", "default", True, "", "") in grain  # OpenAI's batch flag
    assert any(r.cache_write_1h for r in rows) and any(r.cache_write_5m for r in rows)
    assert any(r.web_searches for r in rows)


@pytest.mark.dates
def test_estimates_cover_today_lagging_days_and_priority_tier_apart_from_every_total(lagging: Synced) -> None:
    today = lagging.today
    for word in ("today", "week", "month", "30d"):
        data = _report_json(lagging, word)
        period = parse_period(word, today)
        estimates = data["estimates"]
        lines = estimates["lines"]
        assert estimates["total_usd"] == sum((x["usd"] for x in lines), Decimal(0))
        # every estimate has a reason, a day in the period and dollars; none is a billed day
        for line in lines:
            day = date.fromisoformat(line["date"])
            assert period.start <= day <= period.end and line["usd"] > 0
            assert line["reason"] == (PRIORITY if line["reason"] == PRIORITY else TODAY if day == today else LAGGING), (
                line
            )
            if line["reason"] != PRIORITY:
                assert day >= today - ONE
        reasons = {x["reason"] for x in lines}
        if period.includes_partial_today:
            assert TODAY in reasons
        if period.start <= today - ONE <= period.end:
            assert LAGGING in reasons
        priority_day = lagging.sim.org.priority_day
        if period.start <= priority_day <= period.end:
            assert any(x["reason"] == PRIORITY and x["date"] == priority_day.isoformat() for x in lines)
        # the unpriced model is listed, never priced at $0
        assert MYTHOS not in {x["model"] for x in lines}
        if lines:
            assert any(u["model"] == MYTHOS and u["tokens"] > 0 for u in estimates["unpriced"])


def _money_paths(value: Any, path: str = "") -> Iterator[str]:
    """Every money field of the JSON ('…usd' keys and by_provider amounts), as a path with list indexes as []."""
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            if path.endswith("by_provider"):
                yield f"{path}.*"
            elif key.endswith("usd"):
                yield where
            else:
                yield from _money_paths(item, where)
    elif isinstance(value, list):
        for item in value:
            yield from _money_paths(item, f"{path}[]")


# the money fields this test checks against the simulator's billed rows; `estimates` and `claude_code` are the
# estimate objects, never totals; the month projection is made from month_to_date's daily figures
CHECKED = {
    "total_usd",
    "previous.total_usd",
    "providers[].total_usd",
    "models[].total_usd",
    "workspaces[].total_usd",
    "keys[].total_usd",
    "users[].total_usd",
    "daily[].total_usd",
    "daily[].by_provider.*",
    "month.month_to_date_usd",
    "month.projected_usd",
    "month.burn_rate_per_day_usd",
    "caps[].month_to_date_usd",
    "caps[].limit_usd",  # the provider's limit as it set it: a setting, not a sum of anything
}


@pytest.mark.dates
def test_every_total_in_the_json_is_billed_rows_only(lagging: Synced) -> None:
    sim, today = lagging.sim, lagging.today
    for word in ("today", "yesterday", "week", "month", "30d"):
        data = _report_json(lagging, word)
        period = parse_period(word, today)
        assert data["estimates"]["total_usd"] > 0  # there is something that could leak into a total
        billed = {p: _billed_usd(sim, p, period.start, period.end) for p in ("anthropic", "openai")}
        previous = sum((_billed_usd(sim, p, period.prev_start, period.prev_end) for p in billed), Decimal(0))
        total = sum(billed.values(), Decimal(0))
        assert data["total_usd"] == total, word
        assert data["previous"]["total_usd"] == previous, word
        assert {p["provider"]: p["total_usd"] for p in data["providers"]} == billed
        for field in ("models", "workspaces", "keys"):
            assert sum((x["total_usd"] for x in data[field]), Decimal(0)) == total, (word, field)
        # people are the part of the bill a person spent (keys of service accounts have none)
        assert sum((x["total_usd"] for x in data["users"]), Decimal(0)) <= total
        assert sum((d["total_usd"] for d in data["daily"]), Decimal(0)) == total
        for day in data["daily"]:
            on = date.fromisoformat(day["date"])
            assert day["by_provider"] == {p: _billed_usd(sim, p, on, on) for p in billed}, on
        if "month" in data:
            assert data["month"]["month_to_date_usd"] == total
        # a cap's month to date is the billed spend of its scope this month, whatever the period
        month = _report_json(lagging, "month") if word != "month" else data
        month_start = parse_period("month", today).start
        assert {c["scope"] for c in data["caps"]} == {"organization", "workspace"}, data["caps"]
        for cap in data["caps"]:
            if cap["scope"] == "organization":
                assert cap["month_to_date_usd"] == _billed_usd(sim, cap["provider"], month_start, today), cap
            else:
                # a workspace without billed spend this month yet (the 1st, just after midnight) has no line
                scopes = [w for w in month["workspaces"] if (w["provider"], w["id"]) == (cap["provider"], cap["id"])]
                assert cap["month_to_date_usd"] == (scopes[0]["total_usd"] if scopes else 0), cap
        # and no money field of the JSON escaped these checks (a new total must be checked here too)
        paths = set(_money_paths({k: v for k, v in data.items() if k not in ("estimates", "claude_code")}))
        assert paths <= CHECKED, paths - CHECKED


@pytest.mark.dates
def test_the_estimate_of_complete_days_is_within_one_percent_of_billed(billed: Synced) -> None:
    period = parse_period("30d", billed.today)
    r = load_reconciliation(billed.store, period)
    assert len({x.day for x in r.rows}) == 30 and r.providers
    for day in r.providers:
        assert day.ratio is not None and abs(day.billed - day.estimated) <= day.billed / 100, day
    priced = [x for x in r.rows if x.status not in (UNPRICED, "no_usage")]
    assert priced and all(x.status == MATCH for x in priced)
    for x in priced:
        assert x.estimated is not None and abs(x.billed - x.estimated) <= x.billed / 100, x
    # the model genai-prices does not know is shown unpriced, beside its bill
    mythos = [x for x in r.rows if x.model == MYTHOS]
    assert mythos and all(x.status == UNPRICED and x.estimated is None and x.billed > 0 for x in mythos)
    # a period of final days says nothing about finality on its provider lines
    week = load_report(billed.store, parse_period("week", billed.today), now=billed.now, configured=(), budget_usd=None)
    assert week.final and "complete through" not in render_text(week, billed.now)


@pytest.mark.dates
def test_reconcile_names_the_days_that_are_not_billed_yet(lagging: Synced) -> None:
    r = load_reconciliation(lagging.store, parse_period("week", lagging.today))
    yesterday = lagging.today - ONE
    assert {x.status for x in r.rows if x.day == yesterday} == {"not_billed", UNPRICED}
    assert all(d.day != yesterday for d in r.providers)
    assert any("Not billed yet" in note and yesterday.isoformat() in note for note in r.notes)
    data = reconciliation_json(r)
    assert data["differences"] == [] and data["rows"][0]["date"] < yesterday.isoformat()


@pytest.mark.dates
def test_today_reply_shows_the_estimate_on_its_own_line(lagging: Synced) -> None:
    period = parse_period("today", lagging.today)
    report = load_report(lagging.store, period, now=lagging.now, configured=("anthropic", "openai"), budget_usd=None)
    assert report.total == 0 and report.estimates is not None and report.estimates.total > 0
    message = report_message(report, lagging.now)
    assert "Total" not in message.text and "estimated, not yet billed" in message.text
    blocks = json.dumps(message.blocks, ensure_ascii=False)
    assert "≈ $" in blocks and "today so far, not yet billed" in blocks
    text = render_text(report, lagging.now)
    # and through which day each provider's figures are final (issue 14 item 4)
    yesterday = lagging.today - ONE
    through = f"complete through {yesterday:%b} {yesterday.day}"
    assert through in text and through in blocks
    total_line, estimate_line = text.splitlines()[1:3]
    assert total_line.startswith("Total: $0.00") and estimate_line.startswith("≈ $")
    month = load_report(
        lagging.store, parse_period("month", lagging.today), now=lagging.now, configured=(), budget_usd=None
    )
    assert "(billed only: the estimates above are not in it)" in render_text(month, lagging.now)


@pytest.mark.dates
def test_report_reconcile_cli_prints_the_table_and_json(billed: Synced) -> None:
    env = {"AISPEND_DB": billed.settings.db_path, "PATH": "/usr/bin:/bin"}
    args = [sys.executable, "-m", "tests.cli_at", billed.now.isoformat(), "report", "--reconcile", "3d"]
    text = subprocess.run(args, cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("Billed vs list-price estimate, 3d: ")
    assert "Every provider's day is within 10 % of its list-price estimate." in text.stdout
    done = subprocess.run([*args, "--json"], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout, parse_float=Decimal)
    assert {d["date"] for d in data["providers"]} == {(billed.today - i * ONE).isoformat() for i in (1, 2, 3)}
    assert all(d["differs"] is False for d in data["providers"])
    assert text.stdout.strip() == render_reconciliation(
        load_reconciliation(billed.store, parse_period("3d", billed.today))
    )


@pytest.mark.dates
def test_usage_kinds_without_a_price_are_listed_as_unpriced_not_left_out(lagging: Synced) -> None:
    data = _report_json(lagging, "today")
    kinds = {(u["provider"], u["model"]): u for u in data["estimates"]["unpriced"] if u["tokens"] == 0}
    # the simulator's OpenAI organization makes images and transcriptions every day, Anthropic web searches
    for key in (("openai", "images"), ("openai", "transcription"), ("anthropic", "web search")):
        assert key in kinds, sorted(kinds)
        assert kinds[key]["date"] == lagging.today.isoformat()
        assert kinds[key]["reason"].endswith("not in the estimate (aispend prices chat and completion tokens only)")
    assert kinds[("openai", "images")]["reason"].split(":")[0].endswith(" images")
    # completions and messages are the priced tokens: never listed as a kind without a price
    assert not {("openai", "completions"), ("anthropic", "messages")} & set(kinds)
