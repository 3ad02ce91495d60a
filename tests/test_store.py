"""bot.store against real SQLite files: schema, exact replacement, rollups, labels, sync log, settings, threads."""

from __future__ import annotations

import os
import re
import sqlite3
import threading
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.errors import StoreError
from bot.records import CostGap, CostRecord, Label, ProviderData, SyncState, TokenTotals, UsageRecord
from bot.store import Store
from bot.store.db import store_error

D0 = date(2026, 11, 1)
NOW = datetime(2026, 11, 21, 8, 0, 4, tzinfo=UTC)
NOW_Z = "2026-11-21T08:00:04Z"
OPUS = "claude-opus-4-8"
HAIKU = "claude-haiku-4-5"


def day(n: int) -> date:
    return D0 + timedelta(days=n)


def iso(n: int) -> str:
    return day(n).isoformat()


def cost(
    n: int,
    amount: int,
    *,
    provider: str = "anthropic",
    ws: str = "wrk_a",
    model: str = OPUS,
    item: str = "tokens/input",
    tier: str = "standard",
) -> CostRecord:
    return CostRecord(provider, day(n), ws, model, item, tier, amount)


def usage(
    n: int,
    inp: int,
    out: int,
    *,
    provider: str = "anthropic",
    ws: str = "wrk_a",
    model: str = OPUS,
    tier: str = "standard",
    read: int = 0,
    write: int = 0,
    requests: int = 0,
) -> UsageRecord:
    return UsageRecord(provider, day(n), ws, model, tier, inp, out, read, write, requests)


def window(
    start: int,
    end: int,
    costs: list[CostRecord],
    usages: list[UsageRecord] | None = None,
    labels: list[Label] | None = None,
    provider: str = "anthropic",
) -> ProviderData:
    return ProviderData(provider, day(start), day(end), costs, usages or [], labels or [])


