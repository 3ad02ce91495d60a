"""The export's reads (`aispend export`): billed cost rows at one grain, streamed from a cursor in day order.

Each function takes the Store and yields rows as SQLite produces them, so a year of a large organization never
becomes one list in Python. Amounts are integer nano-dollars summed by SQLite (exact); ranges are inclusive.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.store.store import Store

# grain -> the cost_daily / usage_daily columns a row is grouped by, after day
GROUPS = {
    "day": ("provider",),
    "model": ("provider", "model"),
    "workspace": ("provider", "workspace_id"),
    "scope": ("provider", "workspace_id", "model"),
}
# cost_daily's primary key order: the line items stream in the table's own order, without a sort
_ITEMS = (
    "SELECT day, provider, workspace_id, model, item, service_tier, amount_nano FROM cost_daily "
    "WHERE day BETWEEN ? AND ? ORDER BY day, provider, workspace_id, model, item, service_tier"
)
# (day, provider, kind) of one day -> the four token counts of each spender, workspace and model
_SPENDER_TOKENS = (
    "SELECT provider, spender_id, workspace_id, model, input_tokens, output_tokens, cache_read_tokens, "
    "cache_write_tokens FROM spender_usage_daily WHERE day = ? AND kind = ?"
)

ItemRow = tuple[str, str, str, str, str, str, int]  # day, provider, workspace_id, model, item, service_tier, nano
# day, *group columns (text), nano or None (no cost row at that grain), input, output, cache_read, cache_write
GroupRow = tuple[Any, ...]


def item_rows(store: Store, start: date, end: date) -> Iterator[ItemRow]:
    """Every billed line item of [start, end]: the finest grain the cost endpoints give."""
    with store.reading() as db:
        yield from db.execute(_ITEMS, (start.isoformat(), end.isoformat()))


def group_rows(store: Store, start: date, end: date, grain: str) -> Iterator[GroupRow]:
    """Billed cost and tokens of [start, end] per day and GROUPS[grain]; the cost is None where tokens were used
    but no cost row exists at that grain (the bill has no figure for it yet), never a silent 0."""
    columns = ", ".join(GROUPS[grain])
    sql = (
        f"SELECT day, {columns}, CASE WHEN SUM(c) > 0 THEN SUM(nano) END, SUM(i), SUM(o), SUM(cr), SUM(cw) FROM ("
        f"SELECT day, {columns}, amount_nano AS nano, 1 AS c, 0 AS i, 0 AS o, 0 AS cr, 0 AS cw FROM cost_daily "
        "WHERE day BETWEEN ?1 AND ?2 UNION ALL "
        f"SELECT day, {columns}, 0, 0, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens "
        f"FROM usage_daily WHERE day BETWEEN ?1 AND ?2) GROUP BY day, {columns} ORDER BY day, {columns}"
    )
    with store.reading() as db:
        yield from db.execute(sql, (start.isoformat(), end.isoformat()))


Tokens4 = tuple[int, int, int, int]


def spender_tokens(store: Store, day: date, kind: str) -> dict[tuple[str, str, str, str], Tokens4]:
    """(provider, spender_id, workspace_id, model) -> (input, output, cache_read, cache_write) of one day."""
    with store.reading() as db:
        rows = db.execute(_SPENDER_TOKENS, (day.isoformat(), kind)).fetchall()
    return {(p, s, w, m): (i, o, cr, cw) for p, s, w, m, i, o, cr, cw in rows}
