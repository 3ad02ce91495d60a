"""The Store: aispend's one SQLite database, safe to share between threads.

Everything outside bot/store talks to this class; it owns the connection per thread, the write lock and the
transactions, and delegates the SQL to spend.py (spend data) and syncs.py (sync log, settings).
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from contextlib import AbstractContextManager
from datetime import date, datetime
from types import TracebackType

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.freshness import ProviderFetches
from bot.records import (
    ClaudeCodeActorSums,
    ClaudeCodeStatus,
    Label,
    PricedUsage,
    ProviderData,
    SpendCap,
    SpenderLabel,
    SyncState,
    TokenTotals,
)
from bot.spender_split import KindRows, SpenderRows
from bot.store import caps, claude_code, freshness, home, priced, spend, spender_totals, spenders, syncs, usage_kinds
from bot.store.alert_schema import migrations as alert_migrations
from bot.store.db import Connections, to_timestamp
from bot.store.migrations import migrations
from bot.usage_kinds import KindSum

PRIORITY_TIERS = ("priority", "priority_on_demand")


def _schema() -> list[Migrations]:
    """Every migration set of this release: the spend tables and the alert ledger share the file."""
    return [migrations, alert_migrations]


class Store:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        """Open (creating if needed) the database file and apply pending migrations; StoreError if it can't."""
        self.path = os.fspath(path)
        self._connections = Connections(self.path, schema=_schema())
        try:
            self._connections.migrate(migrations)
        except BaseException:
            self._connections.close()
            raise

    @property
    def warnings(self) -> list[str]:
        """What is unsafe about the file itself (other users can read it), each with the fix."""
        return list(self._connections.warnings)

    def close(self) -> None:
        """Close every thread's connection; the Store cannot be used afterwards."""
        self._connections.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({self.path!r})"

    # For other modules inside bot/store (e.g. the alert ledger): this thread's Database, in a read or in one
    # serialized write transaction. sqlite errors surface as StoreError.
    def reading(self) -> AbstractContextManager[Database]:
        return self._connections.reading()

    def writing(self) -> AbstractContextManager[Database]:
        return self._connections.writing()

    def pending_migrations(self) -> list[str]:
        with self.reading() as db:
            return [migration.name for migration in migrations.pending(db)]

    def applied_migrations(self) -> list[str]:
        with self.reading() as db:
            return [migration.name for migration in migrations.applied(db)]

    # ---- writes ---------------------------------------------------------------------------------------------

    def replace_provider_data(self, data: ProviderData, synced_at: datetime) -> int:
        """Replace the provider's days [data.start, data.end) in one transaction; returns rows written.

        `synced_at` is when the fetch started: it decides which of those days are final (bot.freshness).
        """
        updated_at = to_timestamp(synced_at)
        with self.writing() as db:
            rows = spend.replace_provider_data(db, data, updated_at)
            claude_code.replace(db, data, updated_at)
            caps.replace(db, data, updated_at)
            freshness.record_fetch(db, data.provider, data.start, data.end, updated_at)
            return rows

    def begin_sync(self, provider: str, started_at: datetime, window: tuple[date, date]) -> int:
        """Log a sync of `provider` for the days [window[0], window[1]) as running; returns its id."""
        stamp = to_timestamp(started_at)
        with self.writing() as db:
            return syncs.begin_sync(db, provider, stamp, window)

    def finish_sync(self, sync_id: int, finished_at: datetime, status: str, error: str | None, rows: int) -> None:
        stamp = to_timestamp(finished_at)
        with self.writing() as db:
            syncs.finish_sync(db, sync_id, stamp, status, error, rows)

    def set_setting(self, key: str, value: str | None) -> None:
        """Store a setting; None deletes it."""
        with self.writing() as db:
            syncs.set_setting(db, key, value)

    def set_settings(self, values: Mapping[str, str | None]) -> None:
        """Store several settings in one transaction (None deletes one): a form is saved whole or not at all."""
        with self.writing() as db:
            for key, value in values.items():
                syncs.set_setting(db, key, value)

    def record_home_open(self, user_id: str, at: datetime) -> None:
        """`user_id` opened the App Home tab at `at` (bot.store.home)."""
        with self.writing() as db:
            home.record_open(db, user_id, to_timestamp(at))

    def home_viewers(self, since: datetime) -> list[str]:
        """Who opened the App Home tab at or after `since`, most recent first (older entries are forgotten)."""
        with self.writing() as db:
            return home.viewers_since(db, to_timestamp(since))

    # ---- reads (inclusive [start, end]) ---------------------------------------------------------------------

    def get_setting(self, key: str) -> str | None:
        with self.reading() as db:
            return syncs.get_setting(db, key)

    def daily_totals(self, start: date, end: date) -> dict[tuple[date, str], int]:
        with self.reading() as db:
            return spend.daily_totals(db, start, end)

    def model_totals(self, start: date, end: date) -> dict[tuple[str, str], int]:
        with self.reading() as db:
            return spend.model_totals(db, start, end)

    def workspace_totals(self, start: date, end: date) -> dict[tuple[str, str], int]:
        with self.reading() as db:
            return spend.workspace_totals(db, start, end)

    def scope_totals(self, start: date, end: date) -> dict[tuple[str, str, str], int]:
        with self.reading() as db:
            return spend.scope_totals(db, start, end)

    def token_totals(self, start: date, end: date) -> TokenTotals:
        with self.reading() as db:
            return spend.token_totals(db, start, end)

    def tier_usage_days(
        self, start: date, end: date, tiers: tuple[str, ...] = PRIORITY_TIERS
    ) -> list[tuple[date, str]]:
        with self.reading() as db:
            return spend.tier_usage_days(db, start, end, tuple(tiers))

    def cost_gaps(self, start: date, end: date) -> dict[tuple[date, str], int]:
        """(day, provider) -> cost rows the provider sent without an amount (counted as $0)."""
        with self.reading() as db:
            return spend.cost_gaps(db, start, end)

    def labels(self) -> dict[tuple[str, str], Label]:
        with self.reading() as db:
            return spend.labels(db)

    def priced_usage(self, start: date, end: date) -> list[PricedUsage]:
        """Usage at the grain estimates price (issue 14), never billed cost."""
        with self.reading() as db:
            return priced.rows(db, start, end)

    def model_daily(self, start: date, end: date) -> dict[tuple[date, str, str], int]:
        """(day, provider, model) -> billed nano-dollars."""
        with self.reading() as db:
            return priced.model_daily(db, start, end)

    def spender_rows(self, start: date, end: date) -> SpenderRows:
        """Per-key and per-user tokens, billed costs and basis of each day, and the billed groups they split."""
        with self.reading() as db:
            return spenders.rows(db, start, end)

    def spender_labels(self) -> dict[tuple[str, str, str], SpenderLabel]:
        """(provider, kind, id) -> the key's, user's or service account's last known name."""
        with self.reading() as db:
            return spenders.labels(db)

    def spender_labels_of_kind(self, provider: str, kind: str) -> dict[tuple[str, str, str], SpenderLabel]:
        """The labels of one provider's keys, users or service accounts."""
        with self.reading() as db:
            return spenders.labels_of_kind(db, provider, kind)

    def spender_kind_rows(self, start: date, end: date, kind: str) -> KindRows:
        """One kind's dollars per spender and basis over [start, end], with each day's basis and billed total."""
        with self.reading() as db:
            return spender_totals.kind_rows(db, start, end, kind)

    def spender_labels_of(self, kind: str, ids: Collection[tuple[str, str]]) -> spenders.LabelMap:
        """The labels of these (provider, id) spenders of `kind` and of their owners."""
        with self.reading() as db:
            return spenders.labels_of(db, kind, ids)

    def usage_kind_sums(self, start: date, end: date) -> list[KindSum]:
        """Usage by kind over [start, end]: each kind's metrics per model, tier, batch and detail."""
        with self.reading() as db:
            return usage_kinds.sums(db, start, end)

    def usage_kinds_unavailable(self) -> dict[tuple[str, str], str]:
        """(provider, kind) -> why the last sync could not read that kind."""
        with self.reading() as db:
            return usage_kinds.unavailable(db)

    def claude_code_actors(self, start: date, end: date) -> list[ClaudeCodeActorSums]:
        """Claude Code activity per actor over [start, end]; actors are emails (personal data) or key names."""
        with self.reading() as db:
            return claude_code.actor_sums(db, start, end)

    def spend_caps(self) -> list[SpendCap]:
        """Every provider's spend caps as its last sync that could read them found them."""
        with self.reading() as db:
            return caps.caps(db)

    def spend_cap_notes(self) -> dict[str, str]:
        with self.reading() as db:
            return caps.notes(db)

    def workspace_daily(self, provider: str, workspace_id: str, start: date, end: date) -> dict[date, int]:
        with self.reading() as db:
            return caps.workspace_daily(db, provider, workspace_id, start, end)

    def claude_code_statuses(self) -> dict[str, ClaudeCodeStatus]:
        with self.reading() as db:
            return claude_code.statuses(db)

    def sync_states(self) -> dict[str, SyncState]:
        with self.reading() as db:
            return syncs.sync_states(db)

    def change_stamp(self) -> str:
        """Changes whenever a sync finishes or a setting changes, in this process or another."""
        with self.reading() as db:
            return syncs.change_stamp(db)

    def data_range(self, provider: str) -> tuple[date, date] | None:
        """First and last day (inclusive) of the provider's successful sync windows; None if never synced."""
        with self.reading() as db:
            return syncs.data_range(db, provider)

    def fetches(self, start: date, end: date) -> dict[str, ProviderFetches]:
        """Per provider with data: first and last day, complete-through day, and each day's fetch time in range."""
        with self.reading() as db:
            return freshness.provider_fetches(db, start, end)

    def first_unfinished_day(self, provider: str, since: date) -> date | None:
        """The provider's first day from `since` on not yet fetched after it ended (or skipped); None if none."""
        with self.reading() as db:
            return freshness.first_unfinished_day(db, provider, since)
