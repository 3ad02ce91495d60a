"""bot.sync: windows, concurrency, failure isolation and the sync log, against the bundled simulator.

The end-to-end tests run the real provider clients against the real loopback simulator; a few edge cases
(unexpected exceptions, a wrong window, proof of concurrency) use small Provider classes defined here.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bot.config import Secret, Settings, load_settings
from bot.errors import ProviderAuthError, UsageError
from bot.providers import build_providers
from bot.providers.base import OrgIdentity, Provider
from bot.records import CapsFetch, CostRecord, ProviderData, SyncState, UsageRecord
from bot.simulator import ANTHROPIC_KEY, OPENAI_KEY, Fault, Simulator
from bot.spill import RecordSpill
from bot.store import Store
from bot.sync import SyncResult, sync_providers, sync_window
from tests import clock_support
from tests.env_support import environment

pytestmark = pytest.mark.dates  # every window here is counted from NOW, the suite's clock

NOW = clock_support.NOW
TODAY = NOW.date()
NOW_Z = f"{NOW:%Y-%m-%dT%H:%M:%SZ}"
ONE = timedelta(days=1)
BACKFILL = 30


def ago(n: int) -> date:
    return TODAY - n * ONE


def query(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return [tuple(row) for row in conn.execute(sql).fetchall()]
    finally:
        conn.close()


# ---- windows ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("synced", "days", "expected_start"),
    [
        (None, None, ago(89)),  # first sync: backfill
        (None, 7, ago(6)),  # --days wins over backfill
        ((ago(89), TODAY), None, ago(2)),  # synced through today: just the trailing window
        ((ago(89), ago(1)), None, ago(3)),  # synced through yesterday: yesterday's trailing window, and today
        ((ago(89), ago(10)), None, ago(12)),  # down for 9 days: the gap is filled
        ((ago(400), ago(200)), None, ago(89)),  # down for longer than the backfill: never before its horizon
        ((ago(89), TODAY), 400, ago(399)),  # --days may reach past the backfill horizon
    ],
)
def test_sync_window(synced: tuple[date, date] | None, days: int | None, expected_start: date) -> None:
    assert sync_window(TODAY, synced, backfill_days=90, days=days, trailing_days=3) == (expected_start, TODAY + ONE)


# ---- with the simulator -------------------------------------------------------------------------------------


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(today=TODAY) as running:
        yield running


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "aispend.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    with Store(db_path) as opened:
        yield opened


def providers_for(sim: Simulator, anthropic_key: str = ANTHROPIC_KEY, openai_key: str = OPENAI_KEY) -> list[Provider]:
    settings = Settings(
        anthropic_admin_key=Secret(anthropic_key),
        openai_admin_key=Secret(openai_key),
        anthropic_base_url=sim.anthropic_url,
        openai_base_url=sim.openai_url,
    )
    return build_providers(settings, timeout=10.0, sleep=lambda _: None)


def sync(
    store: Store, providers: list[Provider], now: datetime = NOW, days: int | None = None, backfill: int = BACKFILL
) -> list[SyncResult]:
    return sync_providers(store, providers, now=now, backfill_days=backfill, days=days)


def requests_by_provider(sim: Simulator, since: int = 0) -> dict[str, int]:
    counts: dict[str, int] = {}
    for request in sim.requests[since:]:
        counts[request.provider] = counts.get(request.provider, 0) + 1
    return counts


def stored_rows(path: Path, provider: str) -> int:
    [(costs,)] = query(path, f"SELECT COUNT(*) FROM cost_daily WHERE provider = '{provider}'")
    [(usage,)] = query(path, f"SELECT COUNT(*) FROM usage_daily WHERE provider = '{provider}'")
    return int(str(costs)) + int(str(usage))


def provider_total(store: Store, provider: str, start: date, end_excl: date) -> int:
    totals = store.daily_totals(start, end_excl - ONE)
    return sum(amount for (_, name), amount in totals.items() if name == provider)


def assert_matches_simulator(store: Store, sim: Simulator, start: date, end_excl: date) -> None:
    for name in ("anthropic", "openai"):
        expected = sim.org.expected_cost_nano(name, start, end_excl)
        assert expected > 0
        assert provider_total(store, name, start, end_excl) == expected, name


def test_first_sync_backfills_and_matches_the_simulator_exactly(sim: Simulator, store: Store, db_path: Path) -> None:
    providers = providers_for(sim)
    results = sync(store, providers)
    requests = requests_by_provider(sim)
    start, end = ago(BACKFILL - 1), TODAY + ONE
    assert results == [
        SyncResult("anthropic", True, start, end, stored_rows(db_path, "anthropic"), requests["anthropic"], None, []),
        SyncResult("openai", True, start, end, stored_rows(db_path, "openai"), requests["openai"], None, []),
    ]
    assert all(result.rows > 0 for result in results)
    assert_matches_simulator(store, sim, start, end)
    assert query(db_path, "SELECT * FROM sync_log ORDER BY id") == [
        (1, "anthropic", NOW_Z, NOW_Z, "ok", None, results[0].rows, start.isoformat(), end.isoformat()),
        (2, "openai", NOW_Z, NOW_Z, "ok", None, results[1].rows, start.isoformat(), end.isoformat()),
    ]
    assert store.data_range("anthropic") == store.data_range("openai") == (start, TODAY)
    # the archived workspace keeps its name
    names = {label.name for label in store.labels().values()}
    assert {"production", "batch-jobs", "research", "web-app", "data-pipeline", "legacy-bot"} <= names
    for provider in providers:
        provider.close()


def test_second_sync_is_incremental_and_counts_nothing_twice(sim: Simulator, store: Store) -> None:
    providers = providers_for(sim)
    first = sync(store, providers, backfill=90)
    mark = len(sim.requests)
    second = sync(store, providers, now=NOW + timedelta(hours=1))
    assert [(r.provider, r.ok, r.start, r.end) for r in second] == [
        ("anthropic", True, ago(2), TODAY + ONE),
        ("openai", True, ago(2), TODAY + ONE),
    ]
    fresh = requests_by_provider(sim, mark)
    assert {r.provider: r.requests for r in second} == fresh
    # a 3-day window is one page of each report plus the labels, far fewer than the backfill; Anthropic adds the
    # analytics cost and the key and user lists, OpenAI the users and its 2 projects' keys. Usage by kind adds
    # one page each: Anthropic's usage by context window and geo, OpenAI's 9 other usage endpoints
    for result, before in zip(second, first, strict=True):
        assert result.requests < before.requests
        # Anthropic also makes Claude Code's one request per day of the window; OpenAI lists users and 2 projects' keys
        # then the spend caps: Anthropic's one listing, OpenAI's organization limit and its 2 active projects'
        assert result.requests == {"anthropic": 7 + 3 + 1, "openai": 6 + 9 + 3}[result.provider]
    assert_matches_simulator(store, sim, ago(89), TODAY + ONE)
    for provider in providers:
        provider.close()


def test_a_gap_left_by_downtime_is_filled(sim: Simulator, store: Store) -> None:
    providers = providers_for(sim)
    sync(store, providers, now=NOW - 10 * ONE)
    results = sync(store, providers)
    # the last sync ended with day today-10, so its trailing window (today-12..today-10) and the gap are fetched
    assert [(r.provider, r.ok, r.start) for r in results] == [("anthropic", True, ago(12)), ("openai", True, ago(12))]
    assert_matches_simulator(store, sim, ago(BACKFILL - 1 + 10), TODAY + ONE)
    for provider in providers:
        provider.close()


def test_days_override_and_revised_days(sim: Simulator, store: Store) -> None:
    providers = providers_for(sim)
    sync(store, providers)
    sim.revise("openai", ago(5), factor=Decimal("1.5"))
    revised_total = sim.org.expected_cost_nano("openai", ago(5), ago(4))
    results = sync(store, providers, days=7)
    assert [(r.provider, r.ok, r.start, r.end) for r in results] == [
        ("anthropic", True, ago(6), TODAY + ONE),
        ("openai", True, ago(6), TODAY + ONE),
    ]
    assert provider_total(store, "openai", ago(5), ago(4)) == revised_total
    assert_matches_simulator(store, sim, ago(BACKFILL - 1), TODAY + ONE)
    for provider in providers:
        provider.close()


@pytest.mark.parametrize(
    ("days", "environ"),
    [(1, {}), (None, {"AISPEND_BACKFILL_DAYS": "32"}), (None, {"AISPEND_BACKFILL_DAYS": "1"}), (2, {})],
    ids=["--days 1", "AISPEND_BACKFILL_DAYS=32", "AISPEND_BACKFILL_DAYS=1", "--days 2"],
)
def test_windows_that_end_today_sync_whole(
    sim: Simulator, store: Store, tmp_path: Path, days: int | None, environ: dict[str, str]
) -> None:
    """`aispend sync` as the CLI runs it (settings from the environment), at a fixed now: the window ends with
    today's partial day, and no cost-report request is one the live API refuses (a range holding only today)."""
    settings = load_settings(environment(sim, None, tmp_path / "unused.db", **environ), tmp_path)
    providers = build_providers(settings, timeout=10.0, sleep=lambda _: None)
    results = sync_providers(store, providers, now=NOW, backfill_days=settings.backfill_days, days=days)
    start = TODAY - ((days or settings.backfill_days) - 1) * ONE
    assert [(r.provider, r.ok, r.start, r.end, r.error) for r in results] == [
        ("anthropic", True, start, TODAY + ONE, None),
        ("openai", True, start, TODAY + ONE, None),
    ]
    assert_matches_simulator(store, sim, start, TODAY + ONE)
    assert all(provider_total(store, name, TODAY, TODAY + ONE) > 0 for name in ("anthropic", "openai"))
    cost_starts = [r.query["starting_at"][0] for r in sim.requests if r.path == "/v1/organizations/cost_report"]
    assert cost_starts and all(date.fromisoformat(s[:10]) < TODAY for s in cost_starts)
    for provider in providers:
        provider.close()


