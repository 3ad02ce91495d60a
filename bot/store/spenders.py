"""Spender tables (issue 11, who spent it): usage and billed cost per API key or user, their names, and the
basis of each day's per-spender figures; replaced with the rest of a provider's window, and read by range.

A day of a provider and kind with no row in spender_basis_daily was not fetched (an older release, or a provider
module that does not fetch spenders): the report says so instead of showing anyone at $0.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Mapping
from datetime import date, timedelta
from typing import Protocol

from sqlite_utils import Database

from bot.errors import StoreError
from bot.records import BILLED, KEY, SERVICE_ACCOUNT, TOKEN_SHARE, USER, ProviderData, SpenderLabel
from bot.spender_split import SpenderRows
from bot.store import spender_totals

_DAY = "day TEXT NOT NULL CHECK (day GLOB '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]')"
_KIND = f"kind TEXT NOT NULL CHECK (kind IN ('{KEY}', '{USER}'))"
_GRAIN = "day, provider, kind, spender_id, workspace_id, model"

SCHEMA = (
    f"""CREATE TABLE spender_usage_daily (
        {_DAY}, provider TEXT NOT NULL, {_KIND}, spender_id TEXT NOT NULL, workspace_id TEXT NOT NULL,
        model TEXT NOT NULL, input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL,
        cache_read_tokens INTEGER NOT NULL, cache_write_tokens INTEGER NOT NULL, requests INTEGER NOT NULL,
        PRIMARY KEY ({_GRAIN})
    ) STRICT, WITHOUT ROWID""",
    f"""CREATE TABLE spender_cost_daily (
        {_DAY}, provider TEXT NOT NULL, {_KIND}, spender_id TEXT NOT NULL, workspace_id TEXT NOT NULL,
        model TEXT NOT NULL, amount_nano INTEGER NOT NULL,
        PRIMARY KEY ({_GRAIN})
    ) STRICT, WITHOUT ROWID""",
    f"""CREATE TABLE spender_basis_daily (
        {_DAY}, provider TEXT NOT NULL, {_KIND},
        basis TEXT NOT NULL CHECK (basis IN ('{BILLED}', '{TOKEN_SHARE}')), reason TEXT,
        PRIMARY KEY (day, provider, kind)
    ) STRICT, WITHOUT ROWID""",
    f"""CREATE TABLE spender_labels (
        provider TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('{KEY}', '{USER}', '{SERVICE_ACCOUNT}')),
        id TEXT NOT NULL, name TEXT NOT NULL, workspace_id TEXT NOT NULL, owner_kind TEXT NOT NULL,
        owner_id TEXT NOT NULL, email TEXT, status TEXT NOT NULL, last_seen_at TEXT NOT NULL,
        PRIMARY KEY (provider, kind, id)
    ) STRICT""",
)
TABLES = ("spender_usage_daily", "spender_cost_daily", "spender_basis_daily")  # spender_totals_daily: rebuilt

_INSERT_USAGE = (
    f"INSERT INTO spender_usage_daily ({_GRAIN}, input_tokens, output_tokens, cache_read_tokens, "
    "cache_write_tokens, requests) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
    f"ON CONFLICT ({_GRAIN}) DO UPDATE SET "
    "input_tokens = input_tokens + excluded.input_tokens, output_tokens = output_tokens + excluded.output_tokens, "
    "cache_read_tokens = cache_read_tokens + excluded.cache_read_tokens, "
    "cache_write_tokens = cache_write_tokens + excluded.cache_write_tokens, requests = requests + excluded.requests"
)
_INSERT_COST = (
    f"INSERT INTO spender_cost_daily ({_GRAIN}, amount_nano) VALUES (?, ?, ?, ?, ?, ?, ?) "
    f"ON CONFLICT ({_GRAIN}) DO UPDATE SET amount_nano = amount_nano + excluded.amount_nano"
)
_INSERT_BASIS = "INSERT INTO spender_basis_daily (day, provider, kind, basis, reason) VALUES (?, ?, ?, ?, ?)"
# Like workspace labels: a list that omits a key leaves its row (archived/deleted keep their last name), a blank
# name or a missing email never erases a known one, and a renamed key takes its new name.
_UPSERT_LABEL = (
    "INSERT INTO spender_labels (provider, kind, id, name, workspace_id, owner_kind, owner_id, email, status, "
    "last_seen_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (provider, kind, id) DO UPDATE SET "
    "name = CASE WHEN excluded.name = '' THEN spender_labels.name ELSE excluded.name END, "
    "workspace_id = CASE WHEN excluded.workspace_id = '' THEN spender_labels.workspace_id "
    "ELSE excluded.workspace_id END, "
    "owner_kind = CASE WHEN excluded.owner_id = '' THEN spender_labels.owner_kind ELSE excluded.owner_kind END, "
    "owner_id = CASE WHEN excluded.owner_id = '' THEN spender_labels.owner_id ELSE excluded.owner_id END, "
    "email = COALESCE(excluded.email, spender_labels.email), "
    "status = CASE WHEN excluded.status = '' THEN spender_labels.status ELSE excluded.status END, "
    "last_seen_at = excluded.last_seen_at"
)
_KINDS = (KEY, USER)
_INT_ONLY = {int}


def create(db: Database) -> None:
    for statement in SCHEMA:
        db.execute(statement)


def replace(db: Database, data: ProviderData, updated_at: str, check_day: DayCheck) -> None:
    """Replace data.provider's spender rows for [data.start, data.end), inside the caller's write transaction.

    Every kind's rows of the window go, fetched or not: a provider that no longer fetches a kind leaves its days
    "not fetched" rather than old per-key figures beside new totals. Records of a kind with no SpenderBasis are
    a provider bug (the basis is what tells a fetched zero from "not fetched"), so they abort the write.
    """
    basis = {b.kind: b for b in data.spender_basis}
    for b in data.spender_basis:
        if b.provider != data.provider or b.kind not in _KINDS or b.basis not in (BILLED, TOKEN_SHARE):
            raise check_day.bug(f"a spender basis {b!r}")
    if len(basis) != len(data.spender_basis):
        raise check_day.bug("two spender bases for one kind")
    params = (data.start.isoformat(), data.end.isoformat(), data.provider)
    for table in TABLES:
        db.execute(f"DELETE FROM {table} WHERE day >= ? AND day < ? AND provider = ?", params)
    db.conn.executemany(_INSERT_USAGE, _usage_rows(data, basis, check_day))
    db.conn.executemany(_INSERT_COST, _cost_rows(data, basis, check_day))
    db.conn.executemany(
        _INSERT_BASIS,
        (
            (day.isoformat(), data.provider, b.kind, b.basis, b.reason)
            for b in basis.values()
            for day in _days(data.start, data.end)
        ),
    )
    db.conn.executemany(_UPSERT_LABEL, _label_rows(data, updated_at, check_day))
    spender_totals.rebuild(db, data.provider, data.start, data.end)


class DayCheck(Protocol):
    """What spend.py's day checker offers: ISO days inside the window, and the provider-bug error."""

    def check(self, provider: str, day: date) -> str: ...
    def bug(self, what: str) -> StoreError: ...


