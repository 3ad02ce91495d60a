"""The day_fetches table: when each provider's day was last fetched, written with the data it describes.

One row per (day, provider), replaced in the same transaction that replaces that day's spend, with the moment
the sync started fetching (the conservative end of the fetch: data asked for at 23:59:50 may hold less than
the day). What it means for a day to be final is bot.freshness; this module only stores and reads the times.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

from sqlite_utils import Database

from bot.freshness import ProviderFetches, is_final

SCHEMA = """CREATE TABLE day_fetches (
    day TEXT NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]'),
    provider TEXT NOT NULL,
    fetched_at TEXT NOT NULL,
    PRIMARY KEY (day, provider)
) STRICT, WITHOUT ROWID"""

_UPSERT = (
    "INSERT INTO day_fetches (day, provider, fetched_at) VALUES (?, ?, ?) "
    "ON CONFLICT (day, provider) DO UPDATE SET fetched_at = excluded.fetched_at"
)
# fetched_at and this expression are both "YYYY-MM-DDTHH:MM:SSZ", so comparing the strings compares the times
_DAY_END = "strftime('%Y-%m-%dT%H:%M:%SZ', day, '+1 day')"


def _days(start: date, end: date) -> Iterator[date]:
    day = start
    while day < end:
        yield day
        day += timedelta(days=1)


def record_fetch(db: Database, provider: str, start: date, end: date, fetched_at: str) -> None:
    """The days [start, end) of `provider` were fetched at `fetched_at` (ISO 8601 UTC with a Z)."""
    db.conn.executemany(_UPSERT, ((day.isoformat(), provider, fetched_at) for day in _days(start, end)))


def backfill_from_sync_log(db: Database) -> None:
    """For a database made before day_fetches existed: every successful sync's window, oldest first.

    A successful sync replaced exactly the days of its window, so the latest one covering a day is the fetch
    its stored figures come from.
    """
    rows = db.execute(
        "SELECT provider, window_start, window_end, started_at FROM sync_log WHERE status = 'ok' ORDER BY id"
    ).fetchall()
    for provider, start, end, started_at in rows:
        record_fetch(db, provider, date.fromisoformat(start), date.fromisoformat(end), started_at)


def _moment(stamp: str) -> datetime:
    moment = datetime.fromisoformat(stamp)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _summaries(db: Database) -> dict[str, tuple[date, date, datetime, date | None]]:
    """provider -> (first day, last day, latest fetch, complete through) for every provider with a fetched day.

    Complete through is counted over the provider's latest unbroken run of fetched days, so a day left behind
    before a long downtime (beyond what any sync fetches again) cannot hold it back forever; reports still name
    such a day wherever a period reaches it.
    """
    # the first day of each provider's latest unbroken run of fetched days
    run_start = dict(
        db.execute(
            "SELECT a.provider, MAX(a.day) FROM day_fetches AS a WHERE NOT EXISTS (SELECT 1 FROM day_fetches AS b "
            "WHERE b.day = date(a.day, '-1 day') AND b.provider = a.provider) GROUP BY a.provider"
        )
    )
    out = {}
    for provider, first, last, latest in db.execute(
        "SELECT provider, MIN(day), MAX(day), MAX(fetched_at) FROM day_fetches GROUP BY provider"
    ):
        run = run_start[provider]
        (unfinished,) = db.execute(
            f"SELECT MIN(day) FROM day_fetches WHERE day >= ? AND provider = ? AND fetched_at < {_DAY_END}",
            (run, provider),
        ).fetchone()
        through: date | None = date.fromisoformat(last)
        if unfinished is not None:
            through = date.fromisoformat(unfinished) - timedelta(days=1)
            through = through if through >= date.fromisoformat(run) else None
        out[provider] = (date.fromisoformat(first), date.fromisoformat(last), _moment(latest), through)
    return out


def provider_fetches(db: Database, start: date, end: date) -> dict[str, ProviderFetches]:
    """Every provider with a fetched day: its summary, and the fetch time of each day in [start, end]."""
    days: dict[str, dict[date, datetime]] = defaultdict(dict)
    for day, provider, fetched_at in db.execute(
        "SELECT day, provider, fetched_at FROM day_fetches WHERE day >= ? AND day <= ?",
        (start.isoformat(), end.isoformat()),
    ):
        days[provider][date.fromisoformat(day)] = _moment(fetched_at)
    return {
        provider: ProviderFetches(provider, first, last, latest, through, (start, end), dict(days.get(provider, {})))
        for provider, (first, last, latest, through) in _summaries(db).items()
    }


def first_unfinished_day(db: Database, provider: str, since: date) -> date | None:
    """The provider's first day from `since` on that is not final: fetched before it ended, or never fetched
    although later days were. None when there is none (or nothing is synced)."""
    rows = db.execute(
        "SELECT day, fetched_at FROM day_fetches WHERE day >= ? AND provider = ? ORDER BY day",
        (since.isoformat(), provider),
    ).fetchall()
    (first,) = db.execute("SELECT MIN(day) FROM day_fetches WHERE provider = ?", (provider,)).fetchone()
    if not rows:
        return None
    expected = max(since, date.fromisoformat(first))
    for day_text, fetched_at in rows:
        day = date.fromisoformat(day_text)
        if day > expected:
            return expected  # a gap: `expected` was never fetched
        if not is_final(day, _moment(fetched_at)):
            return day
        expected = day + timedelta(days=1)
    return None
