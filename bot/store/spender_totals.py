"""Each day's per-spender dollars (issue 11 §7): the result of the token-share split, kept with the day.

`spender_totals_daily` has one row per (day, provider, kind, spender) of a day with a basis: the sum of the
spender's billed cost on a billed day, or its exact token share of each billed (workspace, model) group on a
token-share day (bot.spender_split). It is rebuilt inside the transaction that replaces a provider's days, from
the spender and scope rows that transaction has just written, so a `keys`/`users` report sums a few thousand rows
in SQL instead of reading and splitting tens of thousands in Python. Shares are split per day and only summed
across days, so the sums are exactly the figures of splitting every row at read time.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlite_utils import Database

from bot.records import BILLED, KEY, TOKEN_SHARE, USER
from bot.spender_split import Group, KindRows, shares

SCHEMA = f"""CREATE TABLE spender_totals_daily (
    day TEXT NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'), provider TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('{KEY}', '{USER}')), spender_id TEXT NOT NULL,
    basis TEXT NOT NULL CHECK (basis IN ('{BILLED}', '{TOKEN_SHARE}')), amount_nano INTEGER NOT NULL,
    PRIMARY KEY (day, provider, kind, spender_id)
) STRICT, WITHOUT ROWID"""

_WINDOW = "day >= ?1 AND day < ?2 AND provider = ?3"
_BILLED = (
    "INSERT INTO spender_totals_daily (day, provider, kind, spender_id, basis, amount_nano) "
    f"SELECT c.day, c.provider, c.kind, c.spender_id, '{BILLED}', SUM(c.amount_nano) FROM spender_cost_daily c "
    "JOIN spender_basis_daily b ON b.day = c.day AND b.provider = c.provider AND b.kind = c.kind "
    f"WHERE c.day >= ?1 AND c.day < ?2 AND c.provider = ?3 AND b.basis = '{BILLED}' "
    "GROUP BY c.day, c.provider, c.kind, c.spender_id"
)
_SHARE_DAYS = (
    f"SELECT day, kind FROM spender_basis_daily WHERE {_WINDOW} AND basis = '{TOKEN_SHARE}' ORDER BY day, kind"
)
_TOKENS = (
    "SELECT workspace_id, model, spender_id, input_tokens + output_tokens FROM spender_usage_daily "
    "WHERE day = ? AND provider = ? AND kind = ? AND input_tokens + output_tokens > 0"
)
_SCOPES = "SELECT workspace_id, model, amount_nano FROM spend_scope_daily WHERE day = ? AND provider = ?"
_INSERT = (
    "INSERT INTO spender_totals_daily (day, provider, kind, spender_id, basis, amount_nano) "
    f"VALUES (?, ?, ?, ?, '{TOKEN_SHARE}', ?)"
)
_EVERYTHING = (date(1, 1, 1), date(9999, 12, 31))
_NO_DAY = date.min  # the groups of one day need no day of their own


def create(db: Database) -> None:
    """The table, filled from the spender rows already in the database (the migration)."""
    db.execute(SCHEMA)
    for (provider,) in db.execute("SELECT DISTINCT provider FROM spender_basis_daily").fetchall():
        rebuild(db, provider, *_EVERYTHING)


def rebuild(db: Database, provider: str, start: date, end: date) -> None:
    """Recompute the provider's rows for the days [start, end), inside the caller's write transaction."""
    window = (start.isoformat(), end.isoformat(), provider)
    db.execute(f"DELETE FROM spender_totals_daily WHERE {_WINDOW}", window)
    db.execute(_BILLED, window)
    scopes: dict[str, dict[Group, int]] = {}  # one day's billed groups, read once for both kinds
    for day, kind in db.execute(_SHARE_DAYS, window).fetchall():
        if day not in scopes:
            scopes.clear()
            scopes[day] = _scopes(db, day, provider)
        groups: dict[Group, dict[str, int]] = defaultdict(dict)
        for workspace, model, spender, tokens in db.execute(_TOKENS, (day, provider, kind)):
            groups[(_NO_DAY, provider, workspace, model)][spender] = tokens
        totals: dict[str, int] = defaultdict(int)
        for _group, spender, nano in shares(groups, scopes[day]):
            totals[spender] += nano
        db.conn.executemany(_INSERT, ((day, provider, kind, spender, nano) for spender, nano in totals.items()))


def _scopes(db: Database, day: str, provider: str) -> dict[Group, int]:
    return {(_NO_DAY, provider, w, m): nano for w, m, nano in db.execute(_SCOPES, (day, provider))}


def kind_rows(db: Database, start: date, end: date, kind: str) -> KindRows:
    """One kind's figures over [start, end] (inclusive): the totals summed in SQL, each day's basis and spend."""
    span = (start.isoformat(), end.isoformat())
    totals = {
        (p, s, b): nano
        for p, s, b, nano in db.execute(
            "SELECT provider, spender_id, basis, SUM(amount_nano) FROM spender_totals_daily "
            "WHERE day BETWEEN ? AND ? AND kind = ? GROUP BY provider, spender_id, basis",
            (*span, kind),
        )
    }
    days: dict[str, date] = {}
    for offset in range((end - start).days + 1):
        day = start + timedelta(days=offset)
        days[day.isoformat()] = day
    basis = {
        (days[d], p): (b, r)
        for d, p, b, r in db.execute(
            "SELECT day, provider, basis, reason FROM spender_basis_daily WHERE kind = ? AND day BETWEEN ? AND ?",
            (kind, *span),
        )
    }
    spend = {
        (days[d], p): nano
        for d, p, nano in db.execute(
            "SELECT day, provider, amount_nano FROM spend_provider_daily WHERE day BETWEEN ? AND ?", span
        )
    }
    return KindRows(kind, totals, basis, spend)