def test_one_provider_failing_leaves_the_other_synced_and_its_own_data_intact(
    sim: Simulator, store: Store, db_path: Path
) -> None:
    providers = providers_for(sim)
    sync(store, providers)
    anthropic_before = query(db_path, "SELECT * FROM cost_daily WHERE provider = 'anthropic' ORDER BY 1, 3, 4, 5, 6")
    sim.inject(Fault(provider="anthropic", path=None, kind="status", status=500, times=None))
    sim.revise("openai", ago(1), factor=Decimal("2"))
    results = sync(store, providers, now=NOW + ONE / 2, days=10)
    anthropic, openai = results
    assert (anthropic.ok, anthropic.rows, anthropic.warnings) == (False, 0, [])
    assert anthropic.error is not None and "Anthropic" in anthropic.error
    assert (openai.ok, openai.error) == (True, None)
    assert query(db_path, "SELECT * FROM cost_daily WHERE provider = 'anthropic' ORDER BY 1, 3, 4, 5, 6") == (
        anthropic_before
    )
    assert provider_total(store, "openai", ago(BACKFILL - 1), TODAY + ONE) == sim.org.expected_cost_nano(
        "openai", ago(BACKFILL - 1), TODAY + ONE
    )
    later = f"{NOW + ONE / 2:%Y-%m-%dT%H:%M:%SZ}"
    assert store.sync_states()["anthropic"] == SyncState("anthropic", "error", later, later, anthropic.error, NOW_Z, 0)
    assert store.sync_states()["openai"] == SyncState("openai", "ok", later, later, None, later, openai.rows)
    for provider in providers:
        provider.close()


