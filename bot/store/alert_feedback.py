"""The alert_feedback table (migration 003): Expected / Not expected answers to anomaly alerts (bot.alerts.feedback).

Writes take the write lock with their first statement, as every ledger write does (bot.store.alerts).
"""

from __future__ import annotations

from datetime import datetime

from bot.alerts.feedback import EXPECTED, Feedback
from bot.store.alerts import AlertStore
from bot.store.db import to_timestamp

_COLUMNS = "f.identity, a.kind, a.summary, f.verdict, f.by, f.at, f.until"


def record_feedback(
    alert_store: AlertStore, identity: str, verdict: str, *, by: str, now: datetime, until: datetime | None
) -> Feedback | None:
    """Record `by`'s answer about the alert `identity` (replacing an earlier one); None if the alert is unknown."""
    with alert_store.store.writing() as db:
        db.execute("UPDATE alert_feedback SET rowid = rowid WHERE 0")  # take the write lock now
        if db.execute("SELECT 1 FROM alerts WHERE identity = ?", [identity]).fetchone() is None:
            return None
        db.execute(
            "INSERT INTO alert_feedback (identity, verdict, by, at, until) VALUES (?, ?, ?, ?, ?) "
            "ON CONFLICT (identity) DO UPDATE SET verdict = excluded.verdict, by = excluded.by, at = excluded.at, "
            "until = excluded.until",
            [identity, verdict, by, to_timestamp(now), None if until is None else to_timestamp(until)],
        )
    return feedback_for(alert_store, identity)


def feedback_for(alert_store: AlertStore, identity: str) -> Feedback | None:
    with alert_store.store.reading() as db:
        row = db.execute(
            f"SELECT {_COLUMNS} FROM alert_feedback f JOIN alerts a ON a.identity = f.identity WHERE f.identity = ?",
            [identity],
        ).fetchone()
    return None if row is None else Feedback(*row)


def recent_feedback(alert_store: AlertStore, limit: int = 10) -> list[Feedback]:
    with alert_store.store.reading() as db:
        rows = db.execute(
            f"SELECT {_COLUMNS} FROM alert_feedback f JOIN alerts a ON a.identity = f.identity "
            "ORDER BY f.at DESC, f.identity LIMIT ?",
            [limit],
        ).fetchall()
    return [Feedback(*r) for r in rows]


def expected_scopes(alert_store: AlertStore, now: datetime) -> set[str]:
    """The scopes of every alert someone called Expected whose mute has not ended at `now`."""
    with alert_store.store.reading() as db:
        rows = db.execute(
            "SELECT DISTINCT s.scope FROM alert_feedback f JOIN alert_scopes s ON s.message = f.identity "
            "WHERE f.verdict = ? AND f.until > ?",
            [EXPECTED, to_timestamp(now)],
        ).fetchall()
    return {r[0] for r in rows}
