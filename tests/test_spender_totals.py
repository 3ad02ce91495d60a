"""Each day's per-spender dollars kept with the day (issue 11 §7, migration 007): the store's summed split equals
splitting every row at read time, on a database written by this release, on one upgraded from the release before
(which has the spender rows but not the table), after a re-sync of a window, and after a refused write."""

from __future__ import annotations

import sqlite3
from datetime import date
from pathlib import Path

import pytest

from bot.errors import StoreError
from bot.periods import parse_period
from bot.records import KEY, USER, SpenderUsage
from bot.spender_split import kind_rows
from bot.store import Store
from tests.spender_data import ONE, anthropic_week, openai_week, synced_at

pytestmark = pytest.mark.dates

PERIODS = ("today", "week", "14d", "30d")


def _mixed(path: Path, today: date) -> None:
    """Billed, token-share and not-fetched days of both providers."""
    end = today - ONE
    with Store(path) as store:
        store.replace_provider_data(anthropic_week(end - 14 * ONE, basis=False), synced_at(today))
        store.replace_provider_data(anthropic_week(end - 7 * ONE, billed=False), synced_at(today))
        store.replace_provider_data(anthropic_week(end), synced_at(today))
        store.replace_provider_data(openai_week(end), synced_at(today))


def _check_against_every_row(store: Store, today: date) -> int:
    """Assert the store's figures are the pure model's for every period and kind; the number of lines seen."""
    seen = 0
    for word in PERIODS:
        period = parse_period(word, today)
        rows = store.spender_rows(period.start, period.end)
        for kind in (KEY, USER):
            fast = store.spender_kind_rows(period.start, period.end, kind)
            assert fast == kind_rows(rows, period.dates(), kind)
            seen += len(fast.totals)
    return seen


def test_the_kept_split_is_the_split_of_every_row(tmp_path: Path, today: date) -> None:
    _mixed(tmp_path / "a.db", today)
    with Store(tmp_path / "a.db") as store:
        assert _check_against_every_row(store, today) > 0


def test_a_database_from_the_release_before_gains_the_totals_with_every_figure(tmp_path: Path, today: date) -> None:
    path = tmp_path / "before.db"
    _mixed(path, today)
    with Store(path) as store:
        expected = {word: store.spender_kind_rows(*_span(word, today), KEY) for word in PERIODS}
    conn = sqlite3.connect(path)  # what that release left: the spender rows, no table, no migration 007
    with conn:
        conn.execute("DROP TABLE spender_totals_daily")
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = '007_spender_totals'")
    conn.close()
    with Store(path) as store:
        assert "007_spender_totals" in store.applied_migrations()
        assert {word: store.spender_kind_rows(*_span(word, today), KEY) for word in PERIODS} == expected
        assert _check_against_every_row(store, today) > 0


def test_a_resync_and_a_refused_write_keep_the_totals_true(tmp_path: Path, today: date) -> None:
    path = tmp_path / "a.db"
    _mixed(path, today)
    end = today - ONE
    with Store(path) as store:
        # the window again, as a token-share week now: every day of it is split anew
        store.replace_provider_data(anthropic_week(end, billed=False), synced_at(today))
        _check_against_every_row(store, today)
        before = store.spender_kind_rows(*_span("30d", today), KEY)
        bad = anthropic_week(end)
        bad.spender_usage.append(SpenderUsage("anthropic", end, KEY, "k", "", "m", 1.5, 1, 0, 0))  # type: ignore[arg-type]
        with pytest.raises(StoreError):
            store.replace_provider_data(bad, synced_at(today))
        assert store.spender_kind_rows(*_span("30d", today), KEY) == before


def _span(word: str, today: date) -> tuple[date, date]:
    period = parse_period(word, today)
    return period.start, period.end
