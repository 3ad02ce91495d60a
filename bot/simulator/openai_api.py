"""The OpenAI Admin API surface: /v1/organization/{costs, usage/*, projects, projects/{id}/api_keys,
projects/{id}/service_accounts, users}.

Shapes follow the documented responses and the live quirks: `amount.value` is a float with noise and
sometimes a numeric string, org-level cost has project_id null, cost buckets snap the start down to UTC
midnight while completions usage starts its first bucket at the raw start_time, `limit` counts buckets,
and errors use {"error":{"message","type","param","code"}}.

Requests are held to the parameters the published OpenAPI spec gives each endpoint (see params). Costs
grouped by `api_key_id` are served from the per-key split of each cost row, unless `org.openai_key_costs` is
False: then that grouping is a 400, as the live API answered it (PostHog/posthog#71784).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from bot.money import parse_decimal
from bot.simulator import caps_api, openai_lists
from bot.simulator.openai_data import CostRow, KeyCostRow, UsageRow
from bot.simulator.openai_usage_kinds import results as kind_results
from bot.simulator.org import Org
from bot.simulator.paging import (
    DAY,
    Bucket,
    PageState,
    ParamError,
    midnight,
    page_window,
    parse_bool,
    parse_limit,
    parse_unix,
    plan,
    single,
    unix,
    values,
)
from bot.simulator.params import (
    NO_PARAMS,
    OPENAI_COMPLETIONS,
    OPENAI_COSTS,
    OPENAI_OTHER_USAGE,
    OPENAI_PROJECT_KEYS,
    OPENAI_PROJECTS,
    OPENAI_SERVICE_ACCOUNTS,
    OPENAI_USERS,
    Accepts,
    openai_query,
)
from bot.simulator.wire import RecordedRequest, Response

OPENAI_KEY = "sk-admin-simulator-key"
RESTRICTED_KEY = "sk-admin-restricted-noorg"
PREFIX = "/v1/organization"
_SCOPE_HINT = (
    " Check that you have the correct role in your organization (Reader, Writer, Owner) and project"
    " (Member, Owner), and if you're using a restricted API key, that it has the necessary scopes."
)
_DAY_SECONDS = 86_400


def error(
    req: RecordedRequest, status: int, message: str, *, code: str | None = None, param: str | None = None
) -> Response:
    kind = "server_error" if status >= 500 else "requests" if status == 429 else "invalid_request_error"
    if status == 429 and code is None:
        code = "rate_limit_exceeded"
    body = {"error": {"message": message, "type": kind, "param": param, "code": code}}
    return Response(status, body, {"x-request-id": "req_" + req.request_id()})


def _ok(req: RecordedRequest, payload: Any) -> Response:
    return Response(200, payload, {"x-request-id": "req_" + req.request_id()})


def authenticate(req: RecordedRequest) -> Response | None:
    scheme, _, key = req.headers.get("authorization", "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        message = (
            "You didn't provide an API key. You need to provide your API key in an Authorization header using"
            " Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
        )
        return error(req, 401, message)
    if key == RESTRICTED_KEY:
        if req.path.startswith((PREFIX + "/projects", PREFIX + "/users")):
            return error(
                req,
                403,
                "You have insufficient permissions for this operation. Missing scopes: api.management.read."
                + _SCOPE_HINT,
            )
        return None
    if key.startswith("sk-proj-"):
        return error(
            req,
            401,
            "You have insufficient permissions for this operation. Missing scopes: api.usage.read." + _SCOPE_HINT,
        )
    if key != OPENAI_KEY:
        message = (
            "Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys."
        )
        return error(req, 401, message, code="invalid_api_key")
    return None


def handle(req: RecordedRequest, org: Org) -> Response:
    denied = authenticate(req)
    if denied is not None:
        return denied
    if req.method != "GET":
        return error(req, 405, f"Method {req.method} not allowed for {req.path}")
    route = req.path.removeprefix(PREFIX)
    try:
        if route == "/costs":
            return costs(_checked(req, OPENAI_COSTS), org)
        if route == "/usage/completions":
            return completions(_checked(req, OPENAI_COMPLETIONS), org)
        family = route.removeprefix("/usage/")
        if route.startswith("/usage/") and family in OPENAI_OTHER_USAGE:
            return other_usage(_checked(req, OPENAI_OTHER_USAGE[family]), org, family)
        if route == "/spend_limit" or (route.startswith("/projects/") and route.endswith("/spend_limit")):
            return caps_api.openai_spend_limit(req, org, route.split("/")[2] if route.count("/") == 3 else None)
        if route == "/projects":
            return list_projects(_checked(req, OPENAI_PROJECTS), org)
        if route.startswith("/projects/") and route.count("/") == 2:
            return get_project(_checked(req, NO_PARAMS), org, route.rsplit("/", 1)[1])
        if route == "/users":
            return _ok(req, openai_lists.users(_checked(req, OPENAI_USERS).query, org))
        if route.startswith("/projects/") and route.count("/") == 3:
            return project_listing(req, org, *route.split("/")[2:4])
    except ParamError as exc:
        return error(req, 400, exc.message, param=exc.param, code="invalid_value")
    return error(req, 404, f"Invalid URL (GET {req.path})")


def _checked(req: RecordedRequest, accepts: Accepts) -> RecordedRequest:
    return replace(req, query=openai_query(req.query, accepts))


def _window(req: RecordedRequest, org: Org, cap: int, *, clip: bool) -> tuple[list[Bucket], str | None, PageState]:
    query = req.query
    start = parse_unix(single(query, "start_time"), "start_time")
    raw_end = single(query, "end_time")
    end = parse_unix(raw_end, "end_time") if raw_end else midnight(org.today + DAY)
    width = single(query, "bucket_width") or "1d"
    if width != "1d":
        raise ParamError(
            f"Invalid value for 'bucket_width': the simulator serves '1d' only, got {width!r}.", "bucket_width"
        )
    limit = parse_limit(query, 7, cap, "buckets")
    return page_window(query, plan(start, end, clip=clip, end_name="end_time"), limit)


def _page(req: RecordedRequest, buckets: list[dict[str, Any]], next_page: str | None, state: PageState) -> Response:
    response = _ok(req, {"object": "page", "data": buckets, "has_more": next_page is not None, "next_page": next_page})
    response.page = state
    return response


def _bucket(bucket: Bucket, results: list[dict[str, Any]]) -> dict[str, Any]:
    return {"object": "bucket", "start_time": unix(bucket.start), "end_time": unix(bucket.end), "results": results}


def costs(req: RecordedRequest, org: Org) -> Response:
    query = req.query
    groups = set(values(query, "group_by"))
    project_ids, key_ids = set(values(query, "project_ids")), set(values(query, "api_key_ids"))
    by_key = "api_key_id" in groups or bool(key_ids)
    if by_key and not org.openai_key_costs:
        raise ParamError("Invalid value for 'group_by': grouping costs by api_key_id is not supported.", "group_by")
    buckets, next_page, state = _window(req, org, 180, clip=False)
    data = []
    for bucket in buckets:
        day = org.openai_day(bucket.day)
        source: tuple[CostRow | KeyCostRow, ...] = day.key_costs if by_key else day.costs
        rows = [
            r
            for r in source
            if (not project_ids or r.project_id in project_ids)
            and (not key_ids or getattr(r, "api_key_id", None) in key_ids)
        ]
        data.append(_bucket(bucket, _cost_results(rows, groups, org.openai_org_id)))
    return _page(req, data, next_page, state)


def _cost_results(rows: list[CostRow | KeyCostRow], groups: set[str], org_id: str) -> list[dict[str, Any]]:
    by_item, by_project, by_key = "line_item" in groups, "project_id" in groups, "api_key_id" in groups
    merged: dict[tuple[str | None, str | None, str | None], list[CostRow | KeyCostRow]] = {}
    for row in rows:  # at the finest grain of the rows given, every group has exactly one row
        key = getattr(row, "api_key_id", None) if by_key else None
        merged.setdefault((row.line_item if by_item else None, row.project_id if by_project else None, key), []).append(
            row
        )
    results = []
    for (item, project, key), members in merged.items():
        # one member: the value exactly as generated; several: their exact sum, sent as the API would, a float
        value = members[0].value if len(members) == 1 else float(sum(parse_decimal(m.value) for m in members))
        quantity = sum(m.quantity or 0 for m in members) if by_item and members[0].quantity is not None else None
        results.append(
            {
                "object": "organization.costs.result",
                "amount": {"value": value, "currency": "usd"},
                "line_item": item,
                "project_id": project,
                "api_key_id": key,
                "quantity": quantity,
                "quantity_unit": members[0].quantity_unit if by_item else None,
                "organization_id": org_id,
            }
        )
    return results


def completions(req: RecordedRequest, org: Org) -> Response:
    query = req.query
    groups = set(values(query, "group_by"))
    project_ids, models = set(values(query, "project_ids")), set(values(query, "models"))
    key_ids, user_ids = set(values(query, "api_key_ids")), set(values(query, "user_ids"))
    batch_filter = single(query, "batch")
    buckets, next_page, state = _window(req, org, 31, clip=True)
    data = []
    for bucket in buckets:
        rows = [
            r
            for r in org.openai_day(bucket.day).usage
            if (not project_ids or r.project_id in project_ids)
            and (not models or r.model in models)
            and (not key_ids or r.api_key_id in key_ids)
            and (not user_ids or r.user_id in user_ids)
            and (batch_filter is None or r.batch == parse_bool(query, "batch"))
        ]
        data.append(_bucket(bucket, _usage_results(rows, groups, bucket.covered_seconds)))
    return _page(req, data, next_page, state)


def _usage_results(rows: list[UsageRow], groups: set[str], covered: int) -> list[dict[str, Any]]:
    dims = ("project_id", "model", "batch", "service_tier", "api_key_id", "user_id")
    sums: dict[tuple[Any, ...], list[int]] = {}
    for row in rows:
        key = tuple(getattr(row, d) if d in groups else None for d in dims)
        counts = (row.input_tokens, row.input_cached_tokens, row.output_tokens, row.num_model_requests)
        total = sums.setdefault(key, [0, 0, 0, 0])
        for i, count in enumerate(counts):
            total[i] += count
    results = []
    for (project_id, model, batch, tier, key_id, user_id), day_counts in sums.items():
        # a bucket that covers part of the day (a raw start_time) gets that share of the day's usage
        input_tokens, cached, output, requests = (c * covered // _DAY_SECONDS for c in day_counts)
        uncached = input_tokens - cached
        results.append(
            {
                "object": "organization.usage.completions.result",
                "input_tokens": input_tokens,
                "output_tokens": output,
                "input_cached_tokens": cached,
                "input_cache_write_tokens": 0,
                "input_uncached_tokens": uncached,
                "input_text_tokens": uncached,
                "input_audio_tokens": 0,
                "input_image_tokens": 0,
                "input_cached_text_tokens": cached,
                "input_cached_audio_tokens": 0,
                "input_cached_image_tokens": 0,
                "output_text_tokens": output,
                "output_audio_tokens": 0,
                "output_image_tokens": 0,
                "num_model_requests": requests,
                "project_id": project_id,
                "user_id": user_id,
                "api_key_id": key_id,
                "model": model,
                "batch": batch,
                "service_tier": tier,
            }
        )
    return results


def other_usage(req: RecordedRequest, org: Org, family: str) -> Response:
    """Embeddings, images, audio, vector stores… (openai_usage_kinds): grouped and filtered as the query asks."""
    buckets, next_page, state = _window(req, org, 31, clip=True)
    data = [
        _bucket(b, kind_results(family, org.openai_kinds_day(b.day), req.query, b.covered_seconds)) for b in buckets
    ]
    return _page(req, data, next_page, state)


def project_object(project_id: str, name: str, created_at: int, archived_at: int | None) -> dict[str, Any]:
    return {
        "id": project_id,
        "object": "organization.project",
        "name": name,
        "created_at": created_at,
        "archived_at": archived_at,
        "status": "archived" if archived_at is not None else "active",
    }


def list_projects(req: RecordedRequest, org: Org) -> Response:
    query = req.query
    limit = parse_limit(query, 20, 100, "projects")
    listed = [p for p in org.listed_projects() if parse_bool(query, "include_archived") or p.archived_at is None]
    start = 0
    after = single(query, "after")
    if after is not None:
        ids = [p.id for p in listed]
        if after not in ids:
            raise ParamError(f"Invalid value for 'after': no project {after!r}.", "after")
        start = ids.index(after) + 1
    page = listed[start : start + limit]
    data = [project_object(p.id or "", p.name, p.created_at, p.archived_at) for p in page]
    return _ok(
        req,
        {
            "object": "list",
            "data": data,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
            "has_more": start + limit < len(listed),
        },
    )


def project_listing(req: RecordedRequest, org: Org, project_id: str, what: str) -> Response:
    """GET /projects/{id}/api_keys and /projects/{id}/service_accounts."""
    project = next((p for p in org.listed_projects() if p.id == project_id), None)
    if what not in ("api_keys", "service_accounts"):
        return error(req, 404, f"Invalid URL (GET {req.path})")
    if project is None:
        return error(req, 404, f"No such project: {project_id}", code="not_found")
    if what == "api_keys":
        return _ok(req, openai_lists.project_api_keys(_checked(req, OPENAI_PROJECT_KEYS).query, org, project_id))
    query = _checked(req, OPENAI_SERVICE_ACCOUNTS).query
    if project.archived_at is not None:
        return error(req, 400, f"Project {project_id} is archived.", code="invalid_request")
    return _ok(req, openai_lists.project_service_accounts(query, org, project_id))


def get_project(req: RecordedRequest, org: Org, project_id: str) -> Response:
    for p in org.listed_projects():
        if p.id == project_id:
            return _ok(req, project_object(project_id, p.name, p.created_at, p.archived_at))
    return error(req, 404, f"No such project: {project_id}", code="not_found")
