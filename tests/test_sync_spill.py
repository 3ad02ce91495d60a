"""A fetch's records set aside on disk (issue 11 §7: the backfill's memory is bounded by a part, not the window).

Against the simulator on 127.0.0.1 at a fixed today: a fetch given a RecordSpill holds no record in its lists
and reads back exactly the records an in-memory fetch holds (costs, usage, per-spender usage and cost, usage by
kind and priced usage, with a refusal in one analytics chunk voiding every billed per-key cost and one in a
usage kind's chunk every record of that kind); a sync through it writes the same database as
one that stores in-memory data; and its temporary files are gone afterwards.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.config import Secret
from bot.providers.anthropic import AnthropicProvider
from bot.providers.base import Provider
from bot.providers.openai import OpenAIProvider
from bot.records import ProviderData
from bot.simulator import ANTHROPIC_KEY, OPENAI_KEY, Fault, Simulator
from bot.spill import RecordSpill
from bot.store import Store
from bot.sync import sync_providers

pytestmark = pytest.mark.dates

TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
END = TODAY + timedelta(days=1)
START = TODAY - timedelta(days=69)  # three analytics chunks, three usage chunks
ANALYTICS = "/v1/organizations/analytics/cost"
IMAGES = "/v1/organization/usage/images"  # one usage kind, read in three chunks


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(today=TODAY) as simulator:
        yield simulator


def _providers(sim: Simulator) -> list[Provider]:
    quiet: Callable[[float], None] = lambda _: None  # noqa: E731
    return [
        AnthropicProvider(Secret(ANTHROPIC_KEY), sim.anthropic_url, timeout=10.0, sleep=quiet),
        OpenAIProvider(Secret(OPENAI_KEY), sim.openai_url, timeout=10.0, sleep=quiet),
    ]


def _records(data: ProviderData) -> dict[str, list[Any]]:
    every = {
        "costs": data.all_costs(),
        "usage": data.all_usage(),
        "spender_usage": data.all_spender_usage(),
        "spender_costs": data.all_spender_costs(),
        "usage_kinds": data.all_usage_kinds(),
        "priced_usage": data.all_priced_usage(),
    }
    return {name: sorted(records, key=repr) for name, records in every.items()}


@pytest.mark.parametrize("refused_chunk", [False, True])
def test_a_spilled_fetch_holds_nothing_in_memory_and_reads_back_every_record(
    sim: Simulator, tmp_path: Path, refused_chunk: bool
) -> None:
    for provider in _providers(sim):
        try:
            if refused_chunk:
                sim.inject(Fault("anthropic", ANALYTICS, status=403, times=1))
                sim.inject(Fault("openai", IMAGES, status=400, times=1))
            held = provider.fetch(START, END)
            if refused_chunk:
                sim.inject(Fault("anthropic", ANALYTICS, status=403, times=1))
                sim.inject(Fault("openai", IMAGES, status=400, times=1))
            with RecordSpill(tmp_path) as spill:
                spilled = provider.fetch(START, END, spill)
                assert spilled.costs == spilled.usage == spilled.spender_usage == spilled.spender_costs == []
                assert spilled.usage_kinds == spilled.priced_usage == []
                assert spilled.fetched_rows() == len(held.costs) + len(held.usage) > 0
                assert _records(spilled) == _records(held)
                assert _records(held)["spender_usage"] and _records(held)["usage_kinds"]
                assert _records(held)["priced_usage"]
                # a kind refused in one chunk has no record in the whole window, set aside or held
                if provider.name == "openai":
                    assert ("images" in spilled.usage_kinds_fetched) is not refused_chunk
                    assert any(r.kind == "images" for r in spilled.all_usage_kinds()) is not refused_chunk
                assert bool(_records(held)["spender_costs"]) is not (refused_chunk and provider.name == "anthropic")
                assert (spilled.labels, spilled.spender_labels, spilled.spender_basis, spilled.cost_gaps) == (
                    held.labels,
                    held.spender_labels,
                    held.spender_basis,
                    held.cost_gaps,
                )
        finally:
            provider.close()


def _tables(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    conn = sqlite3.connect(path)
    try:
        names = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        skip = {"sync_log", "day_fetches", "_sqlite_migrations"}  # times and ids of the run itself
        return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall()) for t in names if t not in skip}
    finally:
        conn.close()


def test_a_sync_writes_through_the_spill_what_in_memory_data_writes(sim: Simulator, tmp_path: Path) -> None:
    synced, stored = tmp_path / "synced", tmp_path / "stored"
    synced.mkdir()
    stored.mkdir()
    providers = _providers(sim)
    try:
        with Store(synced / "aispend.db") as store:
            results = sync_providers(store, providers, now=NOW, backfill_days=70)
        assert all(r.ok for r in results) and sum(r.rows for r in results) > 0
        with Store(stored / "aispend.db") as store:
            for provider in providers:
                data = provider.fetch(START, END)
                data.caps = provider.fetch_caps(data)  # as a sync reads them after the window
                store.replace_provider_data(data, NOW)
    finally:
        for provider in providers:
            provider.close()
    assert _tables(synced / "aispend.db") == _tables(stored / "aispend.db")
    # the spill files were unnamed and are closed: nothing is left beside the database
    assert sorted(os.listdir(synced)) == ["aispend.db"]
