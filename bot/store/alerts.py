"""The alert ledger: what was alerted, its delivery state, snoozes, and the lease that lets one process post.

Tables come from their own migration set, "aispend-alerts", applied through the Store's per-thread connection.
- alerts: one row per message (identity PK), recorded *before* it is posted; state pending → posted →
  acknowledged, or failed_permanent. The payload (JSON) re-renders the message for retries and buttons.
- alert_scopes: one row per (kind, scope, period) a message covered, so a scope is never alerted twice for the
  same or an overlapping window, whichever process evaluates.
- snoozes: scopes muted until a time. leases: named locks with an expiry, held while evaluating and posting.

Every write transaction starts with a write statement so SQLite takes the write lock at BEGIN time: a
read-then-write transaction in WAL mode could otherwise fail when another process commits in between.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.alerts.model import ACKNOWLEDGED, FAILED, PENDING, POSTED, AlertRecord, Snooze
from bot.store.db import to_timestamp
from bot.store.store import Store

migrations = Migrations("aispend-alerts")


@migrations(name="001_alert_tables")
def m001_alert_tables(db: Database) -> None:
    db.execute(
        """CREATE TABLE alerts (
            identity TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            period TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending', 'posted', 'failed_permanent', 'acknowledged')),
            summary TEXT NOT NULL,
            payload TEXT NOT NULL,
            channel TEXT,
            ts TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            created_at TEXT NOT NULL,
            posted_at TEXT,
            acked_by TEXT,
            acked_at TEXT
        ) STRICT"""
    )
    db.execute("CREATE INDEX alerts_state ON alerts (state, created_at)")
    db.execute(
        """CREATE TABLE alert_scopes (
            key TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            scope TEXT NOT NULL,
            label TEXT NOT NULL,
            period TEXT NOT NULL,
            period_end TEXT NOT NULL,
            message TEXT NOT NULL REFERENCES alerts (identity),
            created_at TEXT NOT NULL
        ) STRICT"""
    )
    db.execute("CREATE INDEX alert_scopes_scope ON alert_scopes (kind, scope, period_end)")
    db.execute("CREATE INDEX alert_scopes_message ON alert_scopes (message)")
    db.execute(
        """CREATE TABLE snoozes (
            scope TEXT PRIMARY KEY,
            label TEXT NOT NULL,
            until TEXT NOT NULL,
            by TEXT NOT NULL,
            created_at TEXT NOT NULL
        ) STRICT"""
    )
    db.execute(
        """CREATE TABLE leases (
            name TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            expires_at TEXT NOT NULL
        ) STRICT"""
    )


_ALERT_COLUMNS = (
    "identity, kind, period, state, summary, payload, channel, ts, attempts, last_error, created_at, posted_at, "
    "acked_by, acked_at"
)


def _alert(row: Sequence[Any]) -> AlertRecord:
    return AlertRecord(*row)


class AlertStore:
    """The alert tables of one Store; safe from several threads and processes, like the Store itself."""

    def __init__(self, store: Store) -> None:
        self.store = store
        with store.reading() as db:
            pending = migrations.pending(db)
        if pending:
            with self._write("_sqlite_migrations") as db:
                # re-read under the write lock: another process may have applied them meanwhile
                migrations.apply(db)

    @contextmanager
    def _write(self, lock_table: str = "leases") -> Iterator[Database]:
        with self.store.writing() as db:
            db.execute(f"UPDATE [{lock_table}] SET rowid = rowid WHERE 0")  # take the write lock now
            yield db

    def pending_migrations(self) -> list[str]:
        with self.store.reading() as db:
            return [m.name for m in migrations.pending(db)]

    # --- leases ---------------------------------------------------------------------------------------------

    def acquire_lease(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        """Take (or renew) the lease `name` until `until`; False while another holder's lease is unexpired."""
        with self._write() as db:
            db.execute(
                """INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)
                   ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                   WHERE leases.holder = excluded.holder OR leases.expires_at <= ?""",
                [name, holder, to_timestamp(until), to_timestamp(now)],
            )
            row = db.execute("SELECT holder FROM leases WHERE name = ?", [name]).fetchone()
        return row is not None and row[0] == holder

    def release_lease(self, name: str, holder: str) -> None:
        with self._write() as db:
            db.execute("DELETE FROM leases WHERE name = ? AND holder = ?", [name, holder])

    # --- recording ------------------------------------------------------------------------------------------

    def covered_scopes(self, kind: str, scopes: Sequence[str], window_start: str) -> set[str]:
        """The scopes already alerted for a period ending on or after `window_start` (an ISO date)."""
        if not scopes:
            return set()
        marks = ", ".join("?" for _ in scopes)
        with self.store.reading() as db:
            rows = db.execute(
                f"SELECT DISTINCT scope FROM alert_scopes WHERE kind = ? AND period_end >= ? AND scope IN ({marks})",
                [kind, window_start, *scopes],
            ).fetchall()
        return {r[0] for r in rows}

    def record(
        self,
        *,
        kind: str,
        period: str,
        period_end: str,
        scopes: Sequence[tuple[str, str]],
        summary: str,
        payload: str,
        identity_base: str,
        now: datetime,
    ) -> AlertRecord | None:
        """Record a new pending message covering `scopes` ((scope, label) pairs), all or nothing.

        The identity is `identity_base` for the first message of that kind and period, then
        `identity_base|2`, `|3`... for follow-ups. None when any scope was recorded meanwhile.
        """
        stamp = to_timestamp(now)
        with self._write() as db:
            keys = [f"{kind}|{scope}|{period}" for scope, _ in scopes]
            marks = ", ".join("?" for _ in keys)
            if db.execute(f"SELECT 1 FROM alert_scopes WHERE key IN ({marks})", keys).fetchone():
                return None
            count = db.execute("SELECT count(*) FROM alerts WHERE kind = ? AND period = ?", [kind, period]).fetchone()
            identity = identity_base if count[0] == 0 else f"{identity_base}|{count[0] + 1}"
            db.execute(
                "INSERT INTO alerts (identity, kind, period, state, summary, payload, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [identity, kind, period, PENDING, summary, payload, stamp],
            )
            for key, (scope, label) in zip(keys, scopes, strict=True):
                db.execute(
                    "INSERT INTO alert_scopes (key, kind, scope, label, period, period_end, message, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    [key, kind, scope, label, period, period_end, identity, stamp],
                )
            row = db.execute(f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE identity = ?", [identity]).fetchone()
        return _alert(row)

    # --- delivery -------------------------------------------------------------------------------------------

    def to_deliver(self, include_failed: bool = False) -> list[AlertRecord]:
        """Messages still to post, oldest first: pending ones, plus permanently failed ones when asked."""
        states = [PENDING, FAILED] if include_failed else [PENDING]
        marks = ", ".join("?" for _ in states)
        with self.store.reading() as db:
            rows = db.execute(
                f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE state IN ({marks}) ORDER BY rowid", states
            ).fetchall()
        return [_alert(r) for r in rows]

    def mark_posted(self, identity: str, channel: str, ts: str, now: datetime) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE alerts SET state = ?, channel = ?, ts = ?, posted_at = ?, attempts = attempts + 1, "
                "last_error = NULL WHERE identity = ?",
                [POSTED, channel, ts, to_timestamp(now), identity],
            )

    def mark_failed(self, identity: str, error: str, *, permanent: bool, channel: str | None) -> None:
        with self._write() as db:
            db.execute(
                "UPDATE alerts SET state = ?, channel = ?, attempts = attempts + 1, last_error = ? WHERE identity = ?",
                [FAILED if permanent else PENDING, channel, error, identity],
            )

    # --- reads and buttons ----------------------------------------------------------------------------------

    def get(self, identity: str) -> AlertRecord | None:
        with self.store.reading() as db:
            row = db.execute(f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE identity = ?", [identity]).fetchone()
        return None if row is None else _alert(row)

    def recent(self, limit: int = 10) -> list[AlertRecord]:
        with self.store.reading() as db:
            rows = db.execute(
                f"SELECT {_ALERT_COLUMNS} FROM alerts ORDER BY created_at DESC, identity DESC LIMIT ?", [limit]
            ).fetchall()
        return [_alert(r) for r in rows]

    def failures(self) -> list[AlertRecord]:
        with self.store.reading() as db:
            rows = db.execute(
                f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE state = ? ORDER BY created_at, identity", [FAILED]
            ).fetchall()
        return [_alert(r) for r in rows]

    def message_scopes(self, identity: str) -> list[tuple[str, str]]:
        """(scope, label) of every scope the message covers, in the order they were recorded."""
        with self.store.reading() as db:
            rows = db.execute(
                "SELECT scope, label FROM alert_scopes WHERE message = ? ORDER BY rowid", [identity]
            ).fetchall()
        return [(r[0], r[1]) for r in rows]

    def acknowledge(self, identity: str, user: str, now: datetime) -> AlertRecord | None:
        """Record who acknowledged it (the first click wins); the record afterwards, None if unknown."""
        with self._write() as db:
            db.execute(
                "UPDATE alerts SET state = CASE WHEN state = ? THEN ? ELSE state END, acked_by = ?, acked_at = ? "
                "WHERE identity = ? AND acked_by IS NULL",
                [POSTED, ACKNOWLEDGED, user, to_timestamp(now), identity],
            )
            row = db.execute(f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE identity = ?", [identity]).fetchone()
        return None if row is None else _alert(row)

    # --- snoozes --------------------------------------------------------------------------------------------

    def snooze(self, scopes: Sequence[tuple[str, str]], *, until: datetime, by: str, now: datetime) -> None:
        """Mute each (scope, label) until `until`; a later snooze of the same scope replaces the earlier one."""
        with self._write() as db:
            for scope, label in scopes:
                db.execute(
                    "INSERT INTO snoozes (scope, label, until, by, created_at) VALUES (?, ?, ?, ?, ?) "
                    "ON CONFLICT (scope) DO UPDATE SET label = excluded.label, until = excluded.until, "
                    "by = excluded.by, created_at = excluded.created_at",
                    [scope, label, to_timestamp(until), by, to_timestamp(now)],
                )

    def active_snoozes(self, now: datetime) -> list[Snooze]:
        with self.store.reading() as db:
            rows = db.execute(
                "SELECT scope, label, until, by, created_at FROM snoozes WHERE until > ? ORDER BY until, scope",
                [to_timestamp(now)],
            ).fetchall()
        return [Snooze(*r) for r in rows]
