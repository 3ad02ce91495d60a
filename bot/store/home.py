"""Who opened the App Home tab and when, so the bot can refresh their dashboard after each sync.

Kept in SQLite rather than in memory so a restart still refreshes the tabs of people who opened them in the
last day (the first sync after a restart would otherwise refresh nobody), whichever process recorded the open.
One row per user; old rows are pruned as they are read, so the table stays as small as the set of recent viewers.
"""

from __future__ import annotations

from sqlite_utils import Database

SCHEMA = """CREATE TABLE home_viewers (
    user_id TEXT PRIMARY KEY,
    opened_at TEXT NOT NULL
) STRICT"""


def record_open(db: Database, user_id: str, opened_at: str) -> None:
    db.execute(
        "INSERT INTO home_viewers (user_id, opened_at) VALUES (?, ?) "
        "ON CONFLICT (user_id) DO UPDATE SET opened_at = MAX(opened_at, excluded.opened_at)",
        (user_id, opened_at),
    )


def viewers_since(db: Database, since: str) -> list[str]:
    """Users who opened the tab at or after `since`, most recent first; older rows are deleted."""
    db.execute("DELETE FROM home_viewers WHERE opened_at < ?", (since,))
    rows = db.execute(
        "SELECT user_id FROM home_viewers WHERE opened_at >= ? ORDER BY opened_at DESC, user_id", (since,)
    ).fetchall()
    return [str(r[0]) for r in rows]
