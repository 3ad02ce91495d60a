"""Spender sums become records as each part's days complete (issue 11 §7: a 2,000-key backfill's memory), with
the same records, in the same key order, as summing everything to the end gave."""

from __future__ import annotations

from datetime import date, timedelta

from bot.config import Secret
from bot.providers.anthropic import AnthropicProvider
from bot.providers.anthropic_spenders import analytics_costs
from bot.providers.collect import Collected, Tokens
from bot.providers.http import FetchSession
from bot.records import BILLED, KEY, TOKEN_SHARE, USER, ProviderData, SpenderBasis, SpenderCost, SpenderUsage
from bot.simulator import ANTHROPIC_KEY, Simulator

TODAY = date(2026, 11, 22)
D1, D2 = TODAY - timedelta(days=2), TODAY - timedelta(days=1)


def _part(day: date, *keys: str) -> Collected:
    part = Collected()
    for n, key in enumerate(keys, start=1):
        part.spenders.add_usage((day, KEY, key, "ws", "m"), Tokens(input=n, output=1, requests=1))
        part.spenders.add_cost((day, KEY, key, "ws", "m"), 10 * n)
    return part


def _data(*parts: Collected, refused: bool = False) -> ProviderData:
    whole = Collected()
    for part in parts:
        whole.merge(part)
    whole.spenders.set_basis(SpenderBasis("anthropic", KEY, BILLED))
    if refused:
        whole.spenders.set_basis(SpenderBasis("anthropic", KEY, TOKEN_SHARE, "refused"), refused=True)
    return whole.to_data("anthropic", D1, TODAY, 0)


def test_a_sealed_part_holds_records_not_sums() -> None:
    part = _part(D1, "k2", "k1").seal("anthropic")
    assert (part.spenders.usage, part.spenders.costs) == ({}, {})
    assert part.spenders.usage_records == [
        SpenderUsage("anthropic", D1, KEY, "k1", "ws", "m", 2, 1, 0, 0, 1),
        SpenderUsage("anthropic", D1, KEY, "k2", "ws", "m", 1, 1, 0, 0, 1),
    ]
    assert [c.amount_nano for c in part.spenders.cost_records] == [20, 10]


def test_sealed_parts_give_the_records_unsealed_sums_give_in_key_order() -> None:
    unsealed = _data(_part(D2, "k1"), _part(D1, "k2", "k1"))
    # merged newest first, as a provider answering out of order would: still in key order
    sealed = _data(_part(D2, "k1").seal("anthropic"), _part(D1, "k2", "k1").seal("anthropic"))
    assert sealed.spender_usage == unsealed.spender_usage
    assert sealed.spender_costs == unsealed.spender_costs
    assert [(u.day, u.spender_id) for u in sealed.spender_usage] == [(D1, "k1"), (D1, "k2"), (D2, "k1")]


def test_a_refusal_drops_the_sealed_cost_records_of_its_kind() -> None:
    user = Collected()
    user.spenders.add_cost((D1, USER, "u1", "ws", "m"), 7)
    user.spenders.set_basis(SpenderBasis("anthropic", USER, BILLED))
    data = _data(_part(D1, "k1").seal("anthropic"), user.seal("anthropic"), refused=True)
    assert data.spender_costs == [SpenderCost("anthropic", D1, USER, "u1", "ws", "m", 7)]
    assert [u.spender_id for u in data.spender_usage] == ["k1"]


def test_an_analytics_chunk_comes_back_as_records() -> None:
    with Simulator(today=TODAY) as sim:
        provider = AnthropicProvider(Secret(ANTHROPIC_KEY), sim.anthropic_url)
        try:
            lo, hi = TODAY - timedelta(days=6), TODAY + timedelta(days=1)
            part = analytics_costs(provider.analytics, lo, hi, lo, hi, FetchSession())
        finally:
            provider.close()
    assert part.spenders.costs == {}
    assert part.spenders.cost_records
    assert sum(c.amount_nano for c in part.spenders.cost_records if c.kind == KEY) == sum(
        nano
        for day in range(7)
        for (who, _), nano in sim.org.key_cost_nano(lo + timedelta(days=day)).items()
        if who == "key"
    )