def query(path: Path, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(path)
    try:
        return [tuple(row) for row in conn.execute(sql).fetchall()]
    finally:
        conn.close()


def cost_rows(path: Path) -> list[tuple[object, ...]]:
    return query(path, "SELECT * FROM cost_daily ORDER BY provider, day, workspace_id, model, item, service_tier")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "aispend.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    with Store(db_path) as opened:
        yield opened


# ---- opening and migrations ---------------------------------------------------------------------------------


SPEND_MIGRATIONS = [
    "001_spend_tables",
    "002_report_rollups",
    "003_day_fetches",
    "004_cost_gaps",
    "005_spenders",
    "006_claude_code",
    "007_spender_totals",
    "008_home_viewers",
    "009_spend_caps",
    "010_usage_priced",
    "011_usage_kinds",
]


def test_migrations_apply_once_and_are_recorded(db_path: Path) -> None:
    with Store(db_path) as first:
        assert first.applied_migrations() == [
            "001_spend_tables",
            "002_report_rollups",
            "003_day_fetches",
            "004_cost_gaps",
            "005_spenders",
            "006_claude_code",
            "007_spender_totals",
            "008_home_viewers",
            "009_spend_caps",
            "010_usage_priced",
            "011_usage_kinds",
        ]
        assert first.pending_migrations() == []
    with Store(db_path) as second:
        assert second.applied_migrations() == [
            "001_spend_tables",
            "002_report_rollups",
            "003_day_fetches",
            "004_cost_gaps",
            "005_spenders",
            "006_claude_code",
            "007_spender_totals",
            "008_home_viewers",
            "009_spend_caps",
            "010_usage_priced",
            "011_usage_kinds",
        ]
    assert query(db_path, "SELECT migration_set, name FROM _sqlite_migrations") == [
        ("aispend", "001_spend_tables"),
        ("aispend", "002_report_rollups"),
        ("aispend", "003_day_fetches"),
        ("aispend", "004_cost_gaps"),
        ("aispend", "005_spenders"),
        ("aispend", "006_claude_code"),
        ("aispend", "007_spender_totals"),
        ("aispend", "008_home_viewers"),
        ("aispend", "009_spend_caps"),
        ("aispend", "010_usage_priced"),
        ("aispend", "011_usage_kinds"),
    ]
    tables = {name for (name,) in query(db_path, "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert tables == {
        "_sqlite_migrations",
        "claude_code_daily",
        "claude_code_models",
        "claude_code_status",
        "usage_kinds_daily",
        "usage_kind_status",
        "cost_daily",
        "usage_daily",
        "cost_gaps",
        "spend_provider_daily",
        "spend_model_daily",
        "spend_workspace_daily",
        "spend_scope_daily",
        "usage_tier_daily",
        "spend_model_monthly",
        "spend_workspace_monthly",
        "labels",
        "sync_log",
        "settings",
        "home_viewers",
        "day_fetches",
        "spender_usage_daily",
        "spender_cost_daily",
        "spender_basis_daily",
        "spender_labels",
        "spend_caps",
        "spend_cap_status",
        "usage_priced",
        "spender_totals_daily",
    }
    assert query(db_path, "PRAGMA journal_mode") == [("wal",)]


def test_every_rollup_key_starts_with_day(store: Store, db_path: Path) -> None:
    tables = ("cost_daily", "usage_daily", "cost_gaps", "spend_provider_daily", "spend_model_daily")
    for table in (*tables, "spend_workspace_daily"):
        pk = [name for _, name, _, _, _, position in query(db_path, f"PRAGMA table_info({table})") if position == 1]
        assert pk == ["day"], table


def test_money_columns_refuse_floats(store: Store, db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    with pytest.raises(sqlite3.IntegrityError, match="cannot store REAL value in INTEGER column"):
        conn.execute("INSERT INTO cost_daily VALUES ('2026-11-01', 'openai', '', '', 'x', '', 1.5)")
    conn.close()


def test_missing_directory_is_a_store_error_with_the_fix(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as caught:
        Store(tmp_path / "nope" / "aispend.db")
    assert str(caught.value) == (
        f"Cannot open the database {tmp_path / 'nope' / 'aispend.db'}: the directory {tmp_path / 'nope'} "
        "does not exist; set AISPEND_DB to a writable path."
    )


def test_a_directory_is_not_a_database(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"it is a directory; set AISPEND_DB to a writable path\.$"):
        Store(tmp_path)


def test_a_file_that_is_not_a_database_is_a_store_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("these are not the pages you are looking for" * 100)
    with pytest.raises(StoreError) as caught:
        Store(path)
    assert str(caught.value) == (
        f"The database {path} is damaged or is not an aispend database (file is not a database): restore it from a "
        "backup, or move it aside and run `aispend sync` to build a new one (set AISPEND_DB if it is the wrong file)."
    )


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can write anywhere")
def test_read_only_directory_is_a_store_error(tmp_path: Path) -> None:
    folder = tmp_path / "ro"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        with pytest.raises(StoreError, match=r"permission denied; set AISPEND_DB to a writable path\.$"):
            Store(folder / "aispend.db")
    finally:
        folder.chmod(0o700)


def test_a_closed_store_says_so(db_path: Path) -> None:
    opened = Store(db_path)
    opened.close()
    with pytest.raises(StoreError, match="is closed; open a new Store"):
        opened.daily_totals(day(0), day(1))


# ---- the file itself: who may read it, whose it is, which release wrote it, what each error says ----------------


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    previous = os.umask(0o022)  # the common default, under which SQLite makes 0644 files
    try:
        yield
    finally:
        os.umask(previous)


def mode(path: Path) -> int:
    return path.stat().st_mode & 0o777


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
@pytest.mark.usefixtures("permissive_umask")
def test_the_database_and_its_wal_and_shm_are_private(db_path: Path) -> None:
    with Store(db_path) as opened:
        opened.replace_provider_data(window(0, 1, [cost(0, 1)]), NOW)  # a real write: the -wal has content now
        wal, shm = Path(f"{db_path}-wal"), Path(f"{db_path}-shm")
        assert wal.stat().st_size > 0
        assert (mode(db_path), mode(wal), mode(shm)) == (0o600, 0o600, 0o600)
        assert opened.warnings == []


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_a_database_readable_by_others_is_warned_about(db_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    Store(db_path).close()
    db_path.chmod(0o644)
    with caplog.at_level("WARNING", logger="bot.store.db"), Store(db_path) as reopened:
        warning = (
            f"{db_path} is readable by other users; the database holds your organization's spend, names and settings, "
            f"so run: chmod 600 {db_path}"
        )
        assert reopened.warnings == [warning]
    assert warning in caplog.messages
    assert mode(db_path) == 0o644  # only warned about: the owner may have chosen it


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes and symlinks")
@pytest.mark.usefixtures("permissive_umask")
def test_a_database_behind_a_symlink_to_a_new_file_is_created_private(tmp_path: Path) -> None:
    # AISPEND_DB=/srv/aispend.db -> /data/aispend.db, not there yet: SQLite used to create the target 0644
    (tmp_path / "data").mkdir()
    target = tmp_path / "data" / "aispend.db"
    link = tmp_path / "aispend.db"
    link.symlink_to(target)
    with Store(link) as opened:
        opened.replace_provider_data(window(0, 1, [cost(0, 1)]), NOW)
        assert opened.warnings == []
    assert mode(target) == 0o600
    assert link.is_symlink()  # still the owner's link, pointing where it did


@pytest.mark.skipif(os.name != "posix", reason="FIFOs and device files")
@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_device_or_fifo_is_not_a_database_and_is_left_alone(tmp_path: Path, kind: str) -> None:
    # it used to be "a disk error; check the disk", after a warning to run chmod 600 on it (on /dev/null!)
    if kind == "fifo":
        path = tmp_path / "aispend.db"
        os.mkfifo(path)
    else:
        path = Path("/dev/null")
    before = os.stat(path)
    with pytest.raises(StoreError) as caught:
        Store(path)
    assert str(caught.value) == (
        f"Cannot use {path} as the database: it is not a regular file (a device, FIFO or socket); set AISPEND_DB to "
        "a file path."
    )
    after = os.stat(path)
    assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino)


def file_state(path: Path) -> tuple[bytes, bool]:
    return path.read_bytes(), Path(f"{path}-wal").exists() and Path(f"{path}-wal").stat().st_size > 0


@pytest.mark.parametrize(
    ("migration_set", "name"),
    [("aispend", "099_from_the_future"), ("aispend-alerts", "099_from_the_future"), ("aispend-budgets", "001_new")],
)
def test_a_database_from_a_newer_release_is_refused_before_anything_is_written(
    db_path: Path, migration_set: str, name: str
) -> None:
    Store(db_path).close()
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute(
            "INSERT INTO _sqlite_migrations (migration_set, name, applied_at) VALUES (?, ?, '2027-01-01')",
            [migration_set, name],
        )
        conn.execute("DELETE FROM _sqlite_migrations WHERE name = '002_report_rollups'")  # so one would be pending
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    before = file_state(db_path)
    with pytest.raises(StoreError) as caught:
        Store(db_path)
    assert str(caught.value) == (
        f"The database {db_path} was made by a newer aispend (its schema has {migration_set}/{name}, which this "
        "release does not know): upgrade aispend to use it."
    )
    assert file_state(db_path) == before


def test_another_programs_sqlite_database_is_refused_untouched(db_path: Path) -> None:
    conn = sqlite3.connect(db_path)
    conn.execute("CREATE TABLE notes (body TEXT)")
    conn.execute("INSERT INTO notes VALUES ('keep me')")
    conn.commit()
    conn.close()
    before = file_state(db_path)
    with pytest.raises(StoreError) as caught:
        Store(db_path)
    assert str(caught.value) == (
        f"{db_path} is an SQLite database, but not aispend's: set AISPEND_DB to aispend's database file, or to a new "
        "file."
    )
    assert file_state(db_path) == before
    assert query(db_path, "PRAGMA journal_mode") == [("delete",)]  # not switched to WAL


def test_a_damaged_database_says_to_restore_it_not_to_change_the_path(db_path: Path) -> None:
    with Store(db_path) as opened:
        opened.replace_provider_data(window(0, 30, [cost(n, n + 1, ws=f"wrk_{n}") for n in range(30)]), NOW)
    data = bytearray(db_path.read_bytes())
    page = 4096
    data[page:] = b"\x55" * (len(data) - page)  # every page but the first (the schema) is garbage
    db_path.write_bytes(bytes(data))
    with pytest.raises(StoreError) as caught, Store(db_path) as damaged:
        damaged.daily_totals(day(0), day(29))
    message = str(caught.value)
    assert message.startswith(f"The database {db_path} is damaged or is not an aispend database (")
    assert message.endswith(
        "restore it from a backup, or move it aside and run `aispend sync` to build a new one (set AISPEND_DB if it "
        "is the wrong file)."
    )
    assert "writable path" not in message


def test_a_locked_database_names_the_lock(db_path: Path) -> None:
    Store(db_path).close()
    holder = sqlite3.connect(db_path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    waiter = sqlite3.connect(db_path, timeout=0)
    try:
        with pytest.raises(sqlite3.OperationalError) as raised:
            waiter.execute("BEGIN IMMEDIATE")
    finally:
        waiter.close()
        holder.rollback()
        holder.close()
    message = str(store_error(str(db_path), "write", raised.value))
    assert message == (
        f"Could not write the database {db_path}: another process kept it locked for 10 s (database is locked); let "
        "it finish, or stop the other program holding it, and try again."
    )


# ---- replace_provider_data ----------------------------------------------------------------------------------


def test_replace_writes_rows_and_rollups(store: Store, db_path: Path) -> None:
    data = window(
        0,
        2,
        [
            cost(0, 1_500_000_000),
            cost(0, 250, ws="", model="", item="web_search"),
            cost(1, 3_000_000_000, ws="wrk_b", model=HAIKU, tier="batch"),
        ],
        [usage(0, 100, 10, read=60, write=20, requests=3)],
    )
    assert store.replace_provider_data(data, NOW) == 4
    assert cost_rows(db_path) == [
        (iso(0), "anthropic", "", "", "web_search", "standard", 250),
        (iso(0), "anthropic", "wrk_a", OPUS, "tokens/input", "standard", 1_500_000_000),
        (iso(1), "anthropic", "wrk_b", HAIKU, "tokens/input", "batch", 3_000_000_000),
    ]
    assert query(db_path, "SELECT * FROM usage_daily") == [
        (iso(0), "anthropic", "wrk_a", OPUS, "standard", 100, 10, 60, 20, 3)
    ]
    assert store.daily_totals(day(0), day(1)) == {
        (day(0), "anthropic"): 1_500_000_250,
        (day(1), "anthropic"): 3_000_000_000,
    }
    assert store.model_totals(day(0), day(1)) == {
        ("anthropic", ""): 250,
        ("anthropic", OPUS): 1_500_000_000,
        ("anthropic", HAIKU): 3_000_000_000,
    }
    assert store.workspace_totals(day(0), day(1)) == {
        ("anthropic", ""): 250,
        ("anthropic", "wrk_a"): 1_500_000_000,
        ("anthropic", "wrk_b"): 3_000_000_000,
    }
    assert store.scope_totals(day(0), day(1)) == {
        ("anthropic", "", ""): 250,
        ("anthropic", "wrk_a", OPUS): 1_500_000_000,
        ("anthropic", "wrk_b", HAIKU): 3_000_000_000,
    }
    assert store.token_totals(day(0), day(1)) == TokenTotals(input=100, output=10, cache_read=60, cache_write=20)


def test_read_ranges_are_inclusive(store: Store) -> None:
    store.replace_provider_data(
        window(0, 5, [cost(n, 10**n) for n in range(5)], [usage(n, 1, 2) for n in range(5)]), NOW
    )
    assert store.daily_totals(day(1), day(3)) == {(day(n), "anthropic"): 10**n for n in (1, 2, 3)}
    assert store.model_totals(day(1), day(3)) == {("anthropic", OPUS): 1110}
    assert store.workspace_totals(day(4), day(4)) == {("anthropic", "wrk_a"): 10_000}
    assert store.scope_totals(day(0), day(0)) == {("anthropic", "wrk_a", OPUS): 1}
    assert store.token_totals(day(1), day(3)) == TokenTotals(input=3, output=6)
    assert store.daily_totals(day(5), day(9)) == {}
    assert store.token_totals(day(5), day(9)) == TokenTotals()


def test_resyncing_the_same_window_changes_nothing(store: Store, db_path: Path) -> None:
    data = window(0, 3, [cost(0, 7), cost(1, 8), cost(2, 9)], [usage(1, 5, 6)])
    store.replace_provider_data(data, NOW)
    before = (cost_rows(db_path), query(db_path, "SELECT * FROM usage_daily"), store.daily_totals(day(0), day(2)))
    store.replace_provider_data(data, NOW)
    after = (cost_rows(db_path), query(db_path, "SELECT * FROM usage_daily"), store.daily_totals(day(0), day(2)))
    assert after == before
    assert store.model_totals(day(0), day(2)) == {("anthropic", OPUS): 24}


def test_revised_and_emptied_days_replace_the_old_rows(store: Store, db_path: Path) -> None:
    store.replace_provider_data(
        window(0, 3, [cost(0, 100), cost(1, 200), cost(1, 50, model=HAIKU), cost(2, 300)], [usage(1, 9, 9)]), NOW
    )
    # the provider revises day 1 (HAIKU row gone, OPUS amount changed) and day 2 has no spend any more
    store.replace_provider_data(window(1, 3, [cost(1, 250)]), NOW)
    assert cost_rows(db_path) == [
        (iso(0), "anthropic", "wrk_a", OPUS, "tokens/input", "standard", 100),
        (iso(1), "anthropic", "wrk_a", OPUS, "tokens/input", "standard", 250),
    ]
    assert query(db_path, "SELECT * FROM usage_daily") == []
    assert store.daily_totals(day(0), day(9)) == {(day(0), "anthropic"): 100, (day(1), "anthropic"): 250}
    assert store.model_totals(day(0), day(9)) == {("anthropic", OPUS): 350}
    for table in ("spend_provider_daily", "spend_model_daily", "spend_workspace_daily", "spend_scope_daily"):
        assert query(db_path, f"SELECT day FROM {table} ORDER BY day") == [(iso(0),), (iso(1),)], table


def test_other_provider_and_days_outside_the_window_are_untouched(store: Store, db_path: Path) -> None:
    store.replace_provider_data(window(0, 4, [cost(n, 1 + n) for n in range(4)]), NOW)
    store.replace_provider_data(
        window(0, 4, [cost(n, 10 + n, provider="openai") for n in range(4)], provider="openai"), NOW
    )
    store.replace_provider_data(window(2, 3, [cost(2, 99)]), NOW)
    assert store.daily_totals(day(0), day(3)) == {
        (day(0), "anthropic"): 1,
        (day(1), "anthropic"): 2,
        (day(2), "anthropic"): 99,
        (day(3), "anthropic"): 4,
        (day(0), "openai"): 10,
        (day(1), "openai"): 11,
        (day(2), "openai"): 12,
        (day(3), "openai"): 13,
    }
    store.replace_provider_data(window(0, 4, [], provider="openai"), NOW)
    assert query(db_path, "SELECT DISTINCT provider FROM cost_daily") == [("anthropic",)]
    assert store.model_totals(day(0), day(3)) == {("anthropic", OPUS): 106}


def test_records_with_the_same_grain_key_are_summed(store: Store, db_path: Path) -> None:
    data = window(
        0,
        1,
        [cost(0, 5), cost(0, 7), cost(0, -2), cost(0, 1, tier="batch")],
        [usage(0, 1, 2, read=3, write=4, requests=5), usage(0, 10, 20, read=30, write=40, requests=50)],
    )
    assert store.replace_provider_data(data, NOW) == 3
    assert cost_rows(db_path) == [
        (iso(0), "anthropic", "wrk_a", OPUS, "tokens/input", "batch", 1),
        (iso(0), "anthropic", "wrk_a", OPUS, "tokens/input", "standard", 10),
    ]
    assert query(db_path, "SELECT * FROM usage_daily") == [
        (iso(0), "anthropic", "wrk_a", OPUS, "standard", 11, 22, 33, 44, 55)
    ]


K = TypeVar("K", bound=tuple[object, ...])


def only(provider: str, totals: dict[K, int]) -> dict[K, int]:
    return {key: amount for key, amount in totals.items() if provider in key}


PROVIDERS = st.sampled_from(["anthropic", "openai"])
RECORDS = st.lists(
    st.tuples(
        st.integers(0, 5),
        st.sampled_from(["", "wrk_a", "wrk_b"]),
        st.sampled_from(["", OPUS, HAIKU]),
        st.sampled_from(["in", "out"]),
        st.integers(-(10**12), 10**15),
    ),
    max_size=40,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(provider=PROVIDERS, records=RECORDS)
def test_rollups_always_equal_the_sums_of_the_records(
    store: Store, db_path: Path, provider: str, records: list[tuple[int, str, str, str, int]]
) -> None:
    # every example re-syncs the same window of the same database: earlier examples must leave nothing behind
    costs = [
        cost(n, amount, provider=provider, ws=ws, model=model, item=item) for n, ws, model, item, amount in records
    ]
    store.replace_provider_data(window(0, 6, costs, provider=provider), NOW)
    by_day: dict[tuple[date, str], int] = defaultdict(int)
    by_model: dict[tuple[str, str], int] = defaultdict(int)
    by_ws: dict[tuple[str, str], int] = defaultdict(int)
    by_scope: dict[tuple[str, str, str], int] = defaultdict(int)
    for record in costs:
        by_day[record.day, provider] += record.amount_nano
        by_model[provider, record.model] += record.amount_nano
        by_ws[provider, record.workspace_id] += record.amount_nano
        by_scope[provider, record.workspace_id, record.model] += record.amount_nano
    assert only(provider, store.daily_totals(day(0), day(5))) == by_day
    assert only(provider, store.model_totals(day(0), day(5))) == by_model
    assert only(provider, store.workspace_totals(day(0), day(5))) == by_ws
    assert only(provider, store.scope_totals(day(0), day(5))) == by_scope
    for table, columns in [
        ("spend_provider_daily", "day, provider"),
        ("spend_model_daily", "day, provider, model"),
        ("spend_workspace_daily", "day, provider, workspace_id"),
        ("spend_scope_daily", "day, provider, workspace_id, model"),
    ]:
        from_facts = f"SELECT {columns}, SUM(amount_nano) FROM cost_daily GROUP BY {columns} ORDER BY {columns}"
        assert query(db_path, f"SELECT * FROM {table} ORDER BY {columns}") == query(db_path, from_facts), table


def test_a_write_that_fails_midway_leaves_the_previous_data(store: Store, db_path: Path) -> None:
    store.replace_provider_data(
        window(0, 2, [cost(0, 1), cost(1, 2)], [usage(0, 3, 4)], [Label("anthropic", "wrk_a", "a")]), NOW
    )
    before = [
        query(db_path, f"SELECT * FROM {t} ORDER BY 1, 2, 3")
        for t in ("cost_daily", "usage_daily", "labels", "spend_scope_daily")
    ]
    # the label is the last thing written: by then every spend table has been deleted and refilled
    broken = window(0, 2, [cost(0, 500)], [usage(1, 6, 7)], [Label("anthropic", "wrk_b", None)])  # type: ignore[arg-type]
    with pytest.raises(
        StoreError,
        match=re.escape("NOT NULL constraint failed: labels.name; this is a bug in aispend, please report it"),
    ):
        store.replace_provider_data(broken, NOW)
    after = [
        query(db_path, f"SELECT * FROM {t} ORDER BY 1, 2, 3")
        for t in ("cost_daily", "usage_daily", "labels", "spend_scope_daily")
    ]
    assert after == before
    assert store.daily_totals(day(0), day(1)) == {(day(0), "anthropic"): 1, (day(1), "anthropic"): 2}


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (window(1, 2, [cost(2, 1)]), "a cost record for 2026-11-03, outside the fetched days"),
        (window(1, 2, [cost(1, 1, provider="openai")]), "a cost record of provider 'openai'"),
        (window(1, 2, [], [usage(0, 1, 1)]), "a usage record for 2026-11-01, outside the fetched days"),
        (window(1, 2, [cost(1, 1.5)]), "an amount that is not integer nano-dollars (1.5)"),  # type: ignore[arg-type]
        (window(1, 2, [], [usage(1, 1, True)]), "a token count that is not an integer ((1, True, 0, 0, 0))"),
        (window(1, 2, [], [], [Label("openai", "p", "n")]), "a label of provider 'openai'"),
    ],
)
def test_data_that_would_corrupt_the_store_is_refused(
    store: Store, db_path: Path, data: ProviderData, problem: str
) -> None:
    store.replace_provider_data(window(0, 3, [cost(0, 1), cost(1, 2), cost(2, 3)]), NOW)
    with pytest.raises(StoreError) as caught:
        store.replace_provider_data(data, NOW)
    assert str(caught.value) == (
        f"Refusing to store anthropic data for 2026-11-02..2026-11-03 (end excluded): it contains {problem}. "
        "This is a bug in the provider module; please report it with the bot's log."
    )
    assert store.daily_totals(day(0), day(2)) == {(day(n), "anthropic"): n + 1 for n in range(3)}


def test_cost_gaps_are_replaced_with_their_window(store: Store, db_path: Path) -> None:
    gaps = [CostGap("openai", day(1), 2), CostGap("openai", day(2), 1)]
    first = ProviderData("openai", day(0), day(3), [cost(1, 5, provider="openai")], cost_gaps=gaps)
    store.replace_provider_data(first, NOW)
    store.replace_provider_data(window(0, 3, [cost(1, 7)], [], [], provider="anthropic"), NOW)
    assert store.cost_gaps(day(0), day(2)) == {(day(1), "openai"): 2, (day(2), "openai"): 1}
    assert store.cost_gaps(day(2), day(2)) == {(day(2), "openai"): 1}  # inclusive range reads
    # a re-sync of day 2 that got every amount clears that day's gap and keeps the others
    store.replace_provider_data(ProviderData("openai", day(2), day(3), []), NOW)
    assert store.cost_gaps(day(0), day(5)) == {(day(1), "openai"): 2}
    assert store.daily_totals(day(0), day(5)) == {(day(1), "openai"): 5, (day(1), "anthropic"): 7}


@pytest.mark.parametrize(
    ("gap", "problem"),
    [
        (CostGap("openai", day(5), 1), "a cost gap record for 2026-11-06, outside the fetched days"),
        (CostGap("anthropic", day(1), 1), "a cost gap record of provider 'anthropic'"),
        (CostGap("openai", day(1), 0), "a count of cost rows without an amount that is not a positive integer (0)"),
    ],
)
def test_cost_gaps_that_would_corrupt_the_store_are_refused(store: Store, gap: CostGap, problem: str) -> None:
    with pytest.raises(StoreError, match=re.escape(problem)):
        store.replace_provider_data(ProviderData("openai", day(1), day(2), [], cost_gaps=[gap]), NOW)
    assert store.cost_gaps(day(0), day(9)) == {}


def test_an_existing_database_gains_the_cost_gaps_table_in_place(db_path: Path) -> None:
    with Store(db_path) as store:
        store.replace_provider_data(window(0, 2, [cost(0, 3), cost(1, 4)]), NOW)
    # the database as it was before 004_cost_gaps existed
    conn = sqlite3.connect(db_path)
    conn.execute("DROP TABLE cost_gaps")
    conn.execute("DELETE FROM _sqlite_migrations WHERE name = '004_cost_gaps'")
    conn.commit()
    conn.close()
    with Store(db_path) as reopened:
        assert reopened.pending_migrations() == []
        assert reopened.daily_totals(day(0), day(1)) == {(day(0), "anthropic"): 3, (day(1), "anthropic"): 4}
        assert reopened.cost_gaps(day(0), day(1)) == {}
        data = ProviderData("openai", day(1), day(2), [], cost_gaps=[CostGap("openai", day(1), 3)])
        reopened.replace_provider_data(data, NOW)
        assert reopened.cost_gaps(day(0), day(1)) == {(day(1), "openai"): 3}


# ---- labels, tiers, sync log, settings ----------------------------------------------------------------------


def test_labels_are_upserted_and_archived_names_kept_forever(store: Store, db_path: Path) -> None:
    first = [Label("anthropic", "wrk_a", "prod"), Label("anthropic", "wrk_r", "research", archived=True)]
    store.replace_provider_data(window(0, 1, [], labels=first), NOW)
    later = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
    # renamed; the archived workspace is missing from the new list; a blank name never erases a known one
    second = [
        Label("anthropic", "wrk_a", "production"),
        Label("anthropic", "wrk_b", ""),
        Label("anthropic", "wrk_r", ""),
    ]
    store.replace_provider_data(window(1, 2, [], labels=second[:2]), later)
    assert store.labels() == {
        ("anthropic", "wrk_a"): Label("anthropic", "wrk_a", "production"),
        ("anthropic", "wrk_b"): Label("anthropic", "wrk_b", ""),
        ("anthropic", "wrk_r"): Label("anthropic", "wrk_r", "research", archived=True),
    }
    store.replace_provider_data(window(1, 2, [], labels=[Label("anthropic", "wrk_b", "batch-jobs")]), later)
    store.replace_provider_data(window(1, 2, [], labels=[second[2]]), later)
    assert store.labels() == {
        ("anthropic", "wrk_a"): Label("anthropic", "wrk_a", "production"),
        ("anthropic", "wrk_b"): Label("anthropic", "wrk_b", "batch-jobs"),
        ("anthropic", "wrk_r"): Label("anthropic", "wrk_r", "research", archived=False),
    }
    assert query(db_path, "SELECT * FROM labels ORDER BY id") == [
        ("anthropic", "wrk_a", "production", 0, "2026-11-22T09:30:00Z"),
        ("anthropic", "wrk_b", "batch-jobs", 0, "2026-11-22T09:30:00Z"),
        ("anthropic", "wrk_r", "research", 0, "2026-11-22T09:30:00Z"),
    ]


def test_tier_usage_days(store: Store) -> None:
    store.replace_provider_data(
        window(
            0,
            5,
            [],
            [
                usage(1, 10, 1, tier="priority"),
                usage(1, 10, 1, tier="priority", model=HAIKU),
                usage(2, 10, 1, tier="standard"),
                usage(3, 0, 0, tier="priority"),  # a row with nothing in it is not usage
                usage(4, 0, 0, tier="priority_on_demand", requests=1),
            ],
        ),
        NOW,
    )
    store.replace_provider_data(
        window(1, 2, [], [usage(1, 5, 5, tier="priority", provider="openai")], provider="openai"), NOW
    )
    assert store.tier_usage_days(day(0), day(4)) == [(day(1), "anthropic"), (day(1), "openai"), (day(4), "anthropic")]
    assert store.tier_usage_days(day(2), day(3)) == []
    assert store.tier_usage_days(day(0), day(4), tiers=("standard",)) == [(day(2), "anthropic")]
    assert store.tier_usage_days(day(0), day(4), tiers=()) == []


def test_sync_log_rows_states_and_data_range(store: Store, db_path: Path) -> None:
    assert store.sync_states() == {}
    assert store.data_range("anthropic") is None
    t0 = datetime(2026, 11, 20, 8, 0, 0, 123456, tzinfo=UTC)
    first = store.begin_sync("anthropic", t0, (day(0), day(10)))
    assert store.sync_states() == {
        "anthropic": SyncState("anthropic", "running", "2026-11-20T08:00:00Z", None, None, None, 0)
    }
    assert store.data_range("anthropic") is None  # a sync that has not succeeded covers nothing yet
    store.finish_sync(first, t0 + timedelta(seconds=30), "ok", None, 42)
    second = store.begin_sync("anthropic", NOW, (day(7), day(12)))
    store.finish_sync(second, NOW, "error", "Anthropic refused the key.\nSet ANTHROPIC_ADMIN_KEY.", 0)
    other = store.begin_sync("openai", NOW, (day(3), day(12)))
    store.finish_sync(other, NOW, "ok", None, 7)
    assert query(db_path, "SELECT * FROM sync_log ORDER BY id") == [
        (first, "anthropic", "2026-11-20T08:00:00Z", "2026-11-20T08:00:30Z", "ok", None, 42, iso(0), iso(10)),
        (
            second,
            "anthropic",
            NOW_Z,
            NOW_Z,
            "error",
            "Anthropic refused the key. Set ANTHROPIC_ADMIN_KEY.",
            0,
            iso(7),
            iso(12),
        ),
        (other, "openai", NOW_Z, NOW_Z, "ok", None, 7, iso(3), iso(12)),
    ]
    assert store.sync_states() == {
        "anthropic": SyncState(
            "anthropic",
            "error",
            NOW_Z,
            NOW_Z,
            "Anthropic refused the key. Set ANTHROPIC_ADMIN_KEY.",
            "2026-11-20T08:00:30Z",
            0,
        ),
        "openai": SyncState("openai", "ok", NOW_Z, NOW_Z, None, NOW_Z, 7),
    }
    # windows are stored end-excluded; data_range gives the last day itself
    assert store.data_range("anthropic") == (day(0), day(9))
    assert store.data_range("openai") == (day(3), day(11))


def test_sync_log_refuses_bad_input(store: Store) -> None:
    sync_id = store.begin_sync("openai", NOW, (day(0), day(1)))
    with pytest.raises(ValueError, match="sync status must be one of"):
        store.finish_sync(sync_id, NOW, "running", None, 0)
    with pytest.raises(ValueError, match="no sync with id 999 was begun"):
        store.finish_sync(999, NOW, "ok", None, 0)
    with pytest.raises(ValueError, match="has no time zone"):
        store.begin_sync("openai", datetime(2026, 11, 21, 8, 0), (day(0), day(1)))
    assert store.sync_states()["openai"].status == "running"


def test_settings(store: Store, db_path: Path) -> None:
    assert store.get_setting("budget_usd") is None
    store.set_setting("budget_usd", "5000")
    store.set_setting("budget_usd", "7500.50")
    store.set_setting("other", "x")
    assert store.get_setting("budget_usd") == "7500.50"
    assert query(db_path, "SELECT * FROM settings ORDER BY key") == [("budget_usd", "7500.50"), ("other", "x")]
    store.set_setting("budget_usd", None)
    assert store.get_setting("budget_usd") is None
    assert query(db_path, "SELECT * FROM settings") == [("other", "x")]


# ---- threads ------------------------------------------------------------------------------------------------


def test_readers_see_whole_writes_while_another_thread_writes(store: Store) -> None:
    versions = [
        window(0, 30, [cost(n, 1_000 + i) for n in range(30) for i in range(20)]),
        window(0, 30, [cost(n, 7) for n in range(30)], [usage(n, 1, 1) for n in range(30)]),
    ]
    totals = {sum(c.amount_nano for c in v.costs) for v in versions}
    store.replace_provider_data(versions[0], NOW)
    done = threading.Event()
    errors: list[BaseException] = []
    seen: list[int] = []

    def write() -> None:
        try:
            for i in range(40):
                store.replace_provider_data(versions[i % 2], NOW)
                store.set_setting("round", str(i))
        except BaseException as err:
            errors.append(err)
        finally:
            done.set()

    def read() -> None:
        try:
            while not done.is_set():
                # one statement reads one committed snapshot: either the old window or the new, never a mix
                seen.append(sum(store.daily_totals(day(0), day(29)).values()))
                store.labels()
                store.get_setting("round")
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=write)] + [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert seen and set(seen) <= totals
    assert store.get_setting("round") == "39"


def test_two_stores_on_one_file_wait_for_each_other(db_path: Path) -> None:
    # separate Store objects have separate in-process locks, like two processes: busy_timeout must serialize them
    stores = [Store(db_path), Store(db_path)]
    errors: list[BaseException] = []

    def write(which: int) -> None:
        try:
            for i in range(25):
                data = window(
                    0, 10, [cost(n, which * 1000 + i, provider=f"p{which}") for n in range(10)], provider=f"p{which}"
                )
                stores[which].replace_provider_data(data, NOW)
                stores[which].finish_sync(
                    stores[which].begin_sync(f"p{which}", NOW, (day(0), day(10))), NOW, "ok", None, i
                )
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=write, args=(which,)) for which in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    totals = stores[0].daily_totals(day(0), day(9))
    assert totals == {**{(day(n), "p0"): 24 for n in range(10)}, **{(day(n), "p1"): 1024 for n in range(10)}}
    assert {p: s.rows for p, s in stores[1].sync_states().items()} == {"p0": 24, "p1": 24}
    for opened in stores:
        opened.close()
