"""Report rollups that keep every report read small whatever the length of the history (issue 6).

- `usage_tier_daily`: token counts per (day, provider, service_tier), summed from usage_daily. Token totals and
  the Priority Tier days read a few rows a day instead of one per workspace × model.
- `spend_model_monthly`, `spend_workspace_monthly`: the daily model and workspace rollups summed per calendar
  month. A long range reads whole months from these and only its ragged ends from the daily rollups, so a
  400-day report reads ~15 months + ≤ 60 days of rows instead of 400 days of them (and no sort of 20k rows).

All three are rebuilt inside the transaction that replaces a provider's days (`rebuild`), from tables that
transaction has just rewritten, so they can never disagree with the daily figures.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlite_utils import Database

TOKENS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "requests")
# monthly table -> (the daily rollup it sums, its group columns after the month)
MONTHLY = {
    "spend_model_monthly": ("spend_model_daily", ("provider", "model")),
    "spend_workspace_monthly": ("spend_workspace_daily", ("provider", "workspace_id")),
}
_MONTH = "month TEXT NOT NULL CHECK (month GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]')"

SCHEMA = [
    """CREATE TABLE usage_tier_daily (
        day TEXT NOT NULL, provider TEXT NOT NULL, service_tier TEXT NOT NULL,
        input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cache_read_tokens INTEGER NOT NULL,
        cache_write_tokens INTEGER NOT NULL, requests INTEGER NOT NULL,
        PRIMARY KEY (day, provider, service_tier)
    ) STRICT, WITHOUT ROWID""",
    f"""CREATE TABLE spend_model_monthly (
        {_MONTH}, provider TEXT NOT NULL, model TEXT NOT NULL, amount_nano INTEGER NOT NULL,
        PRIMARY KEY (month, provider, model)
    ) STRICT, WITHOUT ROWID""",
    f"""CREATE TABLE spend_workspace_monthly (
        {_MONTH}, provider TEXT NOT NULL, workspace_id TEXT NOT NULL, amount_nano INTEGER NOT NULL,
        PRIMARY KEY (month, provider, workspace_id)
    ) STRICT, WITHOUT ROWID""",
]
_SUMS = ", ".join(f"SUM({c})" for c in TOKENS)
_INSERT_TIERS = (
    f"INSERT INTO usage_tier_daily (day, provider, service_tier, {', '.join(TOKENS)}) "
    f"SELECT day, provider, service_tier, {_SUMS} FROM usage_daily "
    "WHERE day >= ? AND day < ? AND provider = ? GROUP BY day, provider, service_tier"
)
_EVERYTHING = ("0000-01-01", "9999-12-31")


def create(db: Database) -> None:
    """The tables, filled from the daily tables already in the database (the migration)."""
    for statement in SCHEMA:
        db.execute(statement)
    providers = {row[0] for row in db.execute("SELECT DISTINCT provider FROM spend_provider_daily").fetchall()}
    providers |= {row[0] for row in db.execute("SELECT DISTINCT provider FROM usage_daily").fetchall()}
    for provider in sorted(providers):
        _insert_tiers(db, provider, *_EVERYTHING)
        _insert_months(db, provider, *_EVERYTHING)


def rebuild(db: Database, provider: str, start: date, end: date) -> None:
    """Recompute the rollups of `provider` for the days [start, end) and the whole months they touch."""
    days = (start.isoformat(), end.isoformat())
    months = (start.replace(day=1).isoformat(), _next_month(end - timedelta(days=1)).isoformat())
    db.execute("DELETE FROM usage_tier_daily WHERE day >= ? AND day < ? AND provider = ?", (*days, provider))
    for table in MONTHLY:
        db.execute(
            f"DELETE FROM {table} WHERE month >= ? AND month < ? AND provider = ?",
            (months[0][:7], months[1][:7], provider),
        )
    _insert_tiers(db, provider, *days)
    _insert_months(db, provider, *months)


def _insert_tiers(db: Database, provider: str, lo: str, hi: str) -> None:
    db.execute(_INSERT_TIERS, (lo, hi, provider))


def _insert_months(db: Database, provider: str, lo: str, hi: str) -> None:
    """Monthly rows from the daily rollups for the days [lo, hi), which must be whole months."""
    for table, (daily, columns) in MONTHLY.items():
        group = ", ".join(columns)
        db.execute(
            f"INSERT INTO {table} (month, {group}, amount_nano) "
            f"SELECT substr(day, 1, 7), {group}, SUM(amount_nano) FROM {daily} "
            f"WHERE day >= ? AND day < ? AND provider = ? GROUP BY substr(day, 1, 7), {group}",
            (lo, hi, provider),
        )


# ---- reads (inclusive [start, end]) ------------------------------------------------------------------------


def grouped(db: Database, table: str, start: date, end: date) -> list[Any]:
    """(*group, SUM(amount_nano)) over [start, end] for a monthly table: whole months from it, the ends daily."""
    daily, columns = MONTHLY[table]
    group = ", ".join(columns)
    months_from = start if start.day == 1 else _next_month(start)
    months_to = _next_month(end) - timedelta(days=1)  # the last day of end's month
    if months_to != end:
        months_to = end.replace(day=1) - timedelta(days=1)
    days: list[tuple[date, date]] = []  # the ragged ends, read from the daily rollup
    months: tuple[str, str] | None = None
    if months_from > months_to:  # no whole month inside
        days.append((start, end))
    else:
        months = (_month(months_from), _month(months_to))
        if start < months_from:
            days.append((start, months_from - timedelta(days=1)))
        if months_to < end:
            days.append((months_to + timedelta(days=1), end))
    parts, params = [], []
    for first, last in days:
        parts.append(f"SELECT {group}, amount_nano FROM {daily} WHERE day BETWEEN ? AND ?")
        params += [first.isoformat(), last.isoformat()]
    if months is not None:
        parts.append(f"SELECT {group}, amount_nano FROM {table} WHERE month BETWEEN ? AND ?")
        params += list(months)
    union = " UNION ALL ".join(parts)
    return db.execute(f"SELECT {group}, SUM(amount_nano) FROM ({union}) GROUP BY {group}", params).fetchall()


def token_sums(db: Database, start: date, end: date) -> tuple[int, int, int, int]:
    # SUM() of integers is exact (TOTAL() would be a float); COALESCE maps an empty range's NULL to 0
    row = db.execute(
        "SELECT COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0), "
        "COALESCE(SUM(cache_read_tokens), 0), COALESCE(SUM(cache_write_tokens), 0) "
        "FROM usage_tier_daily WHERE day BETWEEN ? AND ?",
        (start.isoformat(), end.isoformat()),
    ).fetchone()
    return row[0], row[1], row[2], row[3]


def tier_days(db: Database, start: date, end: date, tiers: tuple[str, ...]) -> list[tuple[str, str]]:
    """(day, provider) with any tokens or requests in one of `tiers`, oldest first (ISO days)."""
    marks = ", ".join("?" for _ in tiers)
    rows = db.execute(
        "SELECT DISTINCT day, provider FROM usage_tier_daily "
        f"WHERE day BETWEEN ? AND ? AND service_tier IN ({marks}) AND {' + '.join(TOKENS)} > 0 "
        "ORDER BY day, provider",
        [start.isoformat(), end.isoformat(), *tiers],
    ).fetchall()
    return [(day, provider) for day, provider in rows]


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _month(day: date) -> str:
    return day.isoformat()[:7]
