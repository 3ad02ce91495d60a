"""The usage_priced table (issue 14): usage at the grain a price list needs, which the estimates price.

Replaced with the provider's other days of data in the same transaction (bot.store.spend), so it always
describes the same fetch as usage_daily. Its rows are usage, never billed cost.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Protocol

from sqlite_utils import Database

from bot.errors import StoreError
from bot.records import PricedUsage, ProviderData

TABLE = "usage_priced"
SCHEMA = """CREATE TABLE usage_priced (
    day TEXT NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    service_tier TEXT NOT NULL,
    batch INTEGER NOT NULL CHECK (batch IN (0, 1)),
    context_window TEXT NOT NULL,
    inference_geo TEXT NOT NULL,
    uncached_input INTEGER NOT NULL,
    cache_read INTEGER NOT NULL,
    cache_write_5m INTEGER NOT NULL,
    cache_write_1h INTEGER NOT NULL,
    output INTEGER NOT NULL,
    web_searches INTEGER NOT NULL,
    requests INTEGER NOT NULL,
    PRIMARY KEY (day, provider, model, service_tier, batch, context_window, inference_geo)
) STRICT, WITHOUT ROWID"""

_COUNTS = ("uncached_input", "cache_read", "cache_write_5m", "cache_write_1h", "output", "web_searches", "requests")
_INSERT = (
    "INSERT INTO usage_priced (day, provider, model, service_tier, batch, context_window, inference_geo, "
    f"{', '.join(_COUNTS)}) VALUES ({', '.join('?' * 14)}) "
    "ON CONFLICT (day, provider, model, service_tier, batch, context_window, inference_geo) DO UPDATE SET "
    + ", ".join(f"{c} = usage_priced.{c} + excluded.{c}" for c in _COUNTS)
)
_INT_ONLY = {int}


class DayCheck(Protocol):
    def check(self, provider: str, day: date) -> str: ...
    def bug(self, what: str) -> StoreError: ...


def replace(db: Database, data: ProviderData, days: DayCheck) -> None:
    """Write data's priced usage (the caller deleted the window's rows); `days` refuses a record outside the
    window or of another provider, as for every other record of the fetch."""
    db.conn.executemany(_INSERT, _rows(data, days))


def _rows(data: ProviderData, days: DayCheck) -> Iterator[tuple[object, ...]]:
    for r in data.all_priced_usage():
        counts = (r.uncached_input, r.cache_read, r.cache_write_5m, r.cache_write_1h, r.output, r.web_searches)
        if set(map(type, (*counts, r.requests))) != _INT_ONLY or min(*counts, r.requests) < 0:
            raise days.bug(f"a priced usage count that is not a whole number ({counts!r})")
        yield (
            days.check(r.provider, r.day),
            r.provider,
            r.model,
            r.service_tier,
            int(r.batch),
            r.context_window,
            r.inference_geo,
            *counts,
            r.requests,
        )


def rows(db: Database, start: date, end: date) -> list[PricedUsage]:
    """Every priced usage row of the days [start, end], in day order."""
    out = []
    for day, provider, model, tier, batch, window, geo, *counts in db.execute(
        "SELECT day, provider, model, service_tier, batch, context_window, inference_geo, "
        f"{', '.join(_COUNTS)} FROM usage_priced WHERE day BETWEEN ? AND ? ORDER BY day, provider, model",
        (start.isoformat(), end.isoformat()),
    ):
        out.append(PricedUsage(provider, date.fromisoformat(day), model, tier, bool(batch), window, geo, *counts))
    return out


def model_daily(db: Database, start: date, end: date) -> dict[tuple[date, str, str], int]:
    """(day, provider, model) -> billed nano-dollars of the days [start, end], from the daily model rollup."""
    return {
        (date.fromisoformat(day), provider, model): amount
        for day, provider, model, amount in db.execute(
            "SELECT day, provider, model, amount_nano FROM spend_model_daily WHERE day BETWEEN ? AND ?",
            (start.isoformat(), end.isoformat()),
        )
    }
