"""The spender tables (issue 11): written with the rest of a provider's window, replaced like it, read back
exactly; "not fetched" kept apart from zero; names kept like workspace names; an old database upgrades."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from bot.errors import StoreError
from bot.records import BILLED, KEY, TOKEN_SHARE, USER, ProviderData, SpenderBasis, SpenderLabel, SpenderUsage
from bot.store import Store
from tests.spender_data import ONE, anthropic_week, openai_week, synced_at

pytestmark = pytest.mark.dates

FIRST_RELEASE = Path(__file__).parent / "data" / "first-release.sqlite"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "aispend.db") as opened:
        yield opened


def test_spender_rows_are_stored_with_the_window_and_read_back_exactly(store: Store, today: date) -> None:
    end = today - ONE
    store.replace_provider_data(anthropic_week(end), synced_at(today))
    rows = store.spender_rows(end - 6 * ONE, end)
    assert rows.costs[(end, "anthropic", KEY, "key_alice", "wrk_batch", "claude-opus-4-8")] == 25_000_000_001
    assert rows.tokens[(end, "anthropic", KEY, "key_ci", "wrk_batch", "claude-opus-4-8")] == 2_010
    assert rows.basis[(end, "anthropic", KEY)] == (BILLED, None)
    assert rows.scopes[(end, "anthropic", "wrk_batch", "claude-opus-4-8")] == 100_000_000_001
    assert len([k for k in rows.basis if k[2] == KEY]) == 7


def test_a_resync_replaces_the_window_and_a_provider_without_spenders_leaves_those_days_not_fetched(
    store: Store, today: date
) -> None:
    end = today - ONE
    store.replace_provider_data(anthropic_week(end), synced_at(today))
    store.replace_provider_data(anthropic_week(end, basis=False), synced_at(today))
    rows = store.spender_rows(end - 6 * ONE, end)
    # no old per-key figure sits beside a new total, and nothing says $0: the days have no basis at all
    assert rows.costs == {} and rows.tokens == {} and rows.basis == {}
    assert rows.scopes  # the billed figures are there


def test_records_of_a_kind_without_a_basis_are_a_provider_bug(store: Store, today: date) -> None:
    end = today - ONE
    store.replace_provider_data(openai_week(end), synced_at(today))
    data = openai_week(end)
    data.spender_basis = [b for b in data.spender_basis if b.kind != USER]
    with pytest.raises(StoreError, match="without a SpenderBasis"):
        store.replace_provider_data(data, synced_at(today))
    assert store.spender_rows(end, end).basis[(end, "openai", USER)][0] == TOKEN_SHARE  # nothing changed


def test_spender_records_outside_the_window_are_refused(store: Store, today: date) -> None:
    data = ProviderData("openai", today - ONE, today, spender_basis=[SpenderBasis("openai", KEY, TOKEN_SHARE, "x")])
    data.spender_usage.append(SpenderUsage("openai", today, KEY, "k", "", "m", 1, 1, 0, 0, 1))
    with pytest.raises(StoreError, match="outside the fetched days"):
        store.replace_provider_data(data, synced_at(today))


def test_names_are_kept_like_workspace_names(store: Store, today: date) -> None:
    end = today - ONE
    store.replace_provider_data(anthropic_week(end), synced_at(today))
    later = ProviderData("anthropic", today, today + ONE)
    later.spender_labels += [
        SpenderLabel("anthropic", KEY, "key_ci", "ci-nightly-v2", "", "", "", None, "active"),  # renamed
        SpenderLabel("anthropic", USER, "user_alice", "", "", "", "", None, "deleted"),  # deleted, no name
    ]
    store.replace_provider_data(later, synced_at(today + ONE))
    labels = store.spender_labels()
    assert labels[("anthropic", KEY, "key_ci")].name == "ci-nightly-v2"
    assert labels[("anthropic", KEY, "key_ci")].workspace_id == "wrk_batch"
    alice = labels[("anthropic", USER, "user_alice")]
    assert (alice.name, alice.status, alice.email) == ("Alice Example", "deleted", "alice.secret@example.com")
    assert labels[("anthropic", KEY, "key_alice")].status == "archived"  # not in the new list: left alone


def _tables(path: Path) -> dict[str, list[tuple[object, ...]]]:
    conn = sqlite3.connect(path)
    try:
        names = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: sorted(conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in names}
    finally:
        conn.close()


def test_the_first_release_database_keeps_every_figure_and_gains_spenders_on_its_next_sync(
    tmp_path: Path, today: date
) -> None:
    path = tmp_path / "old.db"
    shutil.copyfile(FIRST_RELEASE, path)
    before = _tables(path)
    with Store(path) as store:
        assert "005_spenders" in store.applied_migrations()
        after = _tables(path)
        assert {t: after[t] for t in before if t != "_sqlite_migrations"} == {
            t: v for t, v in before.items() if t != "_sqlite_migrations"
        }
        assert {"spender_usage_daily", "spender_cost_daily", "spender_basis_daily", "spender_labels"} <= set(after)
        old_days = store.spender_rows(date(2026, 11, 1), date(2026, 12, 1))
        assert old_days.basis == {} and old_days.scopes  # old figures, no spender days: "not fetched"
        end = today - ONE
        store.replace_provider_data(anthropic_week(end), synced_at(today))
        assert store.spender_rows(end, end).basis[(end, "anthropic", KEY)] == (BILLED, None)
    conn = sqlite3.connect(path)
    try:
        strict = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'spender_cost_daily'").fetchone()[0]
        assert "STRICT" in strict
        with pytest.raises(sqlite3.IntegrityError):
            conn.execute("INSERT INTO spender_cost_daily VALUES ('2026-01-01', 'x', 'key', 'k', '', '', 1.5)")
    finally:
        conn.close()
