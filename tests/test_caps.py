"""Provider spend caps (issue 13 item 4): reading them from the simulator, storing them, the forecast, the report
JSON and `budget`, and the cap alert (once per cap per month, through the fake Slack API)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.alerts.service import run_alerts
from bot.caps import forecast_caps, reach_day
from bot.config import Secret
from bot.periods import parse_period
from bot.providers.anthropic import AnthropicProvider
from bot.providers.openai import OpenAIProvider
from bot.records import MONTHLY, ORG_SCOPE, WORKSPACE_SCOPE, CapsFetch, Label, ProviderData, SpendCap
from bot.render_text import render_text
from bot.report import load_report
from bot.report_json import dumps_report
from bot.simulator import ANTHROPIC_KEY, OPENAI_KEY, Fault, Simulator
from bot.simulator.caps_api import anthropic_limits
from bot.slack.blocks import budget_message
from bot.slack.client import build_client
from bot.store import Store
from bot.sync import sync_providers
from tests.alert_support import CHANNEL, NOW, TODAY, alert_settings, filled_store, usd, write
from tests.fake_slack import FakeSlack

SIM_TODAY = date(2026, 11, 20)
SIM_NOW = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
LIMITS = "/v1/organizations/spend_limits"
NO_SLEEP = {"sleep": lambda _: None}


@pytest.fixture(autouse=True)
def _quiet_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKIP_SLACK_SDK_WARNING", "1")


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(SIM_TODAY) as sim:
        yield sim


def anthropic(sim: Simulator) -> AnthropicProvider:
    return AnthropicProvider(Secret(ANTHROPIC_KEY), sim.anthropic_url, **NO_SLEEP)  # type: ignore[arg-type]


def openai(sim: Simulator) -> OpenAIProvider:
    return OpenAIProvider(Secret(OPENAI_KEY), sim.openai_url, **NO_SLEEP)  # type: ignore[arg-type]


# --- reading them ------------------------------------------------------------------------------------------------


def test_anthropic_caps_are_the_organization_and_workspace_limits_with_an_amount(sim: Simulator) -> None:
    provider = anthropic(sim)
    try:
        fetched = provider.fetch_caps(ProviderData("anthropic", SIM_TODAY, SIM_TODAY))
    finally:
        provider.close()
    [request] = sim.requests
    assert request.path == LIMITS and request.headers["anthropic-beta"] == "spend-limit-reads-2026-09-26"
    active = [w for w in sim.org.listed_workspaces() if w.archived_at is None]
    # the organization and the first workspace; the second workspace's `amount: null` (no cap) and the usage-tier
    # limit are not caps aispend reports
    assert fetched.caps is not None and fetched.note is None and fetched.requests == 1
    assert [(c.scope, c.scope_id, c.period, c.enforced) for c in fetched.caps] == [
        (ORG_SCOPE, "", MONTHLY, True),
        (WORKSPACE_SCOPE, active[0].id, MONTHLY, True),
    ]
    served = {item["id"]: item["amount"] for item in _served_limits(sim)}
    # "212559" cents is $2,125.59: exactly, in nano-dollars
    assert fetched.caps[1].limit_nano == int(served["spl_ws1_01Sim"]) * 10_000_000


def _served_limits(sim: Simulator) -> list[dict[str, Any]]:
    return anthropic_limits(sim.org)


@pytest.mark.parametrize("status", [403, 404, 400])
def test_a_refused_spend_limits_beta_is_a_note_and_the_sync_still_succeeds(
    sim: Simulator, tmp_path: Path, status: int
) -> None:
    sim.org.spend_limits_refused = status
    with Store(tmp_path / "a.db") as store:
        provider = anthropic(sim)
        try:
            [result] = sync_providers(store, [provider], now=SIM_NOW, backfill_days=3)
        finally:
            provider.close()
        assert result.ok and result.error is None
        [note] = [w for w in result.warnings if "spend limits" in w]
        assert note.startswith(
            f"Anthropic refused to list spend limits (HTTP {'401/403' if status == 403 else status})"
        )
        assert "early-access preview" in note and ANTHROPIC_KEY not in note
        assert store.spend_caps() == [] and store.spend_cap_notes() == {"anthropic": note}
        assert store.daily_totals(SIM_TODAY - timedelta(days=2), SIM_TODAY)  # billed spend is stored all the same


def test_a_failed_read_keeps_the_caps_of_the_last_sync_and_a_refusal_drops_them(sim: Simulator, tmp_path: Path) -> None:
    with Store(tmp_path / "a.db") as store:
        provider = anthropic(sim)
        try:
            sync_providers(store, [provider], now=SIM_NOW, backfill_days=3)
            first = store.spend_caps()
            assert len(first) == 2 and store.spend_cap_notes() == {}
            sim.inject(Fault("anthropic", path=LIMITS, status=500, times=None))
            [result] = sync_providers(store, [provider], now=SIM_NOW + timedelta(hours=1), backfill_days=3)
            assert result.ok and store.spend_caps() == first
            assert store.spend_cap_notes()["anthropic"].startswith("Anthropic spend caps could not be read this time")
            sim.clear_faults()
            sim.org.spend_limits_refused = 403
            sync_providers(store, [provider], now=SIM_NOW + timedelta(hours=2), backfill_days=3)
            assert store.spend_caps() == []  # the key may no longer read them: old caps would mislead
        finally:
            provider.close()


def test_openai_caps_are_the_organization_limit_and_the_spending_projects_limits(
    sim: Simulator, tmp_path: Path
) -> None:
    with Store(tmp_path / "o.db") as store:
        provider = openai(sim)
        try:
            [result] = sync_providers(store, [provider], now=SIM_NOW, backfill_days=3)
        finally:
            provider.close()
        assert result.ok and not [w for w in result.warnings if "spend" in w]
        caps = store.spend_caps()
        first_active = next(p.id for p in sim.org.listed_projects() if p.archived_at is None)
        assert [(c.scope, c.scope_id) for c in caps] == [(ORG_SCOPE, ""), (WORKSPACE_SCOPE, first_active)]
        asked = [r.path for r in sim.requests if r.path.endswith("/spend_limit")]
        # the organization, then each active project that spent in the window; projects without a limit answer 404
        assert asked[0] == "/v1/organization/spend_limit" and len(asked) >= 2
        assert not any(r.method != "GET" for r in sim.requests)  # read only: aispend never sets a limit


# --- the forecast, exact ----------------------------------------------------------------------------------------

# tests/alert_support's organization as of Nov 22 09:00 (Nov 1-21 final): Anthropic production spends $100 a day,
# batch-jobs $80 a day from Nov 15; OpenAI web-app $50 a day, $60 from Nov 15.
CAPS = [
    SpendCap("anthropic", ORG_SCOPE, "", usd("10000"), MONTHLY, cap_id="spl_org"),
    SpendCap("anthropic", WORKSPACE_SCOPE, "wrk_prod", usd("2500"), MONTHLY, cap_id="spl_prod"),
    SpendCap("openai", WORKSPACE_SCOPE, "proj_web", usd("1000"), MONTHLY),
]


def caps_store(path: Path, caps: list[SpendCap] = CAPS) -> Store:
    store = filled_store(path)
    for provider in ("anthropic", "openai"):
        data = ProviderData(provider, TODAY, TODAY)  # no days: only the caps
        data.caps = CapsFetch(provider, tuple(c for c in caps if c.provider == provider))
        write(store, data)
    return store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = caps_store(tmp_path / "aispend.db")
    yield store
    store.close()


def test_each_cap_is_forecast_from_its_own_scope_with_exact_money(store: Store) -> None:
    forecasts = {(f.cap.provider, f.cap.scope_id): f for f in forecast_caps(store, today=TODAY, now=NOW)}
    org = forecasts[("anthropic", "")]
    # Nov 1-22: 22 x $100 + 8 x $80; the rate is the 21 final days' $2,660 / 21 = $126.666666667 (nano, half even)
    assert org.month_to_date == usd("2840") and org.rate == 126_666_666_667 and org.forecast_hit is None
    prod = forecasts[("anthropic", "wrk_prod")]
    # $2,200 so far; $300 left at $100 a day: today, tomorrow and Nov 24
    assert prod.month_to_date == usd("2200") and prod.rate == usd("100") and prod.forecast_hit == date(2026, 11, 24)
    web = forecasts[("openai", "proj_web")]
    # 14 x $50 = $700 by Nov 14, then $60 a day: $1,000 is reached on Nov 19; $1,180 by Nov 22
    assert web.reached and web.forecast_hit == date(2026, 11, 19) and web.month_to_date == usd("1180")
    assert web.rate == 53_333_333_333  # $1,120 over the 21 final days


def test_the_reach_day_is_the_day_whose_spend_covers_the_rest_and_never_past_month_end() -> None:
    today = date(2026, 11, 28)
    # $10 so far; the rest is spent at the rate from today on (today is partial), as the budget's run-out day
    assert reach_day({today: usd("10")}, usd("30"), usd("10"), today) == date(2026, 11, 29)
    assert reach_day({today: usd("10")}, usd("40"), usd("10"), today) == date(2026, 11, 30)
    assert reach_day({today: usd("10")}, usd("40.01"), usd("10"), today) is None  # Dec 1: next month's cap
    assert reach_day({today: usd("10")}, usd("30"), None, today) is None  # no rate, no forecast


def test_the_report_json_has_every_cap_and_an_empty_list_without_any(store: Store, tmp_path: Path) -> None:
    report = load_report(
        store, parse_period("week", TODAY), now=NOW, configured=["anthropic", "openai"], budget_usd=None
    )
    caps = json.loads(dumps_report(report), parse_float=Decimal)["caps"]
    assert caps[0] == {
        "provider": "anthropic",
        "scope": "organization",
        "id": None,
        "name": "organization",
        "limit_usd": 10000,
        "period": "month",
        "enforced": True,
        "month_to_date_usd": 2840,
        "forecast_hit": None,
    }
    assert [(c["name"], c["limit_usd"], c["month_to_date_usd"], c["forecast_hit"]) for c in caps[1:]] == [
        ("production", 2500, 2200, "2026-11-24"),
        ("web-app", 1000, 1180, "2026-11-19"),
    ]
    with filled_store(tmp_path / "none.db") as bare:
        empty = load_report(bare, parse_period("week", TODAY), now=NOW, configured=["anthropic"], budget_usd=None)
        assert json.loads(dumps_report(empty))["caps"] == []


def test_budget_shows_the_caps_in_slack_and_the_terminal(tmp_path: Path) -> None:
    hostile = [SpendCap("anthropic", WORKSPACE_SCOPE, "wrk_prod", usd("2500"), MONTHLY)]
    with caps_store(tmp_path / "h.db", hostile) as store:
        data = ProviderData("anthropic", TODAY, TODAY)
        data.labels = [Label("anthropic", "wrk_prod", "<!channel> *prod*")]
        write(store, data)
        report = load_report(store, parse_period("month", TODAY), now=NOW, configured=["anthropic"], budget_usd=None)
    line = "Anthropic workspace <!channel> *prod*: $2,200 this month of its $2,500 monthly cap (88%)"
    text = render_text(report, NOW)
    assert f"  • {line}: reaches it around Nov 24 at this pace" in text
    message = budget_message(report, NOW, None)
    shown = json.dumps(message.blocks) + message.text
    assert "Provider spend caps" in shown and "reaches it around Nov 24" in shown
    assert "<!channel>" not in shown and "*prod*" not in shown  # provider names never mention or format


# --- the alert --------------------------------------------------------------------------------------------------


def test_a_cap_alert_is_posted_once_and_not_again_on_reevaluation(store: Store, fake: FakeSlack) -> None:
    fake.epoch = int(NOW.timestamp())
    client = build_client("xoxb-alert-test-token", fake.api_url)
    settings = alert_settings()
    first = run_alerts(store, client, settings=settings, today=TODAY, now=NOW, dry_run=False, pace=0)
    assert "cap|2026-11" in first.posted
    [cap] = [m for m in fake.in_channel(CHANNEL) if "cap" in m["text"] and "spike" not in m["text"]]
    assert cap["text"] == (
        "2 provider spend caps reached or reached before month end: Anthropic workspace production reaches its "
        "$2,500 cap around Nov 24; after that its requests are refused ($2,200 so far this month); OpenAI project "
        "web-app reached its $1,000 cap on Nov 19; its requests are refused until the month ends."
    )
    posted = len(fake.in_channel(CHANNEL))
    for hours in (1, 30):  # the same data an hour later, and the next day: each cap once a month
        again = run_alerts(
            store, client, settings=settings, today=TODAY, now=NOW + timedelta(hours=hours), dry_run=False, pace=0
        )
        assert again.found == () and again.posted == []
    assert len(fake.in_channel(CHANNEL)) == posted


def test_cap_alerts_wait_for_the_months_complete_days(tmp_path: Path) -> None:
    # the only sync ran at 08:00 on the 20th of a month whose days it fetched before they ended
    with Store(tmp_path / "w.db") as store:
        data = ProviderData("anthropic", date(2026, 11, 19), date(2026, 11, 21))
        data.caps = CapsFetch("anthropic", (CAPS[1],))
        write(store, data, datetime(2026, 11, 19, 8, 0, tzinfo=UTC))
        run = run_alerts(
            store,
            None,
            settings=alert_settings(anthropic_admin_key=Secret("sk-ant-admin01-x")),
            today=date(2026, 11, 20),
            now=datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
            dry_run=True,
        )
    assert not [f for f in run.found if f.kind == "cap"]
    assert any(n.startswith("Cap alerts for November wait for complete data") for n in run.notes)


def test_a_hostile_workspace_name_cannot_mention_or_format_in_the_cap_alert(tmp_path: Path) -> None:
    with caps_store(tmp_path / "h.db", [CAPS[1]]) as store:
        data = ProviderData("anthropic", TODAY, TODAY)
        data.labels = [Label("anthropic", "wrk_prod", "<!here|x> `prod` <https://evil.example|click>")]
        write(store, data)
        run = run_alerts(store, None, settings=alert_settings(), today=TODAY, now=NOW, dry_run=True)
    [cap] = [f for f in run.found if f.kind == "cap"]
    assert "reaches its $2,500 cap around Nov 24" in cap.text
    assert "<!here" not in cap.text and "<https://" not in cap.text and "`" not in cap.text