def _kind(kind: str, basis: Mapping[str, object], check: DayCheck, what: str) -> str:
    if kind not in _KINDS:
        raise check.bug(f"a spender {what} of kind {kind!r}")
    if kind not in basis:
        raise check.bug(f"spender {what} of kind {kind!r} without a SpenderBasis for that kind")
    return kind


def _usage_rows(data: ProviderData, basis: Mapping[str, object], check: DayCheck) -> Iterator[tuple[object, ...]]:
    for r in data.all_spender_usage():
        counts = (r.input_tokens, r.output_tokens, r.cache_read_tokens, r.cache_write_tokens, r.requests)
        if set(map(type, counts)) != _INT_ONLY:
            raise check.bug(f"a spender token count that is not an integer ({counts!r})")
        kind = _kind(r.kind, basis, check, "usage")
        yield (check.check(r.provider, r.day), r.provider, kind, r.spender_id, r.workspace_id, r.model, *counts)


def _cost_rows(data: ProviderData, basis: Mapping[str, object], check: DayCheck) -> Iterator[tuple[object, ...]]:
    for r in data.all_spender_costs():
        if type(r.amount_nano) is not int:
            raise check.bug(f"a spender amount that is not integer nano-dollars ({r.amount_nano!r})")
        kind = _kind(r.kind, basis, check, "cost")
        yield (check.check(r.provider, r.day), r.provider, kind, r.spender_id, r.workspace_id, r.model, r.amount_nano)


