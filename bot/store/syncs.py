"""The sync log (one row per provider sync: running -> ok | error) and the key/value settings table."""

from __future__ import annotations

from datetime import date, timedelta

from sqlite_utils import Database

from bot.records import SyncState

STATUSES = ("ok", "error")


def begin_sync(db: Database, provider: str, started_at: str, window: tuple[date, date]) -> int:
    start, end = window
    cursor = db.execute(
        "INSERT INTO sync_log (provider, started_at, status, rows, window_start, window_end) "
        "VALUES (?, ?, 'running', 0, ?, ?)",
        (provider, started_at, start.isoformat(), end.isoformat()),
    )
    sync_id = cursor.lastrowid
    assert sync_id is not None  # an INSERT into a rowid table always sets it
    return sync_id


def finish_sync(db: Database, sync_id: int, finished_at: str, status: str, error: str | None, rows: int) -> None:
    if status not in STATUSES:
        raise ValueError(f"sync status must be one of {STATUSES}, not {status!r}")
    # the log holds a one-line reason; multi-line messages (config problems) are joined
    one_line = " ".join(error.split()) if error is not None else None
    cursor = db.execute(
        "UPDATE sync_log SET finished_at = ?, status = ?, error = ?, rows = ? WHERE id = ?",
        (finished_at, status, one_line, rows, sync_id),
    )
    if cursor.rowcount != 1:
        raise ValueError(f"no sync with id {sync_id} was begun")


def sync_states(db: Database) -> dict[str, SyncState]:
    rows = db.execute(
        """SELECT latest.provider, latest.status, latest.started_at, latest.finished_at, latest.error, latest.rows,
               (SELECT ok.finished_at FROM sync_log AS ok
                 WHERE ok.provider = latest.provider AND ok.status = 'ok' ORDER BY ok.id DESC LIMIT 1)
           FROM sync_log AS latest
           WHERE latest.id IN (SELECT MAX(id) FROM sync_log GROUP BY provider)"""
    ).fetchall()
    return {
        provider: SyncState(
            provider=provider,
            status=status,
            started_at=started_at,
            finished_at=finished_at,
            error=error,
            last_success_at=last_success_at,
            rows=rows_written,
        )
        for provider, status, started_at, finished_at, error, rows_written, last_success_at in rows
    }


def data_range(db: Database, provider: str) -> tuple[date, date] | None:
    """First and last day (inclusive) covered by the provider's successful syncs; None if it never synced."""
    first, end = db.execute(
        "SELECT MIN(window_start), MAX(window_end) FROM sync_log WHERE provider = ? AND status = 'ok'",
        (provider,),
    ).fetchone()
    if first is None:
        return None
    # windows are stored as fetched, end excluded
    return date.fromisoformat(first), date.fromisoformat(end) - timedelta(days=1)


def set_setting(db: Database, key: str, value: str | None) -> None:
    if value is None:
        db.execute("DELETE FROM settings WHERE key = ?", (key,))
    else:
        db.execute(
            "INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (key, value),
        )


def get_setting(db: Database, key: str) -> str | None:
    row = db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
    return None if row is None else str(row[0])


def change_stamp(db: Database) -> str:
    """A value that changes whenever a sync finishes (in any process) or a setting changes: a cache key."""
    row = db.execute(
        """SELECT (SELECT COUNT(*) || ':' || COALESCE(MAX(id), 0) || ':' || COALESCE(MAX(finished_at), '')
                     FROM sync_log),
                  (SELECT COALESCE(group_concat(key || '=' || COALESCE(value, ''), ';'), '') FROM settings)"""
    ).fetchone()
    return f"{row[0]}|{row[1]}"
