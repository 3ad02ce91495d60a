"""Who spent it, on the Anthropic surface: /v1/organizations/{api_keys, users, analytics/cost}.

Shapes: api_keys as the List API Keys reference (mirror gpambrozio/ClaudeDocs docs-md/api/api/admin/api_keys/
list.md at ff5b8ed9: top-level `workspace_id`, null for the Default Workspace; `status` an optional filter over
active/archived/expired/inactive, so a call without it lists every key), users as List Users (same mirror,
admin/users/list.md), analytics cost as SDK 2.10.0 (`anthropic-beta: analytics-usage-cost-2026-08-24`; flat rows
{starting_at, ending_at, group, cost}; `limit` counts rows, 1-1000, default 20; at most 31 days a call, none before
2026-01-01 nor older than 365 days; `ending_at` required with `time_bucket_width`; the Default Workspace by its
real id). An organization without the beta (`org.analytics_refused`) gets that status with a message naming it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from bot.simulator import anthropic_api as api
from bot.simulator.anthropic_data import KeyCost, format_cents
from bot.simulator.anthropic_keys import API_ACTOR, SimKey, SimUser
from bot.simulator.org import Org
from bot.simulator.paging import (
    DAY,
    ParamError,
    decode_cursor,
    encode_cursor,
    fingerprint,
    id_page,
    midnight,
    parse_limit,
    parse_rfc3339,
    rfc3339,
    single,
    values,
)
from bot.simulator.params import ANALYTICS_BETA, ANALYTICS_COST, ANTHROPIC_API_KEYS, ANTHROPIC_USERS
from bot.simulator.wire import RecordedRequest, Response

KEY_STATUSES = ("active", "inactive", "archived", "expired")
FIRST_DAY = date(2026, 1, 1)
MAX_DAYS = 31
# the dimensions the simulator can break cost out by; the other documented ones get a 400 that says so
SERVED_GROUPS = ("api_key_id", "actor", "actor_type", "workspace_id", "model", "cost_type", "token_type")


def _id_page(req: RecordedRequest, items: list[dict[str, Any]], noun: str) -> Response:
    return api._ok(req, id_page(req.query, items, noun))


def key_object(key: SimKey, org: Org) -> dict[str, Any]:
    return {
        "id": key.id,
        "type": "api_key",
        "name": key.name,
        "status": key.status,
        "created_at": key.created_at,
        "created_by": {"id": key.created_by, "type": "user"},
        "expires_at": key.expires_at,
        "partial_key_hint": "sk-ant-api03-" + key.id[-3:] + "...AA",
        "principal": {"id": key.principal, "type": "user"} if key.principal else None,
        "workspace_id": key.workspace_id,
    }


def list_api_keys(req: RecordedRequest, org: Org) -> Response:
    api._check(req, ANTHROPIC_API_KEYS)
    status = single(req.query, "status")
    if status is not None and status not in KEY_STATUSES:
        raise ParamError(f"status: Input should be {', '.join(map(repr, KEY_STATUSES))}", "status")
    keys = [k for k in org.anthropic_keys.keys if status is None or k.status == status]
    for name in ("workspace_id", "created_by_user_id"):
        wanted = single(req.query, name)
        if wanted is not None:
            field = "workspace_id" if name == "workspace_id" else "created_by"
            keys = [k for k in keys if getattr(k, field) == wanted]
    return _id_page(req, [key_object(k, org) for k in keys], "API keys")


def user_object(user: SimUser) -> dict[str, Any]:
    return {
        "id": user.id,
        "type": "user",
        "name": user.name,
        "email": user.email,
        "role": "developer",
        "added_at": user.added_at,
    }


def list_users(req: RecordedRequest, org: Org) -> Response:
    api._check(req, ANTHROPIC_USERS)
    users = org.anthropic_keys.listed_users()
    email = single(req.query, "email")
    if email is not None:
        users = [u for u in users if u.email == email]
    return _id_page(req, [user_object(u) for u in users], "users")


def _actor(actor: tuple[str, str], org: Org) -> dict[str, Any]:
    kind, ident = actor
    if kind == API_ACTOR:
        return {"type": kind, "api_key_id": ident}
    user = next(u for u in org.anthropic_keys.users if u.id == ident)
    return {
        "type": kind,
        "user_id": user.id,
        "name": user.name,
        "email_address": user.email,
        "deleted": user.deleted,
    }


def _group_value(row: KeyCost, dim: str, org: Org) -> Any:
    if dim == "actor":
        return row.actor
    if dim == "actor_type":
        return row.actor[0]
    if dim == "workspace_id":
        return row.workspace_id or api.default_workspace_id(org)  # the real id, unlike the legacy reports
    return getattr(row, dim)


def _range(req: RecordedRequest, org: Org) -> list[date]:
    start = parse_rfc3339(single(req.query, "starting_at"), "starting_at")
    if start < midnight(FIRST_DAY):
        raise ParamError("starting_at: must be no earlier than 2026-01-01T00:00:00Z", "starting_at")
    if start.date() < org.today - timedelta(days=364):
        raise ParamError("starting_at: must be within the last 365 days", "starting_at")
    width = single(req.query, "time_bucket_width")
    if width is None:
        raise ParamError("time_bucket_width: the simulator serves daily buckets only; send time_bucket_width=1d")
    if width != "1d":
        raise ParamError(f"time_bucket_width: the simulator serves daily buckets only ('1d'), got {width!r}")
    raw_end = single(req.query, "ending_at")
    if raw_end is None:
        raise ParamError("ending_at: Field required when time_bucket_width is set", "ending_at")
    end = parse_rfc3339(raw_end, "ending_at")
    if end <= start:
        raise ParamError("ending_at: must be after starting_at", "ending_at")
    if end - start > timedelta(days=MAX_DAYS):
        raise ParamError(f"ending_at: the range may span at most {MAX_DAYS} days", "ending_at")
    if start != midnight(start.date()) or end != midnight(end.date()):
        raise ParamError("starting_at/ending_at: the simulator serves whole UTC days only")
    days = []
    day = start.date()
    while day < end.date():
        if day <= org.today:  # no data after today yet
            days.append(day)
        day += DAY
    return days


def analytics_cost(req: RecordedRequest, org: Org) -> Response:
    if org.analytics_refused is not None:
        status = org.analytics_refused
        return api.error(
            req,
            status,
            f"The Usage and Cost Analytics API ({ANALYTICS_BETA}) is not available for this organization.",
        )
    if ANALYTICS_BETA not in req.headers.get("anthropic-beta", ""):
        return api.error(req, 400, f"This endpoint requires the anthropic-beta: {ANALYTICS_BETA} header.")
    api._check(req, ANALYTICS_COST)
    groups = values(req.query, "group_by[]")
    unserved = [g for g in groups if g not in SERVED_GROUPS]
    if unserved:
        raise ParamError(f"group_by[]: the simulator does not break cost out by {unserved[0]!r}", "group_by[]")
    limit = parse_limit(req.query, 20, 1000, "rows")
    fp = fingerprint(req.query)
    ranked = _ranked(org, _range(req, org), tuple(groups), fp)
    given = single(req.query, "page")
    offset = decode_cursor(given, fp) if given else 0
    page = ranked[offset : offset + limit]
    more = offset + len(page) < len(ranked)
    data = [_cost_item(key, cents, groups, org) for key, cents in page]
    return api._ok(
        req,
        {
            "data": data,
            "has_more": more,
            "next_page": encode_cursor(fp, offset + len(page)) if more else None,
            "data_refreshed_at": rfc3339(midnight(org.today) + timedelta(hours=4)),
        },
    )


_RANKED_MAX = 8  # queries whose ranked rows are kept, per organization


def _ranked(org: Org, days: list[date], groups: tuple[str, ...], fp: str) -> list[tuple[tuple[Any, ...], Decimal]]:
    """Every row of the query, ranked as served; kept for the query's next pages (a big month is many pages, and
    summing it again for each would make paging quadratic)."""
    cache: dict[object, list[tuple[tuple[Any, ...], Decimal]]] = org.analytics_cache
    key = (fp, tuple((d, org.factor("anthropic", d)) for d in days))  # a revised day is summed afresh
    cached = cache.get(key)
    if cached is not None:
        return cached
    sums: dict[tuple[Any, ...], Decimal] = {}
    for day in days:
        for row in org.anthropic_day(day).key_costs:
            group = (day, *(_group_value(row, g, org) for g in groups))
            sums[group] = sums.get(group, Decimal(0)) + row.cents()
    ranked = sorted(sums.items(), key=lambda kv: (-kv[1], repr(kv[0])))  # order_by=amount, desc (the default)
    if len(cache) >= _RANKED_MAX:
        cache.pop(next(iter(cache)), None)
    cache[key] = ranked
    return ranked


def _cost_item(key: tuple[Any, ...], cents: Decimal, groups: list[str], org: Org) -> dict[str, Any]:
    day: date = key[0]
    group: dict[str, Any] = {g: None for g in SERVED_GROUPS}
    for dim, value in zip(groups, key[1:], strict=True):
        group[dim] = _actor(value, org) if dim == "actor" else value
    amount = format_cents(cents)
    return {
        "starting_at": rfc3339(midnight(day)),
        "ending_at": rfc3339(midnight(day + DAY)),
        "group": group,
        "cost": {"amount": amount, "list_amount": amount, "currency": "USD", "requests": None},
    }


ROUTES: dict[str, Callable[[RecordedRequest, Org], Response]] = {
    "/api_keys": list_api_keys,
    "/users": list_users,
    "/analytics/cost": analytics_cost,
}