def _label_rows(data: ProviderData, updated_at: str, check: DayCheck) -> Iterator[tuple[object, ...]]:
    for label in data.spender_labels:
        if label.provider != data.provider or label.kind not in (*_KINDS, SERVICE_ACCOUNT):
            raise check.bug(f"a spender label of provider {label.provider!r} and kind {label.kind!r}")
        yield (
            label.provider,
            label.kind,
            label.id,
            label.name,
            label.workspace_id,
            label.owner_kind,
            label.owner_id,
            label.email,
            label.status,
            updated_at,
        )


def _days(start: date, end: date) -> Iterator[date]:
    day = start
    while day < end:
        yield day
        day += timedelta(days=1)


# ---- reads: inclusive [start, end] --------------------------------------------------------------------------


def rows(db: Database, start: date, end: date) -> SpenderRows:
    span = (start.isoformat(), end.isoformat())
    tokens = {
        (date.fromisoformat(d), p, k, s, w, m): n
        for d, p, k, s, w, m, n in db.execute(
            f"SELECT {_GRAIN}, input_tokens + output_tokens FROM spender_usage_daily WHERE day BETWEEN ? AND ?", span
        )
    }
    costs = {
        (date.fromisoformat(d), p, k, s, w, m): n
        for d, p, k, s, w, m, n in db.execute(
            f"SELECT {_GRAIN}, amount_nano FROM spender_cost_daily WHERE day BETWEEN ? AND ?", span
        )
    }
    basis = {
        (date.fromisoformat(d), p, k): (b, r)
        for d, p, k, b, r in db.execute(
            "SELECT day, provider, kind, basis, reason FROM spender_basis_daily WHERE day BETWEEN ? AND ?", span
        )
    }
    scopes = {
        (date.fromisoformat(d), p, w, m): n
        for d, p, w, m, n in db.execute(
            "SELECT day, provider, workspace_id, model, amount_nano FROM spend_scope_daily WHERE day BETWEEN ? AND ?",
            span,
        )
    }
    return SpenderRows(tokens, costs, basis, scopes)


LabelMap = dict[tuple[str, str, str], SpenderLabel]
_LABEL = "provider, kind, id, name, workspace_id, owner_kind, owner_id, email, status"


def labels(db: Database) -> dict[tuple[str, str, str], SpenderLabel]:
    return _labels(db.execute(f"SELECT {_LABEL} FROM spender_labels"))


def labels_of_kind(db: Database, provider: str, kind: str) -> LabelMap:
    return _labels(db.execute(f"SELECT {_LABEL} FROM spender_labels WHERE provider = ? AND kind = ?", (provider, kind)))


def labels_of(db: Database, kind: str, spenders: Collection[tuple[str, str]]) -> LabelMap:
    """The labels of `spenders` ((provider, id) of `kind`) and of their owners: what their lines show."""
    out = _labels_for(db, [(p, kind, s) for p, s in spenders])
    owners = {(x.provider, x.owner_kind, x.owner_id) for x in out.values() if x.owner_id} - out.keys()
    out.update(_labels_for(db, sorted(owners)))
    return out


def _labels_for(db: Database, wanted: Collection[tuple[str, str, str]]) -> dict[tuple[str, str, str], SpenderLabel]:
    if not wanted:
        return {}
    return _labels(
        db.execute(
            f"SELECT {', '.join('l.' + c for c in _LABEL.split(', '))} FROM json_each(?) j JOIN spender_labels l "
            "ON l.provider = j.value ->> 0 AND l.kind = j.value ->> 1 AND l.id = j.value ->> 2",
            (json.dumps(list(wanted)),),
        )
    )


def _labels(cursor: Iterator[tuple[str, ...]]) -> dict[tuple[str, str, str], SpenderLabel]:
    out = {}
    for p, k, i, n, w, ok, oi, e, s in cursor:
        out[(p, k, i)] = SpenderLabel(p, k, i, n, w, ok, oi, e, s)
    return out
