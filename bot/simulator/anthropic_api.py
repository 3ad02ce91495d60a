"""The Anthropic Admin API surface: /v1/organizations/{me, workspaces, cost_report, usage_report/messages,
usage_report/claude_code}.

Shapes follow the documented responses: cost amounts are decimal strings of cents, usage rows carry
uncached_input_tokens plus nested cache_creation (never input_tokens), buckets snap to UTC midnight, empty
days are present, `limit` counts buckets, and errors use {"type":"error","error":{...},"request_id":...}.

Requests are held to the documented parameters (see params). The cost report also enforces what a client
met live: with no `ending_at` the range ends at today 00:00 UTC, so a range that starts today holds no day
and is refused with "ending date must be after starting date". Whether the live API also refuses it when a
later `ending_at` is given is not documented, so the simulator does; days after today are served as empty
buckets.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from bot.simulator import anthropic_spenders_api as spenders_api
from bot.simulator import caps_api
from bot.simulator.anthropic_data import CostRow, UsageRow, format_cents
from bot.simulator.catalog import Workspace, b62
from bot.simulator.org import Org
from bot.simulator.paging import (
    DAY,
    Bucket,
    PageState,
    ParamError,
    decode_cursor,
    encode_cursor,
    fingerprint,
    id_page,
    midnight,
    page_window,
    parse_bool,
    parse_limit,
    parse_rfc3339,
    plan,
    rfc3339,
    single,
    values,
)
from bot.simulator.params import (
    ANTHROPIC_CLAUDE_CODE,
    ANTHROPIC_COST,
    ANTHROPIC_USAGE,
    ANTHROPIC_WORKSPACES,
    NO_PARAMS,
    Accepts,
    anthropic_check,
)
from bot.simulator.wire import RecordedRequest, Response

ANTHROPIC_KEY = "sk-ant-admin01-simulator-key"
INDIVIDUAL_KEY = "sk-ant-admin01-individual"
FORBIDDEN_KEY = "sk-ant-admin01-forbidden"
PREFIX = "/v1/organizations"

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    409: "conflict_error",
    413: "request_too_large",
    429: "rate_limit_error",
    504: "timeout_error",
    529: "overloaded_error",
}
EMPTY_RANGE = "ending date must be after starting date"  # the live API's words, as a client reported them
_DESCRIPTION_FIELDS = ("cost_type", "description", "model", "service_tier", "token_type", "context_window")


def error(req: RecordedRequest, status: int, message: str, details: dict[str, str] | None = None) -> Response:
    rid = "req_011" + req.request_id()
    err: dict[str, Any] = {"type": ERROR_TYPES.get(status, "api_error"), "message": message}
    if details:
        err["details"] = details
    return Response(status, {"type": "error", "error": err, "request_id": rid}, {"request-id": rid})


def _ok(req: RecordedRequest, payload: Any) -> Response:
    return Response(200, payload, {"request-id": "req_011" + req.request_id()})


def authenticate(req: RecordedRequest) -> Response | None:
    key = req.headers.get("x-api-key")
    if not key:
        return error(req, 401, "x-api-key header is required")
    if key == INDIVIDUAL_KEY:
        details = {"error_code": "organization_type_not_supported"}
        return error(req, 400, "The Admin API is unavailable for individual accounts.", details)
    if key == FORBIDDEN_KEY:
        return error(req, 403, "This API key does not have permission to use the Admin API.")
    if key != ANTHROPIC_KEY:
        return error(req, 401, "invalid x-api-key")
    if not req.headers.get("anthropic-version"):
        return error(req, 400, "anthropic-version: header is required")
    return None


def handle(req: RecordedRequest, org: Org) -> Response:
    denied = authenticate(req)
    if denied is not None:
        return denied
    if req.method != "GET":
        return error(req, 405 if req.path.startswith(PREFIX) else 404, f"Method {req.method} not allowed")
    route = req.path.removeprefix(PREFIX)
    try:
        if route == "/me":
            _check(req, NO_PARAMS)
            return _ok(req, {"id": org.anthropic_org_id, "type": "organization", "name": org.anthropic_org_name})
        if route == "/cost_report":
            return cost_report(req, org)
        if route == "/usage_report/messages":
            return usage_report(req, org)
        if route == "/usage_report/claude_code":
            return claude_code_report(req, org)
        if route == "/workspaces":
            return list_workspaces(req, org)
        if route == caps_api.ANTHROPIC_ROUTE:
            return caps_api.anthropic_spend_limits(req, org)
        if route in spenders_api.ROUTES:
            return spenders_api.ROUTES[route](req, org)
        if route.startswith("/workspaces/") and route.count("/") == 2:
            return get_workspace(req, org, route.rsplit("/", 1)[1])
    except ParamError as exc:
        return error(req, 400, exc.message)
    return error(req, 404, f"Not found: {req.path}")


def _check(req: RecordedRequest, accepts: Accepts) -> None:
    anthropic_check(req.query, accepts, req.headers)


def _window(req: RecordedRequest, org: Org, cap: int, default_end: date) -> tuple[list[Bucket], str | None, PageState]:
    query = req.query
    start = parse_rfc3339(single(query, "starting_at"), "starting_at")
    raw_end = single(query, "ending_at")
    end = parse_rfc3339(raw_end, "ending_at") if raw_end else midnight(default_end)
    width = single(query, "bucket_width") or "1d"
    if width != "1d":
        raise ParamError(f"bucket_width: the simulator serves daily buckets only ('1d'), got {width!r}")
    limit = parse_limit(query, 7, cap, "daily buckets")
    return page_window(query, plan(start, end, clip=False, end_name="ending_at", empty=EMPTY_RANGE), limit)


def cost_report(req: RecordedRequest, org: Org) -> Response:
    _check(req, ANTHROPIC_COST)
    groups = set(values(req.query, "group_by[]"))
    start = parse_rfc3339(single(req.query, "starting_at"), "starting_at")
    if start.date() == org.today:  # only today's partial day in the range: what the live API refused
        raise ParamError(EMPTY_RANGE, "ending_at")
    buckets, next_page, state = _window(req, org, 31, org.today)
    data = []
    for bucket in buckets:
        rows = org.anthropic_day(bucket.day).costs
        results = _cost_results(rows, "workspace_id" in groups, "description" in groups)
        data.append({"starting_at": rfc3339(bucket.start), "ending_at": rfc3339(bucket.end), "results": results})
    payload = {"data": data, "has_more": next_page is not None, "next_page": next_page}
    response = _ok(req, payload)
    response.page = state
    return response


def _cost_row(amount: str, row: CostRow | None, workspace_id: str | None) -> dict[str, Any]:
    out: dict[str, Any] = {"amount": amount, "currency": "USD"}
    for name in _DESCRIPTION_FIELDS:
        out[name] = getattr(row, name) if row is not None else None
    out["inference_geo"] = row.inference_geo if row is not None else None
    out["workspace_id"] = workspace_id
    return out


def _cost_results(rows: tuple[CostRow, ...], by_workspace: bool, by_description: bool) -> list[dict[str, Any]]:
    if by_workspace and by_description:  # the finest grain: rows are served exactly as generated
        return [_cost_row(row.amount, row, row.workspace_id) for row in rows]
    sums: dict[tuple[Any, ...], tuple[Decimal, CostRow]] = {}
    for row in rows:
        key = (
            row.workspace_id if by_workspace else None,
            (row.description, row.model, row.service_tier, row.token_type, row.context_window, row.inference_geo)
            if by_description
            else None,
        )
        total, _ = sums.get(key, (Decimal(0), row))
        sums[key] = (total + Decimal(row.amount), row)
    return [
        _cost_row(format_cents(total), row if by_description else None, key[0]) for key, (total, row) in sums.items()
    ]


def usage_report(req: RecordedRequest, org: Org) -> Response:
    query = req.query
    _check(req, ANTHROPIC_USAGE)
    groups = set(values(query, "group_by[]"))
    filters = {
        "model": set(values(query, "models[]")),
        "workspace_id": set(values(query, "workspace_ids[]")),
        "service_tier": set(values(query, "service_tiers[]")),
        "context_window": set(values(query, "context_window[]")),
        "inference_geo": set(values(query, "inference_geos[]")),
        "api_key_id": set(values(query, "api_key_ids[]")),
    }
    buckets, next_page, state = _window(req, org, 31, org.today + DAY)  # through today's partial bucket
    data = []
    for bucket in buckets:
        rows = [r for r in org.anthropic_day(bucket.day).usage if _passes(r, filters)]
        data.append(
            {
                "starting_at": rfc3339(bucket.start),
                "ending_at": rfc3339(bucket.end),
                "results": _usage_results(rows, groups),
            }
        )
    response = _ok(req, {"data": data, "has_more": next_page is not None, "next_page": next_page})
    response.page = state
    return response


def _passes(row: UsageRow, filters: dict[str, set[str]]) -> bool:
    return all(not wanted or getattr(row, name) in wanted for name, wanted in filters.items())


def _usage_results(rows: list[UsageRow], groups: set[str]) -> list[dict[str, Any]]:
    sums: dict[tuple[Any, ...], list[int]] = {}
    dims = ("model", "workspace_id", "service_tier", "context_window", "inference_geo", "api_key_id")
    for row in rows:
        key = tuple(getattr(row, d) if d in groups else None for d in dims)
        counts = (row.uncached, row.cache_5m, row.cache_1h, row.cache_read, row.output, row.web_search)
        total = sums.setdefault(key, [0] * 6)
        for i, count in enumerate(counts):
            total[i] += count
    results = []
    for (model, workspace_id, tier, window, geo, key), (uncached, c5m, c1h, read, output, web) in sums.items():
        results.append(
            {
                "uncached_input_tokens": uncached,
                "cache_creation": {"ephemeral_1h_input_tokens": c1h, "ephemeral_5m_input_tokens": c5m},
                "cache_read_input_tokens": read,
                "output_tokens": output,
                "server_tool_use": {"web_search_requests": web},
                "model": model,
                "workspace_id": workspace_id,
                "api_key_id": key,
                "service_tier": tier,
                "context_window": window,
                "inference_geo": geo,
                "account_id": None,
                "service_account_id": None,
            }
        )
    return results


def claude_code_report(req: RecordedRequest, org: Org) -> Response:
    """One UTC day of Claude Code rows (`starting_at=YYYY-MM-DD`), `limit` rows a page (default 20, max 1000)."""
    query = req.query
    _check(req, ANTHROPIC_CLAUDE_CODE)
    raw = single(query, "starting_at")
    if raw is None:
        raise ParamError("starting_at: Field required", "starting_at")
    try:
        day = datetime.strptime(raw, "%Y-%m-%d").date()
    except ValueError:
        raise ParamError(
            f"starting_at: Input should be a date in YYYY-MM-DD format, got {raw!r}", "starting_at"
        ) from None
    limit = parse_limit(query, 20, 1000, "records")
    rows = org.claude_code_day(day)
    fp = fingerprint(query)
    given = single(query, "page")
    offset = decode_cursor(given, fp) if given else 0
    stop = min(offset + limit, len(rows))
    next_page = encode_cursor(fp, stop) if stop < len(rows) else None
    payload = {
        "data": [row.json for row in rows[offset:stop]],
        "has_more": next_page is not None,
        "next_page": next_page,
    }
    response = _ok(req, payload)
    response.page = PageState(fp, offset, limit, given)
    return response


def workspace_object(ws: Workspace, org: Org) -> dict[str, Any]:
    wid = ws.id or default_workspace_id(org)
    return {
        "id": wid,
        "type": "workspace",
        "name": ws.name,
        "archived_at": ws.archived_at,
        "created_at": ws.created_at,
        "display_color": "#" + b62(org.seed, 6, "color", ws.name).encode().hex()[:6].upper(),
        "tags": {},
        "compartment_id": None,
        "external_key_id": None,
        "data_residency": {
            "allowed_inference_geos": "unrestricted",
            "default_inference_geo": ws.geo,
            "workspace_geo": "us",
        },
    }


def default_workspace_id(org: Org) -> str:
    """The Default Workspace has a real id, though reports and the list never show it."""
    return "wrkspc_01" + b62(org.seed, 22, "ws", "Default")


def list_workspaces(req: RecordedRequest, org: Org) -> Response:
    query = req.query
    _check(req, ANTHROPIC_WORKSPACES)
    listed = [w for w in org.listed_workspaces() if parse_bool(query, "include_archived") or w.archived_at is None]
    return _ok(req, id_page(query, [workspace_object(w, org) for w in listed], "workspaces", unknown="workspace id"))


def get_workspace(req: RecordedRequest, org: Org, workspace_id: str) -> Response:
    _check(req, NO_PARAMS)
    for ws in org.anthropic_workspaces:
        if (ws.id or default_workspace_id(org)) == workspace_id:
            return _ok(req, workspace_object(ws, org))
    return error(req, 404, f"Workspace {workspace_id} not found.")