def test_a_refused_key_is_recorded_without_the_key(sim: Simulator, store: Store, db_path: Path) -> None:
    bad_key = "sk-ant-api03-not-an-admin-key"
    providers = providers_for(sim, anthropic_key=bad_key)
    anthropic, openai = sync(store, providers)
    assert anthropic.ok is False and openai.ok is True
    assert anthropic.error is not None and "ANTHROPIC_ADMIN_KEY" in anthropic.error
    assert [row for row in query(db_path, "SELECT * FROM sync_log") if bad_key in str(row)] == []
    assert query(db_path, "SELECT COUNT(*) FROM cost_daily WHERE provider = 'anthropic'") == [(0,)]
    assert store.data_range("anthropic") is None  # the next sync still backfills
    for provider in providers:
        provider.close()


# ---- with small local providers -----------------------------------------------------------------------------


class StaticProvider:
    """A provider that returns fixed records (or raises a fixed error), optionally waiting at a barrier."""

    key_variable = "STATIC_KEY"

    def __init__(
        self,
        name: str,
        amount: int = 0,
        error: Exception | None = None,
        barrier: threading.Barrier | None = None,
        shift: int = 0,
    ) -> None:
        self.name = name
        self.amount = amount
        self.error = error
        self.barrier = barrier
        self.shift = shift
        self.calls: list[tuple[date, date]] = []

    def fetch(self, start: date, end: date, spill: RecordSpill | None = None) -> ProviderData:
        self.calls.append((start, end))  # the records stay in the lists: the store writes both alike
        if self.barrier is not None:
            self.barrier.wait()
        if self.error is not None:
            raise self.error
        days = [start + i * ONE for i in range((end - start).days)]
        costs = [CostRecord(self.name, d, "", "m", "item", "", self.amount) for d in days]
        usage = [UsageRecord(self.name, d, "", "m", "", 1, 2, 0, 0, 1) for d in days]
        return ProviderData(self.name, start, end + self.shift * ONE, costs, usage, requests=2, warnings=["partial"])

    def fetch_caps(self, data: ProviderData) -> CapsFetch:
        return CapsFetch(self.name, ())

    def identity(self, today: date) -> OrgIdentity:
        return OrgIdentity(self.name, "org", "Org")

    def close(self) -> None:
        pass


