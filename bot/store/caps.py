"""Provider spend caps in the store: the caps each provider had at its last sync that could read them, and why
the last sync could not (read only: aispend never sets a limit).

`spend_caps` is replaced per provider inside the transaction that writes its sync. A refusal (the key or
organization may not read caps) empties it and records the note; a failed read keeps the rows and records the
note. `spend_cap_status` holds that note (NULL when the caps were read) and when it was checked.
"""

from __future__ import annotations

from datetime import date

from sqlite_utils import Database

from bot.records import ProviderData, SpendCap

SCHEMA = [
    """CREATE TABLE spend_caps (
        provider TEXT NOT NULL,
        scope TEXT NOT NULL CHECK (scope IN ('organization', 'workspace')),
        scope_id TEXT NOT NULL,
        period TEXT NOT NULL,
        limit_nano INTEGER NOT NULL CHECK (limit_nano >= 0),
        enforced INTEGER NOT NULL CHECK (enforced IN (0, 1)),
        cap_id TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (provider, scope, scope_id, period)
    ) STRICT""",
    """CREATE TABLE spend_cap_status (
        provider TEXT PRIMARY KEY,
        note TEXT,
        checked_at TEXT NOT NULL
    ) STRICT""",
]
_STATUS = (
    "INSERT INTO spend_cap_status (provider, note, checked_at) VALUES (?, ?, ?) "
    "ON CONFLICT (provider) DO UPDATE SET note = excluded.note, checked_at = excluded.checked_at"
)


def replace(db: Database, data: ProviderData, updated_at: str) -> None:
    """Within the caller's write transaction: the provider's caps as this sync read them (see the docstring)."""
    fetched = data.caps
    if fetched is None:
        return
    if fetched.caps is not None or fetched.refused:
        db.execute("DELETE FROM spend_caps WHERE provider = ?", (data.provider,))
    for cap in fetched.caps or ():
        db.execute(
            "INSERT OR REPLACE INTO spend_caps VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                data.provider,
                cap.scope,
                cap.scope_id,
                cap.period,
                cap.limit_nano,
                int(cap.enforced),
                cap.cap_id,
                updated_at,
            ),
        )
    db.execute(_STATUS, (data.provider, fetched.note, updated_at))


def caps(db: Database) -> list[SpendCap]:
    rows = db.execute(
        "SELECT provider, scope, scope_id, limit_nano, period, enforced, cap_id FROM spend_caps "
        "ORDER BY provider, scope, scope_id, period"
    ).fetchall()
    return [SpendCap(p, s, i, n, per, bool(e), c) for p, s, i, n, per, e, c in rows]


def notes(db: Database) -> dict[str, str]:
    """provider -> why its caps could not be read at the last sync (only providers with such a note)."""
    rows = db.execute("SELECT provider, note FROM spend_cap_status WHERE note IS NOT NULL ORDER BY provider")
    return {provider: note for provider, note in rows.fetchall()}


def workspace_daily(db: Database, provider: str, workspace_id: str, start: date, end: date) -> dict[date, int]:
    """One workspace/project's billed spend per day over [start, end] (inclusive)."""
    rows = db.execute(
        "SELECT day, amount_nano FROM spend_workspace_daily WHERE day BETWEEN ? AND ? AND provider = ? "
        "AND workspace_id = ?",
        (start.isoformat(), end.isoformat(), provider, workspace_id),
    ).fetchall()
    return {date.fromisoformat(day): nano for day, nano in rows}
