"""Who spent it, end to end: the simulator's Admin APIs → the real provider clients → sync → SQLite → the spender
reports. Per key and per user, the figures must be exactly what the simulated cost endpoints serve, billed and
token share apart, and a refused per-key cost endpoint must leave token shares that still sum to the bill.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.config import Secret, Settings
from bot.money import nano_to_usd
from bot.periods import parse_period
from bot.providers import build_providers
from bot.records import BILLED, KEY, NO_KEY, TOKEN_SHARE, USER
from bot.report import load_report
from bot.simulator import ANTHROPIC_KEY, OPENAI_KEY, Simulator
from bot.spenders import load_spenders
from bot.store import Store
from bot.sync import sync_providers
from tests import clock_support

pytestmark = pytest.mark.dates

NOW = clock_support.NOW
TODAY = NOW.date()
ONE = timedelta(days=1)


def synced_store(sim: Simulator, path: Path) -> Store:
    settings = Settings(
        anthropic_admin_key=Secret(ANTHROPIC_KEY),
        openai_admin_key=Secret(OPENAI_KEY),
        anthropic_base_url=sim.anthropic_url,
        openai_base_url=sim.openai_url,
    )
    providers = build_providers(settings, timeout=10.0, sleep=lambda _: None)
    store = Store(path)
    try:
        results = sync_providers(store, providers, now=NOW, backfill_days=30, days=None)
    finally:
        for provider in providers:
            provider.close()
    assert [r.ok for r in results] == [True, True], [r.error for r in results]
    return store


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(today=TODAY) as running:
        yield running


def billed_by_provider(store: Store, word: str) -> dict[str, Decimal]:
    report = load_report(store, parse_period(word, TODAY), now=NOW, configured=("anthropic", "openai"), budget_usd=None)
    return {line.provider: line.total for line in report.providers}


def test_keys_and_users_reconcile_exactly_with_the_simulated_cost_endpoints(sim: Simulator, tmp_path: Path) -> None:
    with synced_store(sim, tmp_path / "a.db") as store:
        period = parse_period("week", TODAY)
        keys = load_spenders(store, period, KEY, people=True)
        users = load_spenders(store, period, USER, people=True)
        billed = billed_by_provider(store, "week")
    end = period.end + ONE
    # every key line is billed, and per provider the keys add up to the billed total to the nano-dollar
    assert {line.basis for line in keys.lines} == {BILLED}
    for provider in ("anthropic", "openai"):
        assert sum(line.total for line in keys.lines if line.provider == provider) == billed[provider]
        assert billed[provider] == nano_to_usd(sim.org.expected_cost_nano(provider, period.start, end))
    # and each OpenAI key is exactly what costs grouped by api_key_id served for it
    served = sim.org.expected_key_cost_nano(period.start, end)
    openai_keys = {line.id: line.total for line in keys.lines if line.provider == "openai"}
    assert openai_keys == {key: nano_to_usd(nano) for key, nano in served.items() if nano}
    # Anthropic's per-key and per-actor figures are what its analytics API served
    analytics: dict[tuple[str, str], int] = {}
    day = period.start
    while day < end:
        for who, nano in sim.org.key_cost_nano(day).items():
            analytics[who] = analytics.get(who, 0) + nano
        day += ONE
    anthropic_keys = {line.id: line.total for line in keys.lines if line.provider == "anthropic"}
    assert anthropic_keys == {k: nano_to_usd(n) for (kind, k), n in analytics.items() if kind == "key" and n}
    # the null key is named by each provider's own words
    names = {(line.provider, line.id): line.name for line in keys.lines}
    assert names[("anthropic", NO_KEY)] == "Console / Workbench"
    assert names[("openai", NO_KEY)] == "No API key"
    # users: Anthropic's are billed (the analytics API's user actors), OpenAI's are token shares
    assert {line.basis for line in users.lines if line.provider == "anthropic"} == {BILLED}
    assert {line.basis for line in users.lines if line.provider == "openai"} == {TOKEN_SHARE}
    anthropic_users = {line.id: line.total for line in users.lines if line.provider == "anthropic"}
    assert anthropic_users == {k: nano_to_usd(n) for (kind, k), n in analytics.items() if kind == "user_actor" and n}


def test_a_refused_cost_by_key_leaves_token_shares_that_sum_to_the_bill(sim: Simulator, tmp_path: Path) -> None:
    sim.org.openai_key_costs = False  # the live API answered costs group_by=api_key_id with a 400
    with synced_store(sim, tmp_path / "a.db") as store:
        period = parse_period("week", TODAY)
        keys = load_spenders(store, period, KEY, people=False)
        billed = billed_by_provider(store, "week")
    openai = [line for line in keys.lines if line.provider == "openai"]
    assert openai and {line.basis for line in openai} == {TOKEN_SHARE}
    # shares split only the billed spend some key's tokens cover; the rest is a note, never someone's
    assert sum(line.total for line in openai) <= billed["openai"]
    assert any("OpenAI refused cost by API key" in note for note in keys.notes), keys.notes
    # the bill itself is unchanged by the refusal
    end = period.end + ONE
    assert billed["openai"] == nano_to_usd(sim.org.expected_cost_nano("openai", period.start, end))
