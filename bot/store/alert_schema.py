"""The alert ledger's schema, as the "aispend-alerts" migration set (bot.store.alerts reads and writes it).

Never edit an applied migration: add one. 002 rebuilt the alerts table for the delivery states posting and
uncertain, so databases made before it upgrade in place when they are next opened.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

migrations = Migrations("aispend-alerts")


@migrations(name="001_alert_tables")
def m001_alert_tables(db: Database) -> None:
    db.execute(
        """CREATE TABLE alerts (
            identity TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            period TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending', 'posted', 'failed_permanent', 'acknowledged')),
            summary TEXT NOT NULL,
            payload TEXT NOT NULL,
            channel TEXT,
            ts TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            created_at TEXT NOT NULL,
            posted_at TEXT,
            acked_by TEXT,
            acked_at TEXT
        ) STRICT"""
    )
    db.execute("CREATE INDEX alerts_state ON alerts (state, created_at)")
    db.execute(
        """CREATE TABLE alert_scopes (
            key TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            scope TEXT NOT NULL,
            label TEXT NOT NULL,
            period TEXT NOT NULL,
            period_end TEXT NOT NULL,
            message TEXT NOT NULL REFERENCES alerts (identity),
            created_at TEXT NOT NULL
        ) STRICT"""
    )
    db.execute("CREATE INDEX alert_scopes_scope ON alert_scopes (kind, scope, period_end)")
    db.execute("CREATE INDEX alert_scopes_message ON alert_scopes (message)")
    db.execute(
        """CREATE TABLE snoozes (
            scope TEXT PRIMARY KEY,
            label TEXT NOT NULL,
            until TEXT NOT NULL,
            by TEXT NOT NULL,
            created_at TEXT NOT NULL
        ) STRICT"""
    )
    db.execute(
        """CREATE TABLE leases (
            name TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            expires_at TEXT NOT NULL
        ) STRICT"""
    )


@migrations(name="002_delivery_attempts")
def m002_delivery_attempts(db: Database) -> None:
    """States posting/uncertain and the attempt_at column. SQLite cannot change a CHECK constraint, so alerts is
    rebuilt; alert_scopes (which references it) is dropped first and rebuilt after, so foreign keys stay on."""
    db.execute(
        """CREATE TABLE alerts_v2 (
            identity TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            period TEXT NOT NULL,
            state TEXT NOT NULL CHECK (
                state IN ('pending', 'posting', 'uncertain', 'posted', 'failed_permanent', 'acknowledged')
            ),
            summary TEXT NOT NULL,
            payload TEXT NOT NULL,
            channel TEXT,
            ts TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            created_at TEXT NOT NULL,
            posted_at TEXT,
            acked_by TEXT,
            acked_at TEXT,
            attempt_at TEXT
        ) STRICT"""
    )
    old = (
        "identity, kind, period, state, summary, payload, channel, ts, attempts, last_error, created_at, posted_at, "
        "acked_by, acked_at"
    )
    # rowid kept: delivery goes oldest first by rowid
    db.execute(f"INSERT INTO alerts_v2 (rowid, {old}) SELECT rowid, {old} FROM alerts")
    scopes = "key, kind, scope, label, period, period_end, message, created_at"
    db.execute(f"CREATE TEMP TABLE alert_scopes_v1 AS SELECT rowid AS rid, {scopes} FROM alert_scopes")
    db.execute("DROP TABLE alert_scopes")
    db.execute("DROP TABLE alerts")
    db.execute("ALTER TABLE alerts_v2 RENAME TO alerts")
    db.execute("CREATE INDEX alerts_state ON alerts (state, created_at)")
    db.execute(
        """CREATE TABLE alert_scopes (
            key TEXT PRIMARY KEY,
            kind TEXT NOT NULL,
            scope TEXT NOT NULL,
            label TEXT NOT NULL,
            period TEXT NOT NULL,
            period_end TEXT NOT NULL,
            message TEXT NOT NULL REFERENCES alerts (identity),
            created_at TEXT NOT NULL
        ) STRICT"""
    )
    db.execute(f"INSERT INTO alert_scopes (rowid, {scopes}) SELECT rid, {scopes} FROM alert_scopes_v1 ORDER BY rid")
    db.execute("DROP TABLE alert_scopes_v1")
    db.execute("CREATE INDEX alert_scopes_scope ON alert_scopes (kind, scope, period_end)")
    db.execute("CREATE INDEX alert_scopes_message ON alert_scopes (message)")


@migrations(name="003_alert_feedback")
def m003_alert_feedback(db: Database) -> None:
    """Expected / Not expected on an alert (bot.alerts.feedback): who said it and when, and how long Expected mutes
    the alert's scopes. One row per alert: a later answer replaces the earlier."""
    db.execute(
        """CREATE TABLE alert_feedback (
            identity TEXT PRIMARY KEY REFERENCES alerts (identity),
            verdict TEXT NOT NULL CHECK (verdict IN ('expected', 'not_expected')),
            by TEXT NOT NULL,
            at TEXT NOT NULL,
            until TEXT
        ) STRICT"""
    )
    db.execute("CREATE INDEX alert_feedback_until ON alert_feedback (verdict, until)")
