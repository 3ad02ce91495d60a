"""Usage by kind (bot.usage_kinds): its table, the per-window replace of each fetched kind, and the period sums.

`usage_kinds_daily` holds one metric of one kind per day at the grain the endpoint reports: project/workspace,
model, service tier and batch where reported ('' / '' when not), and the kind's own dimensions (`detail`). Each
kind fetched replaces its rows for the window inside the transaction that writes the provider's billed rows; a
kind the provider refused keeps its earlier rows, and `usage_kind_status` records the one sentence why, so the
report can say so. Quantities only: no dollars here (billed cost stays in cost_daily).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from sqlite_utils import Database

from bot.errors import StoreError
from bot.records import ProviderData
from bot.usage_kinds import KindSum

_DAY = "day TEXT NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]')"
_GRAIN = "provider, kind, workspace_id, model, service_tier, batch, detail, metric"
SCHEMA = [
    f"""CREATE TABLE usage_kinds_daily (
        {_DAY},
        provider TEXT NOT NULL,
        kind TEXT NOT NULL,
        workspace_id TEXT NOT NULL,
        model TEXT NOT NULL,
        service_tier TEXT NOT NULL,
        batch TEXT NOT NULL CHECK (batch IN ('', 'true', 'false')),
        detail TEXT NOT NULL,
        metric TEXT NOT NULL,
        quantity INTEGER NOT NULL CHECK (quantity >= 0),
        PRIMARY KEY (day, {_GRAIN})
    ) STRICT, WITHOUT ROWID""",
    """CREATE TABLE usage_kind_status (
        provider TEXT NOT NULL,
        kind TEXT NOT NULL,
        unavailable TEXT,
        checked_at TEXT NOT NULL,
        PRIMARY KEY (provider, kind)
    ) STRICT""",
]
_INSERT = (
    f"INSERT INTO usage_kinds_daily (day, {_GRAIN}, quantity) VALUES ({', '.join('?' * 10)}) "
    f"ON CONFLICT (day, {_GRAIN}) DO UPDATE SET quantity = usage_kinds_daily.quantity + excluded.quantity"
)
_STATUS = (
    "INSERT INTO usage_kind_status (provider, kind, unavailable, checked_at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (provider, kind) DO UPDATE SET unavailable = excluded.unavailable, checked_at = excluded.checked_at"
)
_DELETE = "DELETE FROM usage_kinds_daily WHERE day >= ? AND day < ? AND provider = ? AND kind = ?"
_BATCH = {None: "", True: "true", False: "false"}
_READ_BATCH = {"": None, "true": True, "false": False}


def create(db: Database) -> None:
    for statement in SCHEMA:
        db.execute(statement)


def replace(db: Database, data: ProviderData, updated_at: str) -> None:
    """Within the caller's write transaction: the window's rows of each fetched kind replace the stored ones; each
    refused kind keeps its rows and records why."""
    fetched = set(data.usage_kinds_fetched)
    window = (data.start.isoformat(), data.end.isoformat(), data.provider)
    for kind in sorted(fetched):
        db.execute(
            "DELETE FROM usage_kinds_daily WHERE day >= ? AND day < ? AND provider = ? AND kind = ?", (*window, kind)
        )
    db.conn.executemany(_INSERT, _rows(data, fetched))
    statuses: list[tuple[str, str, str | None, str]] = [(data.provider, k, None, updated_at) for k in sorted(fetched)]
    statuses += [(data.provider, kind, why, updated_at) for kind, why in sorted(data.usage_kinds_unavailable.items())]
    db.conn.executemany(_STATUS, statuses)


def _rows(data: ProviderData, fetched: set[str]) -> Iterator[tuple[object, ...]]:
    for r in data.all_usage_kinds():
        if r.provider != data.provider or r.kind not in fetched or not data.start <= r.day < data.end:
            raise _bug(data, f"a usage-by-kind record ({r.provider} {r.kind} on {r.day}) outside what was fetched")
        if type(r.quantity) is not int or r.quantity < 0:
            raise _bug(data, f"a usage quantity that is not a whole number ({r.quantity!r})")
        batch = _BATCH[r.batch]
        yield (
            r.day.isoformat(),
            r.provider,
            r.kind,
            r.workspace_id,
            r.model,
            r.service_tier,
            batch,
            r.detail,
            r.metric,
            r.quantity,
        )


def sums(db: Database, start: date, end: date) -> list[KindSum]:
    """Every kind's metrics over [start, end] (inclusive), summed over days and workspaces."""
    rows = db.execute(
        "SELECT provider, kind, model, service_tier, batch, detail, metric, SUM(quantity) FROM usage_kinds_daily "
        "WHERE day BETWEEN ? AND ? GROUP BY provider, kind, model, service_tier, batch, detail, metric",
        (start.isoformat(), end.isoformat()),
    ).fetchall()
    return [KindSum(p, k, m, t, _READ_BATCH[b], d, metric, q) for p, k, m, t, b, d, metric, q in rows]


def unavailable(db: Database) -> dict[tuple[str, str], str]:
    """(provider, kind) -> why the last sync could not read it, for the kinds the last sync could not read."""
    rows = db.execute("SELECT provider, kind, unavailable FROM usage_kind_status WHERE unavailable IS NOT NULL")
    return {(p, k): why for p, k, why in rows.fetchall()}


def _bug(data: ProviderData, what: str) -> StoreError:
    return StoreError(
        f"Refusing to store {data.provider} data for {data.start}..{data.end} (end excluded): it contains {what}. "
        "This is a bug in the provider module; please report it with the bot's log."
    )
