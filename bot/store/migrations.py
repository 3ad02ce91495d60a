"""The schema, as the "aispend" migration set. Later features add migrations here; never edit an applied one.

Money is INTEGER nano-dollars in STRICT tables, so a float can never be stored and SUM() is exact integer
arithmetic. Spend tables are WITHOUT ROWID with a primary key that starts with `day`: the rows live in day order
and every date-range read or delete is a range scan of the key. The spend_* rollups are what reports read; they
are rebuilt from cost_daily inside the same transaction that writes it.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from bot.store import caps, claude_code, freshness, home, priced, rollups, spender_totals, spenders, usage_kinds

migrations = Migrations("aispend")

_DAY = "day TEXT NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]')"

_SPEND_SCHEMA = [
    f"""CREATE TABLE cost_daily (
        {_DAY},
        provider TEXT NOT NULL,
        workspace_id TEXT NOT NULL,
        model TEXT NOT NULL,
        item TEXT NOT NULL,
        service_tier TEXT NOT NULL,
        amount_nano INTEGER NOT NULL,
        PRIMARY KEY (day, provider, workspace_id, model, item, service_tier)
    ) STRICT, WITHOUT ROWID""",
    f"""CREATE TABLE usage_daily (
        {_DAY},
        provider TEXT NOT NULL,
        workspace_id TEXT NOT NULL,
        model TEXT NOT NULL,
        service_tier TEXT NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        cache_read_tokens INTEGER NOT NULL,
        cache_write_tokens INTEGER NOT NULL,
        requests INTEGER NOT NULL,
        PRIMARY KEY (day, provider, workspace_id, model, service_tier)
    ) STRICT, WITHOUT ROWID""",
    """CREATE TABLE spend_provider_daily (
        day TEXT NOT NULL, provider TEXT NOT NULL, amount_nano INTEGER NOT NULL,
        PRIMARY KEY (day, provider)
    ) STRICT, WITHOUT ROWID""",
    """CREATE TABLE spend_model_daily (
        day TEXT NOT NULL, provider TEXT NOT NULL, model TEXT NOT NULL, amount_nano INTEGER NOT NULL,
        PRIMARY KEY (day, provider, model)
    ) STRICT, WITHOUT ROWID""",
    """CREATE TABLE spend_workspace_daily (
        day TEXT NOT NULL, provider TEXT NOT NULL, workspace_id TEXT NOT NULL, amount_nano INTEGER NOT NULL,
        PRIMARY KEY (day, provider, workspace_id)
    ) STRICT, WITHOUT ROWID""",
    """CREATE TABLE spend_scope_daily (
        day TEXT NOT NULL, provider TEXT NOT NULL, workspace_id TEXT NOT NULL, model TEXT NOT NULL,
        amount_nano INTEGER NOT NULL,
        PRIMARY KEY (day, provider, workspace_id, model)
    ) STRICT, WITHOUT ROWID""",
    """CREATE TABLE labels (
        provider TEXT NOT NULL,
        id TEXT NOT NULL,
        name TEXT NOT NULL,
        archived INTEGER NOT NULL CHECK (archived IN (0, 1)),
        updated_at TEXT NOT NULL,
        PRIMARY KEY (provider, id)
    ) STRICT""",
    """CREATE TABLE sync_log (
        id INTEGER PRIMARY KEY,
        provider TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL CHECK (status IN ('running', 'ok', 'error')),
        error TEXT,
        rows INTEGER NOT NULL DEFAULT 0,
        window_start TEXT NOT NULL,
        window_end TEXT NOT NULL
    ) STRICT""",
    "CREATE INDEX sync_log_provider ON sync_log (provider, status, id)",
    """CREATE TABLE settings (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) STRICT""",
]


@migrations(name="001_spend_tables")
def m001_spend_tables(db: Database) -> None:
    for statement in _SPEND_SCHEMA:
        db.execute(statement)


@migrations(name="002_report_rollups")
def m002_report_rollups(db: Database) -> None:
    rollups.create(db)


@migrations(name="003_day_fetches")
def m003_day_fetches(db: Database) -> None:
    # when each day was last fetched, so reports and alerts know which days are final (bot.freshness);
    # a database from before is filled from its sync log, which records every successful window
    db.execute(freshness.SCHEMA)
    freshness.backfill_from_sync_log(db)


@migrations(name="004_cost_gaps")
def m004_cost_gaps(db: Database) -> None:
    # cost rows a provider sent without an amount, per day: counted as $0, and the report notes them
    db.execute(
        f"""CREATE TABLE cost_gaps (
            {_DAY},
            provider TEXT NOT NULL,
            rows INTEGER NOT NULL CHECK (rows > 0),
            PRIMARY KEY (day, provider)
        ) STRICT, WITHOUT ROWID"""
    )


@migrations(name="005_spenders")
def m005_spenders(db: Database) -> None:
    # who spent it (issue 11): per-key and per-user usage and cost, their names, and each day's basis; a database
    # from before has no basis rows, so its days read as "not fetched" until a sync fetches them
    spenders.create(db)


@migrations(name="006_claude_code")
def m006_claude_code(db: Database) -> None:
    # Claude Code activity per actor and day, Anthropic's estimates (never billed cost), and whether it is readable
    for statement in claude_code.SCHEMA:
        db.execute(statement)


@migrations(name="007_spender_totals")
def m007_spender_totals(db: Database) -> None:
    # each day's per-spender dollars, the token-share split done once when the day is written (issue 11 §7);
    # filled here from the spender rows a database already has, so every figure stays as it was
    spender_totals.create(db)


@migrations(name="008_home_viewers")
def m008_home_viewers(db: Database) -> None:
    # who opened the App Home tab and when, so each sync refreshes the dashboards opened in the last day
    db.execute(home.SCHEMA)


@migrations(name="009_spend_caps")
def m009_spend_caps(db: Database) -> None:
    # provider spend limits (issue 13) as the last sync that could read them found them, and why one could not
    for statement in caps.SCHEMA:
        db.execute(statement)


@migrations(name="010_usage_priced")
def m010_usage_priced(db: Database) -> None:
    # usage at the grain a price list needs (issue 14: estimates); a database from before has none, so its days are
    # estimated only once a sync fetches them again
    db.execute(priced.SCHEMA)


@migrations(name="011_usage_kinds")
def m011_usage_kinds(db: Database) -> None:
    # usage by kind (issue 14): OpenAI's images, audio, embeddings, vector storage… and completions by tier and batch,
    # Anthropic's tokens by context window and inference geo and its web searches; filled by the next sync
    usage_kinds.create(db)
