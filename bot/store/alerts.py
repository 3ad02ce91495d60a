"""The alert ledger: what was alerted, its delivery state, snoozes, and the lease that lets one process post.

Tables come from their own migration set, "aispend-alerts" (bot.store.alert_schema), applied through the Store's
per-thread connection.
- alerts: one row per message (identity PK), recorded *before* it is posted; state pending → posting → posted →
  acknowledged, or failed_permanent. `posting` (with attempt_at) is committed before each post, so a post whose
  outcome is unknown (a dropped connection, a timeout, a killed process) is never taken for "not posted"; it
  becomes `uncertain` when the bot cannot read the channel to find out (bot.alerts.delivery). The payload (JSON)
  re-renders the message for retries and buttons.
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

from bot.alerts.model import ACKNOWLEDGED, FAILED, PENDING, POSTED, POSTING, UNCERTAIN, AlertRecord, Snooze
from bot.store.alert_schema import migrations
from bot.store.db import to_timestamp
from bot.store.store import Store

_ALERT_COLUMNS = (
    "identity, kind, period, state, summary, payload, channel, ts, attempts, last_error, created_at, posted_at, "
    "acked_by, acked_at, attempt_at"
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

    def lease(self, name: str) -> tuple[str, str] | None:
        """(holder, expires_at) of the lease `name`, or None when nobody has taken it."""
        with self.store.reading() as db:
            row = db.execute("SELECT holder, expires_at FROM leases WHERE name = ?", [name]).fetchone()
        return None if row is None else (str(row[0]), str(row[1]))

    def take_over_lease(self, name: str, holder: str, previous: str, until: datetime) -> bool:
        """Take the lease from `previous` (a holder known to be gone), unless someone else took it meanwhile."""
        with self._write() as db:
            cursor = db.execute(
                "UPDATE leases SET holder = ?, expires_at = ? WHERE name = ? AND holder = ?",
                [holder, to_timestamp(until), name, previous],
            )
            return cursor.rowcount == 1

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
        """Messages still to post or to check, oldest first: pending, posting and uncertain ones, plus permanently
        failed ones when asked."""
        states = [PENDING, POSTING, UNCERTAIN, *([FAILED] if include_failed else [])]
        marks = ", ".join("?" for _ in states)
        with self.store.reading() as db:
            rows = db.execute(
                f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE state IN ({marks}) ORDER BY rowid", states
            ).fetchall()
        return [_alert(r) for r in rows]

    def begin_attempt(
        self, identity: str, channel: str, now: datetime, *, expected: str, expected_attempt: str | None
    ) -> bool:
        """Record that a post to `channel` starts now, before it is sent: False if the message left state `expected`
        or its last attempt is no longer `expected_attempt` (another evaluation has it, or made a newer attempt
        while this one looked for the old). Committed first, so a kill during the post leaves `posting`."""
        with self._write() as db:
            cursor = db.execute(
                "UPDATE alerts SET state = ?, channel = ?, attempt_at = ?, attempts = attempts + 1 "
                "WHERE identity = ? AND state = ? AND attempt_at IS ?",
                [POSTING, channel, to_timestamp(now), identity, expected, expected_attempt],
            )
            return cursor.rowcount == 1

    def mark_posted(self, identity: str, channel: str, ts: str, now: datetime) -> None:
        """Slack has it (it answered with `ts`, or the channel's history showed it)."""
        with self._write() as db:
            db.execute(
                "UPDATE alerts SET state = ?, channel = ?, ts = ?, posted_at = ?, attempt_at = NULL, "
                "last_error = NULL WHERE identity = ?",
                [POSTED, channel, ts, to_timestamp(now), identity],
            )

    def mark_failed(self, identity: str, error: str, *, permanent: bool, channel: str | None) -> None:
        """Slack answered that it did not post it: pending again (retried), or failed_permanent."""
        with self._write() as db:
            db.execute(
                "UPDATE alerts SET state = ?, channel = ?, attempt_at = NULL, last_error = ? WHERE identity = ?",
                [FAILED if permanent else PENDING, channel, error, identity],
            )

    def mark_unknown(self, identity: str, error: str) -> None:
        """The post's outcome is unknown: it stays `posting` (with its attempt_at) until the channel is checked."""
        with self._write() as db:
            db.execute("UPDATE alerts SET last_error = ? WHERE identity = ? AND state = ?", [error, identity, POSTING])

    def mark_uncertain(self, identity: str, error: str) -> None:
        """The outcome is unknown and the channel cannot be read: only an admin's resend posts it again."""
        with self._write() as db:
            db.execute(
                "UPDATE alerts SET state = ?, last_error = ? WHERE identity = ? AND state IN (?, ?)",
                [UNCERTAIN, error, identity, POSTING, UNCERTAIN],
            )

    def allow_resend(self, identity: str) -> AlertRecord | None:
        """An admin found an uncertain (or refused) message missing from the channel: make it pending again.
        The record afterwards, None if unknown; its state says whether it changed."""
        with self._write() as db:
            db.execute(
                "UPDATE alerts SET state = ?, attempt_at = NULL WHERE identity = ? AND state IN (?, ?)",
                [PENDING, identity, UNCERTAIN, FAILED],
            )
            row = db.execute(f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE identity = ?", [identity]).fetchone()
        return None if row is None else _alert(row)

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
        """What needs an admin: messages Slack refused for good, and posts whose outcome nobody could check."""
        with self.store.reading() as db:
            rows = db.execute(
                f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE state IN (?, ?) ORDER BY created_at, identity",
                [FAILED, UNCERTAIN],
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
