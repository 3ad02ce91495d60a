"""Spend data: replacing one provider's days with a fresh fetch, and the range reads reports and alerts use.

Every function takes the sqlite-utils Database of the calling thread; the Store decides the transaction.
Date ranges passed to reads are inclusive [start, end]; ProviderData windows are [start, end) as fetched.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlite_utils import Database

from bot.errors import StoreError
from bot.records import Label, ProviderData, TokenTotals
from bot.store import priced, rollups, spenders, usage_kinds

# The order matters only for readability: facts first, then the rollups rebuilt from cost_daily.
SPEND_TABLES = (
    "cost_daily",
    "usage_daily",
    "cost_gaps",
    priced.TABLE,
    "spend_provider_daily",
    "spend_model_daily",
    "spend_workspace_daily",
    "spend_scope_daily",
)
# rollup table -> the cost_daily columns it groups by, after day
ROLLUPS = {
    "spend_provider_daily": ("provider",),
    "spend_model_daily": ("provider", "model"),
    "spend_workspace_daily": ("provider", "workspace_id"),
    "spend_scope_daily": ("provider", "workspace_id", "model"),
}
# Records that share a grain key are summed by the insert itself, so rows stream from the records into SQLite
# without a second copy of a 400-day fetch in memory (issue 6).
_INSERT_COST = (
    "INSERT INTO cost_daily (day, provider, workspace_id, model, item, service_tier, amount_nano) "
    "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (day, provider, workspace_id, model, item, service_tier) "
    "DO UPDATE SET amount_nano = cost_daily.amount_nano + excluded.amount_nano"
)
_INSERT_USAGE = (
    "INSERT INTO usage_daily (day, provider, workspace_id, model, service_tier, input_tokens, output_tokens, "
    "cache_read_tokens, cache_write_tokens, requests) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (day, provider, workspace_id, model, service_tier) DO UPDATE SET "
    "input_tokens = usage_daily.input_tokens + excluded.input_tokens, "
    "output_tokens = usage_daily.output_tokens + excluded.output_tokens, "
    "cache_read_tokens = usage_daily.cache_read_tokens + excluded.cache_read_tokens, "
    "cache_write_tokens = usage_daily.cache_write_tokens + excluded.cache_write_tokens, "
    "requests = usage_daily.requests + excluded.requests"
)
_INSERT_GAP = (
    "INSERT INTO cost_gaps (day, provider, rows) VALUES (?, ?, ?) "
    "ON CONFLICT (day, provider) DO UPDATE SET rows = cost_gaps.rows + excluded.rows"
)
# A label list that omits a workspace leaves its row alone, so archived names survive forever; a blank name
# never overwrites a known one.
_UPSERT_LABEL = (
    "INSERT INTO labels (provider, id, name, archived, updated_at) VALUES (?, ?, ?, ?, ?) "
    "ON CONFLICT (provider, id) DO UPDATE SET "
    "name = CASE WHEN excluded.name = '' THEN labels.name ELSE excluded.name END, "
    "archived = excluded.archived, updated_at = excluded.updated_at"
)

_INT_ONLY = {int}
CostRow = tuple[str, str, str, str, str, str, int]
UsageRow = tuple[str, str, str, str, str, int, int, int, int, int]


def replace_provider_data(db: Database, data: ProviderData, updated_at: str) -> int:
    """Replace data.provider's rows for [data.start, data.end) with data; returns cost + usage rows written.

    Must run inside one write transaction: the deletes come first (so the transaction takes the write lock at
    once), and a failure at any step (a record that fails its checks included) leaves the previous rows as
    they were.
    """
    labels = _label_rows(data, updated_at)
    if not db.conn.in_transaction:
        raise RuntimeError("replace_provider_data must run inside a write transaction (Store.writing())")
    params = (data.start.isoformat(), data.end.isoformat(), data.provider)
    for table in SPEND_TABLES:
        if table == priced.TABLE and data.priced_refused:
            continue  # its request was refused this time: the rows an earlier sync stored stay
        db.execute(f"DELETE FROM {table} WHERE day >= ? AND day < ? AND provider = ?", params)
    db.conn.executemany(_INSERT_COST, _cost_rows(data))
    db.conn.executemany(_INSERT_USAGE, _usage_rows(data))
    db.conn.executemany(_INSERT_GAP, _gap_rows(data))
    priced.replace(db, data, _DayChecker(data, "priced usage"))
    for table, columns in ROLLUPS.items():
        group = ", ".join(("day", *columns))
        db.execute(
            f"INSERT INTO {table} ({group}, amount_nano) SELECT {group}, SUM(amount_nano) FROM cost_daily "
            f"WHERE day >= ? AND day < ? AND provider = ? GROUP BY {group}",
            params,
        )
    rollups.rebuild(db, data.provider, data.start, data.end)
    db.conn.executemany(_UPSERT_LABEL, labels)
    spenders.replace(db, data, updated_at, _DayChecker(data, "spender"))
    usage_kinds.replace(db, data, updated_at)
    # one row per grain key: records that shared a key were summed into one
    return sum(
        db.execute(f"SELECT COUNT(*) FROM {table} WHERE day >= ? AND day < ? AND provider = ?", params).fetchone()[0]
        for table in ("cost_daily", "usage_daily")
    )


def _cost_rows(data: ProviderData) -> Iterator[CostRow]:
    """The rows to insert, checked as they stream: a bad record aborts the write transaction."""
    days = _DayChecker(data, "cost")
    for r in data.all_costs():
        if type(r.amount_nano) is not int:
            raise _bug(data, f"an amount that is not integer nano-dollars ({r.amount_nano!r})")
        yield (
            days.check(r.provider, r.day),
            r.provider,
            r.workspace_id,
            r.model,
            r.item,
            r.service_tier,
            r.amount_nano,
        )


def _usage_rows(data: ProviderData) -> Iterator[UsageRow]:
    days = _DayChecker(data, "usage")
    for r in data.all_usage():
        counts = (r.input_tokens, r.output_tokens, r.cache_read_tokens, r.cache_write_tokens, r.requests)
        if set(map(type, counts)) != _INT_ONLY:  # bool and float are refused too
            raise _bug(data, f"a token count that is not an integer ({counts!r})")
        yield (days.check(r.provider, r.day), r.provider, r.workspace_id, r.model, r.service_tier, *counts)


def _gap_rows(data: ProviderData) -> Iterator[tuple[str, str, int]]:
    days = _DayChecker(data, "cost gap")
    for gap in data.cost_gaps:
        if type(gap.rows) is not int or gap.rows < 1:
            raise _bug(data, f"a count of cost rows without an amount that is not a positive integer ({gap.rows!r})")
        yield (days.check(gap.provider, gap.day), gap.provider, gap.rows)


def _label_rows(data: ProviderData, updated_at: str) -> list[tuple[str, str, str, int, str]]:
    rows = []
    for label in data.labels:
        if label.provider != data.provider:
            raise _bug(data, f"a label of provider {label.provider!r}")
        rows.append((label.provider, label.id, label.name, int(label.archived), updated_at))
    return rows


class _DayChecker:
    """ISO day strings for records, refusing any outside the window or of another provider: a row outside the
    window would never be deleted by the next sync of that window, i.e. counted twice."""

    def __init__(self, data: ProviderData, kind: str) -> None:
        self.data = data
        self.kind = kind
        self.iso: dict[date, str] = {}

    def check(self, provider: str, day: date) -> str:
        iso = self.iso.get(day)
        if iso is None:
            if not self.data.start <= day < self.data.end:
                raise _bug(self.data, f"a {self.kind} record for {day}, outside the fetched days")
            iso = self.iso[day] = day.isoformat()
        if provider != self.data.provider:
            raise _bug(self.data, f"a {self.kind} record of provider {provider!r}")
        return iso

    def bug(self, what: str) -> StoreError:
        return _bug(self.data, what)


def _bug(data: ProviderData, what: str) -> StoreError:
    return StoreError(
        f"Refusing to store {data.provider} data for {data.start}..{data.end} (end excluded): it contains {what}. "
        "This is a bug in the provider module; please report it with the bot's log."
    )


# ---- reads: inclusive [start, end], from the rollups -------------------------------------------------------


def daily_totals(db: Database, start: date, end: date) -> dict[tuple[date, str], int]:
    rows = db.execute(
        "SELECT day, provider, amount_nano FROM spend_provider_daily WHERE day BETWEEN ? AND ?", _range(start, end)
    ).fetchall()
    return {(date.fromisoformat(day), provider): amount for day, provider, amount in rows}


def model_totals(db: Database, start: date, end: date) -> dict[tuple[str, str], int]:
    return {(p, m): amount for p, m, amount in rollups.grouped(db, "spend_model_monthly", start, end)}


def workspace_totals(db: Database, start: date, end: date) -> dict[tuple[str, str], int]:
    return {(p, w): amount for p, w, amount in rollups.grouped(db, "spend_workspace_monthly", start, end)}


def scope_totals(db: Database, start: date, end: date) -> dict[tuple[str, str, str], int]:
    columns = ("provider", "workspace_id", "model")
    return {(p, w, m): amount for p, w, m, amount in _grouped(db, "spend_scope_daily", columns, start, end)}


def _grouped(db: Database, table: str, columns: tuple[str, ...], start: date, end: date) -> list[Any]:
    group = ", ".join(columns)
    sql = f"SELECT {group}, SUM(amount_nano) FROM {table} WHERE day BETWEEN ? AND ? GROUP BY {group}"
    return db.execute(sql, _range(start, end)).fetchall()


def token_totals(db: Database, start: date, end: date) -> TokenTotals:
    total_input, output, cache_read, cache_write = rollups.token_sums(db, start, end)
    return TokenTotals(input=total_input, output=output, cache_read=cache_read, cache_write=cache_write)


def tier_usage_days(db: Database, start: date, end: date, tiers: tuple[str, ...]) -> list[tuple[date, str]]:
    """(day, provider) pairs with any tokens or requests in one of `tiers`, oldest first."""
    if not tiers:
        return []
    return [(date.fromisoformat(day), provider) for day, provider in rollups.tier_days(db, start, end, tiers)]


def cost_gaps(db: Database, start: date, end: date) -> dict[tuple[date, str], int]:
    """(day, provider) -> cost rows that came without an amount."""
    rows = db.execute("SELECT day, provider, rows FROM cost_gaps WHERE day BETWEEN ? AND ?", _range(start, end))
    return {(date.fromisoformat(day), provider): count for day, provider, count in rows.fetchall()}


def labels(db: Database) -> dict[tuple[str, str], Label]:
    rows = db.execute("SELECT provider, id, name, archived FROM labels").fetchall()
    return {(p, i): Label(provider=p, id=i, name=n, archived=bool(a)) for p, i, n, a in rows}


def _range(start: date, end: date) -> tuple[str, str]:
    return (start.isoformat(), end.isoformat())
