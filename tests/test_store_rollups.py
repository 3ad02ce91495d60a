"""bot.store.rollups: the monthly and per-tier rollups must give exactly what summing the daily tables gives,
for any range, after any re-sync, and after the migration fills them in on an existing database."""

from __future__ import annotations

import random
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import NamedTuple

import pytest

from bot.records import CostRecord, ProviderData, UsageRecord
from bot.store import Store

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
FIRST, END = date(2026, 1, 27), date(2026, 11, 23)  # end excluded: ten ragged months


def history(provider: str, start: date, end: date, scale: int = 1) -> ProviderData:
    data = ProviderData(provider, start, end)
    day = start
    while day < end:
        n = day.toordinal()
        for w, workspace in enumerate(("", "ws_a", "ws_b")):
            for m, model in enumerate(("", "model-x", "model-y")):
                amount = ((n * 7 + w * 31 + m * 17) % 997 + 1) * 1_000_003 * scale
                data.costs.append(CostRecord(provider, day, workspace, model, "item", "standard", amount))
                data.usage.append(UsageRecord(provider, day, workspace, model, "standard", amount % 1000, w, m, 1, 2))
        if n % 5 == 0:
            data.usage.append(UsageRecord(provider, day, "ws_a", "model-x", "priority", 10, 1, 0, 0, 1))
        day += timedelta(days=1)
    return data


class Figures(NamedTuple):
    models: dict[tuple[str, str], int]
    workspaces: dict[tuple[str, str], int]
    tokens: tuple[int, int, int, int]
    tiers: list[tuple[date, str]]


def reference(db: Path, start: date, end: date) -> Figures:
    """The same figures summed from the daily tables, the slow way."""
    conn = sqlite3.connect(db)
    args = (start.isoformat(), end.isoformat())
    try:
        models = conn.execute(
            "SELECT provider, model, SUM(amount_nano) FROM spend_model_daily WHERE day BETWEEN ? AND ? "
            "GROUP BY provider, model",
            args,
        ).fetchall()
        workspaces = conn.execute(
            "SELECT provider, workspace_id, SUM(amount_nano) FROM spend_workspace_daily WHERE day BETWEEN ? AND ? "
            "GROUP BY provider, workspace_id",
            args,
        ).fetchall()
        tokens = conn.execute(
            "SELECT COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0), "
            "COALESCE(SUM(cache_read_tokens), 0), COALESCE(SUM(cache_write_tokens), 0) "
            "FROM usage_daily WHERE day BETWEEN ? AND ?",
            args,
        ).fetchone()
        tiers = conn.execute(
            "SELECT DISTINCT day, provider FROM usage_daily WHERE day BETWEEN ? AND ? AND service_tier = 'priority' "
            "ORDER BY day, provider",
            args,
        ).fetchall()
    finally:
        conn.close()
    return Figures(
        {(p, m): n for p, m, n in models},
        {(p, w): n for p, w, n in workspaces},
        (tokens[0], tokens[1], tokens[2], tokens[3]),
        [(date.fromisoformat(d), p) for d, p in tiers],
    )


def figures(store: Store, start: date, end: date) -> Figures:
    tokens = store.token_totals(start, end)
    return Figures(
        store.model_totals(start, end),
        store.workspace_totals(start, end),
        (tokens.input, tokens.output, tokens.cache_read, tokens.cache_write),
        store.tier_usage_days(start, end, ("priority",)),
    )


def ranges() -> list[tuple[date, date]]:
    rng = random.Random(6)
    picked = [
        (FIRST, END),  # everything
        (date(2026, 3, 1), date(2026, 3, 31)),  # exactly one month
        (date(2026, 3, 1), date(2026, 4, 30)),  # two whole months
        (date(2026, 2, 15), date(2026, 2, 20)),  # inside one month
        (date(2026, 2, 28), date(2026, 3, 1)),  # across a month boundary, no whole month
        (date(2025, 12, 1), date(2027, 1, 31)),  # wider than the data
        (date(2026, 11, 22), date(2026, 11, 22)),  # one day
    ]
    for _ in range(40):
        start = FIRST + timedelta(days=rng.randrange(0, 300))
        picked.append((start, start + timedelta(days=rng.randrange(0, 200))))
    return picked


@pytest.fixture
def filled(tmp_path: Path) -> tuple[Store, Path]:
    path = tmp_path / "aispend.db"
    store = Store(path)
    for provider in ("anthropic", "openai"):
        store.replace_provider_data(history(provider, FIRST, END), NOW)
    return store, path


def test_rollups_equal_the_daily_sums_for_any_range(filled: tuple[Store, Path]) -> None:
    store, path = filled
    with store:
        for start, end in ranges():
            assert figures(store, start, end) == reference(path, start, end), (start, end)


def test_a_resync_inside_a_month_updates_that_month(filled: tuple[Store, Path]) -> None:
    store, path = filled
    with store:
        march = (date(2026, 3, 1), date(2026, 3, 31))
        before = figures(store, *march)
        # the provider revised three days in the middle of March: amounts doubled
        store.replace_provider_data(history("openai", date(2026, 3, 10), date(2026, 3, 13), scale=2), NOW)
        after = figures(store, *march)
        assert after == reference(path, *march)
        assert after.models != before.models
        untouched = {k: v for k, v in before.models.items() if k[0] == "anthropic"}
        assert {k: v for k, v in after.models.items() if k[0] == "anthropic"} == untouched
        for start, end in ranges():
            assert figures(store, start, end) == reference(path, start, end), (start, end)


def test_the_migration_fills_the_rollups_of_an_existing_database(filled: tuple[Store, Path]) -> None:
    store, path = filled
    store.close()
    # the database as it was before 002_report_rollups existed
    conn = sqlite3.connect(path)
    for table in ("usage_tier_daily", "spend_model_monthly", "spend_workspace_monthly"):
        conn.execute(f"DROP TABLE {table}")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = '002_report_rollups'")
    conn.commit()
    conn.close()
    with Store(path) as reopened:
        assert reopened.pending_migrations() == []
        for start, end in ranges():
            assert figures(reopened, start, end) == reference(path, start, end), (start, end)