def test_progress_reports_start_fetch_and_end(store: Store) -> None:
    events: list[tuple[str, str]] = []
    results = sync_providers(
        store, [StaticProvider("alpha", 5)], now=NOW, backfill_days=3, progress=lambda p, m: events.append((p, m))
    )
    assert results == [SyncResult("alpha", True, ago(2), TODAY + ONE, 6, 2, None, ["partial"])]
    assert events == [
        ("alpha", f"fetching {ago(2)} to {TODAY} (3 days, backfill)"),
        ("alpha", "fetched 6 rows in 2 requests"),
        ("alpha", "done: 6 rows written, 1 warning(s)"),
    ]
    events.clear()
    sync_providers(
        store, [StaticProvider("alpha", 5)], now=NOW, backfill_days=3, progress=lambda p, m: events.append((p, m))
    )
    assert events[0] == ("alpha", f"fetching {ago(2)} to {TODAY} (3 days, incremental)")


def test_providers_fetch_concurrently(store: Store) -> None:
    # each fetch waits until both are inside fetch(); run one after the other, the barrier would break
    barrier = threading.Barrier(2, timeout=10)
    providers = [StaticProvider("alpha", 1, barrier=barrier), StaticProvider("beta", 2, barrier=barrier)]
    results = sync_providers(store, providers, now=NOW, backfill_days=2)
    assert [(r.provider, r.ok, r.error) for r in results] == [("alpha", True, None), ("beta", True, None)]
    assert store.daily_totals(TODAY, TODAY) == {(TODAY, "alpha"): 1, (TODAY, "beta"): 2}


def test_unexpected_errors_are_logged_and_recorded_without_their_message(
    store: Store, db_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secretive = StaticProvider("alpha", error=RuntimeError("boom with sk-admin-secret inside"))
    refused = StaticProvider("beta", error=ProviderAuthError("beta", "Beta refused BETA_KEY; create a new key."))
    with caplog.at_level(logging.INFO, logger="bot.sync"):
        results = sync_providers(store, [secretive, refused, StaticProvider("gamma", 9)], now=NOW, backfill_days=1)
    assert results == [
        SyncResult("alpha", False, TODAY, TODAY + ONE, 0, 0, "unexpected error: RuntimeError; see the bot's log", []),
        SyncResult("beta", False, TODAY, TODAY + ONE, 0, 0, "Beta refused BETA_KEY; create a new key.", []),
        SyncResult("gamma", True, TODAY, TODAY + ONE, 2, 2, None, ["partial"]),
    ]
    assert query(db_path, "SELECT provider, status, error, rows FROM sync_log ORDER BY id") == [
        ("alpha", "error", "unexpected error: RuntimeError; see the bot's log", 0),
        ("beta", "error", "Beta refused BETA_KEY; create a new key.", 0),
        ("gamma", "ok", None, 2),
    ]
    logged = [(r.levelname, r.getMessage(), r.exc_info is not None) for r in caplog.records]
    assert sorted(logged) == [
        ("ERROR", "sync of alpha failed with an unexpected error", True),
        ("INFO", "sync of beta failed: Beta refused BETA_KEY; create a new key.", False),
    ]


def test_data_for_another_window_is_refused(store: Store) -> None:
    [result] = sync_providers(store, [StaticProvider("alpha", 1, shift=1)], now=NOW, backfill_days=1)
    assert result.error == (
        f"alpha returned alpha data for {TODAY}..{TODAY + 2 * ONE} when asked for {TODAY}..{TODAY + ONE}; "
        "this is a bug in the provider module, please report it."
    )
    assert store.daily_totals(TODAY, TODAY + ONE) == {}


def test_bad_arguments(store: Store) -> None:
    with pytest.raises(UsageError, match="--days must be at least 1, not 0"):
        sync_providers(store, [StaticProvider("alpha")], now=NOW, backfill_days=1, days=0)
    with pytest.raises(ValueError, match="aware"):
        sync_providers(store, [StaticProvider("alpha")], now=NOW.replace(tzinfo=None), backfill_days=1)
    with pytest.raises(ValueError, match="once per run"):
        sync_providers(store, [StaticProvider("alpha"), StaticProvider("alpha")], now=NOW, backfill_days=1)
    assert sync_providers(store, [], now=NOW, backfill_days=1) == []
    assert store.sync_states() == {}
