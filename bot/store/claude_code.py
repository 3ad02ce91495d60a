"""Claude Code activity (Anthropic's estimates, never billed cost): its tables, the per-window replace, the reads.

`claude_code_daily` holds one actor's activity per day, terminal and customer type; `claude_code_models` the
per-model tokens and estimated cost of the same grain. Both are replaced for the fetched days inside the
transaction that writes the provider's billed rows. `claude_code_status` says, per provider, whether the last
sync could read the API (and the one sentence why not) and the first day ever fetched, since history is capped.
Actors are emails (personal data) or API key names; nothing here logs them.
"""

from __future__ import annotations

from datetime import date

from sqlite_utils import Database

from bot.errors import StoreError
from bot.records import ClaudeCodeActorSums, ClaudeCodeDay, ClaudeCodeStatus, ProviderData

_DAY = "day TEXT NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]')"
_GRAIN = "provider, actor_type, actor, customer_type, terminal_type"
METRICS = ("sessions", "lines_added", "lines_removed", "commits", "pull_requests", "edits_accepted", "edits_rejected")
TOKENS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens", "estimated_cost_nano")

SCHEMA = [
    f"""CREATE TABLE claude_code_daily (
        {_DAY},
        provider TEXT NOT NULL,
        actor_type TEXT NOT NULL CHECK (actor_type IN ('user_actor', 'api_actor')),
        actor TEXT NOT NULL,
        customer_type TEXT NOT NULL,
        terminal_type TEXT NOT NULL,
        {", ".join(f"{m} INTEGER NOT NULL" for m in METRICS)},
        PRIMARY KEY (day, {_GRAIN})
    ) STRICT, WITHOUT ROWID""",
    f"""CREATE TABLE claude_code_models (
        {_DAY},
        provider TEXT NOT NULL,
        actor_type TEXT NOT NULL,
        actor TEXT NOT NULL,
        customer_type TEXT NOT NULL,
        terminal_type TEXT NOT NULL,
        model TEXT NOT NULL,
        {", ".join(f"{t} INTEGER NOT NULL" for t in TOKENS)},
        PRIMARY KEY (day, {_GRAIN}, model)
    ) STRICT, WITHOUT ROWID""",
    """CREATE TABLE claude_code_status (
        provider TEXT PRIMARY KEY,
        unavailable TEXT,
        first_day TEXT,
        checked_at TEXT NOT NULL
    ) STRICT""",
]
_SUMMED = ", ".join(f"{c} = {{t}}.{c} + excluded.{c}" for c in METRICS)
_INSERT_DAY = (
    f"INSERT INTO claude_code_daily (day, {_GRAIN}, {', '.join(METRICS)}) VALUES ({', '.join('?' * 13)}) "
    f"ON CONFLICT (day, {_GRAIN}) DO UPDATE SET " + _SUMMED.format(t="claude_code_daily")
)
_INSERT_MODEL = (
    f"INSERT INTO claude_code_models (day, {_GRAIN}, model, {', '.join(TOKENS)}) VALUES ({', '.join('?' * 12)}) "
    f"ON CONFLICT (day, {_GRAIN}, model) DO UPDATE SET "
    + ", ".join(f"{c} = claude_code_models.{c} + excluded.{c}" for c in TOKENS)
)
_STATUS = (
    "INSERT INTO claude_code_status (provider, unavailable, first_day, checked_at) VALUES (?, ?, ?, ?) "
    "ON CONFLICT (provider) DO UPDATE SET unavailable = excluded.unavailable, checked_at = excluded.checked_at, "
    "first_day = CASE WHEN claude_code_status.first_day IS NULL OR excluded.first_day < claude_code_status.first_day "
    "THEN COALESCE(excluded.first_day, claude_code_status.first_day) ELSE claude_code_status.first_day END"
)


def replace(db: Database, data: ProviderData, updated_at: str) -> None:
    """Within the caller's write transaction: data's Claude Code days replace the stored ones, or its reason for
    not having them is recorded (the stored rows stay). Nothing happens for a provider that does not fetch it."""
    if data.claude_code_unavailable is not None:
        db.execute(_STATUS, (data.provider, data.claude_code_unavailable, None, updated_at))
        return
    start = data.claude_code_start
    if start is None:
        return
    params = (start.isoformat(), data.end.isoformat(), data.provider)
    for table in ("claude_code_daily", "claude_code_models"):
        db.execute(f"DELETE FROM {table} WHERE day >= ? AND day < ? AND provider = ?", params)
    days, models = [], []
    for record in data.claude_code:
        key = _key(data, start, record)
        days.append((*key, *_ints(data, [getattr(record, m) for m in METRICS])))
        for m in record.models:
            counts = [m.input_tokens, m.output_tokens, m.cache_read_tokens, m.cache_write_tokens]
            models.append((*key, m.model, *_ints(data, [*counts, m.estimated_cost_nano])))
    db.conn.executemany(_INSERT_DAY, days)
    db.conn.executemany(_INSERT_MODEL, models)
    db.execute(_STATUS, (data.provider, None, start.isoformat(), updated_at))


def _key(data: ProviderData, start: date, r: ClaudeCodeDay) -> tuple[str, ...]:
    if not start <= r.day < data.end or r.provider != data.provider:
        raise _bug(data, f"a Claude Code record of {r.provider} for {r.day}, outside the fetched days")
    return (r.day.isoformat(), r.provider, r.actor_type, r.actor, r.customer_type, r.terminal_type)


def _ints(data: ProviderData, values: list[int]) -> list[int]:
    if any(type(v) is not int for v in values):  # bool and float are refused too
        raise _bug(data, f"a Claude Code count that is not an integer ({values!r})")
    return values


def _bug(data: ProviderData, what: str) -> StoreError:
    return StoreError(
        f"Refusing to store {data.provider} data for {data.start}..{data.end} (end excluded): it contains {what}. "
        "This is a bug in the provider module; please report it with the bot's log."
    )


def actor_sums(db: Database, start: date, end: date) -> list[ClaudeCodeActorSums]:
    """Per (provider, actor) over the inclusive days [start, end]."""
    grouped = "provider, actor_type, actor"
    metrics = ", ".join(f"SUM({m})" for m in METRICS)
    rows = db.execute(
        f"""SELECT {grouped}, {metrics}, COALESCE((SELECT SUM(m.estimated_cost_nano) FROM claude_code_models m
                WHERE m.day BETWEEN ? AND ? AND m.provider = d.provider AND m.actor_type = d.actor_type
                AND m.actor = d.actor), 0)
            FROM claude_code_daily d WHERE day BETWEEN ? AND ? GROUP BY {grouped}""",
        (start.isoformat(), end.isoformat(), start.isoformat(), end.isoformat()),
    ).fetchall()
    return [ClaudeCodeActorSums(*row) for row in rows]


def statuses(db: Database) -> dict[str, ClaudeCodeStatus]:
    rows = db.execute("SELECT provider, unavailable, first_day, checked_at FROM claude_code_status").fetchall()
    return {
        p: ClaudeCodeStatus(p, reason, date.fromisoformat(first) if first else None, checked)
        for p, reason, first, checked in rows
    }
