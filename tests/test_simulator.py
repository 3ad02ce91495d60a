"""The bundled provider simulator, exercised over real HTTP with raw httpx requests."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from bot.money import cents_to_nano, parse_decimal, usd_to_nano
from bot.simulator import ANTHROPIC_KEY, OPENAI_KEY, Fault, Simulator

TODAY = date(2026, 11, 22)
COST = "/v1/organizations/cost_report"
USAGE = "/v1/organizations/usage_report/messages"
COSTS = "/v1/organization/costs"
COMPLETIONS = "/v1/organization/usage/completions"
ANTHROPIC_ROW_KEYS = {
    "amount",
    "currency",
    "cost_type",
    "description",
    "model",
    "service_tier",
    "token_type",
    "context_window",
    "inference_geo",
    "workspace_id",
}
USAGE_ROW_KEYS = {
    "uncached_input_tokens",
    "cache_creation",
    "cache_read_input_tokens",
    "output_tokens",
    "server_tool_use",
    "model",
    "workspace_id",
    "api_key_id",
    "service_tier",
    "context_window",
    "inference_geo",
    "account_id",
    "service_account_id",
}


_HTTP = httpx.Client(timeout=10)  # one client: a new one per request would build an SSL context each time


@pytest.fixture(scope="module", autouse=True)
def _close_http() -> Iterator[None]:
    yield
    _HTTP.close()


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(TODAY) as running:
        yield running


@pytest.fixture
def fresh() -> Iterator[Simulator]:
    """A private simulator for tests that inject faults or revise history."""
    with Simulator(TODAY) as running:
        yield running


def iso(day: date) -> str:
    return f"{day.isoformat()}T00:00:00Z"


def ts(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def ant(sim: Simulator, path: str, params: Any = None, key: str | None = ANTHROPIC_KEY, **kw: Any) -> httpx.Response:
    headers = {"anthropic-version": "2023-06-01"}
    if key is not None:
        headers["x-api-key"] = key
    return _HTTP.get(sim.anthropic_url + path, params=params, headers=headers, **kw)


def oai(sim: Simulator, path: str, params: Any = None, key: str | None = OPENAI_KEY, **kw: Any) -> httpx.Response:
    headers = {"authorization": f"Bearer {key}"} if key is not None else {}
    return _HTTP.get(sim.openai_url + path.removeprefix("/v1"), params=params, headers=headers, **kw)


def ant_report(sim: Simulator, path: str, start: date, end: date, groups: list[str], limit: int = 31) -> list[Any]:
    """Every bucket of an Anthropic report, following next_page to the end."""
    params: dict[str, Any] = {"starting_at": iso(start), "ending_at": iso(end), "limit": limit, "group_by[]": groups}
    buckets: list[Any] = []
    while True:
        body = ant(sim, path, params).raise_for_status().json()
        buckets.extend(body["data"])
        if not body["has_more"]:
            assert body["next_page"] is None
            return buckets
        params["page"] = body["next_page"]


def oai_report(sim: Simulator, path: str, start: date, end: date, groups: list[str], limit: int) -> list[Any]:
    params: dict[str, Any] = {"start_time": ts(start), "end_time": ts(end), "limit": limit, "group_by": groups}
    buckets: list[Any] = []
    while True:
        body = oai(sim, path, params).raise_for_status().json()
        buckets.extend(body["data"])
        if not body["has_more"]:
            assert body["next_page"] is None
            return buckets
        params["page"] = body["next_page"]


def day_of(bucket: dict[str, Any]) -> date:
    if "starting_at" in bucket:
        return date.fromisoformat(bucket["starting_at"][:10])
    return datetime.fromtimestamp(bucket["start_time"], tz=UTC).date()


# --- shapes ------------------------------------------------------------------------------------------------


def test_anthropic_cost_report_shape(sim: Simulator) -> None:
    day = TODAY - timedelta(days=1)
    body = ant(
        sim, COST, {"starting_at": iso(day), "ending_at": iso(TODAY), "group_by[]": ["workspace_id", "description"]}
    ).json()
    assert set(body) == {"data", "has_more", "next_page"}
    assert (body["has_more"], body["next_page"]) == (False, None)
    [bucket] = body["data"]
    assert (bucket["starting_at"], bucket["ending_at"]) == ("2026-11-21T00:00:00Z", "2026-11-22T00:00:00Z")
    rows = bucket["results"]
    assert all(set(row) == ANTHROPIC_ROW_KEYS for row in rows)
    for row in rows:
        assert isinstance(row["amount"], str)
        assert -parse_decimal(row["amount"]).as_tuple().exponent <= 5  # type: ignore[operator]
        assert row["currency"] == "USD"
        assert row["service_tier"] in ("standard", "batch", None)
        assert (row["model"] is None) == (row["cost_type"] != "tokens")
    ids = {w.name: w.id for w in sim.org.workspaces("anthropic")}
    production = ids["production"]
    searches = sum(
        u.web_search for u in sim.org.anthropic_day(day).usage if u.workspace_id == production
    )  # one cent per search
    web = [r for r in rows if r["cost_type"] == "web_search"]
    assert web == [
        {
            "amount": str(searches),
            "currency": "USD",
            "cost_type": "web_search",
            "description": "Web Search Usage",
            "model": None,
            "service_tier": None,
            "token_type": None,
            "context_window": None,
            "inference_geo": None,
            "workspace_id": production,
        }
    ]
    assert {r["workspace_id"] for r in rows} == {None, production, ids["batch-jobs"]}
    assert {r["cost_type"] for r in rows} == {"tokens", "web_search", "code_execution"}


def test_anthropic_cost_report_coarser_grouping_keeps_the_total(sim: Simulator) -> None:
    day = TODAY - timedelta(days=2)
    fine = ant_report(sim, COST, day, day + timedelta(days=1), ["workspace_id", "description"])
    coarse = ant_report(sim, COST, day, day + timedelta(days=1), [])
    [row] = coarse[0]["results"]
    total = sum((Decimal(r["amount"]) for r in fine[0]["results"]), Decimal(0))
    assert row == {
        "amount": str(total.normalize()),
        "currency": "USD",
        "cost_type": None,
        "description": None,
        "model": None,
        "service_tier": None,
        "token_type": None,
        "context_window": None,
        "inference_geo": None,
        "workspace_id": None,
    }


def test_anthropic_usage_report_shape_and_priority_day(sim: Simulator) -> None:
    start = TODAY - timedelta(days=7)
    buckets = ant_report(sim, USAGE, start, TODAY, ["workspace_id", "model", "service_tier"])
    assert len(buckets) == 7
    production = {w.name: w.id for w in sim.org.workspaces("anthropic")}["production"]
    priority_days = set()
    for bucket in buckets:
        for row in bucket["results"]:
            assert set(row) == USAGE_ROW_KEYS
            assert "input_tokens" not in row
            assert set(row["cache_creation"]) == {"ephemeral_5m_input_tokens", "ephemeral_1h_input_tokens"}
            assert set(row["server_tool_use"]) == {"web_search_requests"}
            assert (row["api_key_id"], row["context_window"], row["inference_geo"]) == (None, None, None)
            if row["service_tier"] == "priority":
                priority_days.add(day_of(bucket))
                assert (row["workspace_id"], row["model"]) == (production, "claude-sonnet-4-6")
    assert priority_days == {TODAY - timedelta(days=4)} == {sim.org.priority_day}
    # Priority Tier is never billed in the cost report
    cost_rows = ant_report(sim, COST, start, TODAY, ["workspace_id", "description"])
    assert {r["service_tier"] for b in cost_rows for r in b["results"]} == {"standard", "batch", None}


def test_anthropic_workspaces_me_and_archived(sim: Simulator) -> None:
    active = ant(sim, "/v1/organizations/workspaces").json()
    assert [w["name"] for w in active["data"]] == ["production", "batch-jobs"]
    assert (active["has_more"], active["first_id"], active["last_id"]) == (
        False,
        active["data"][0]["id"],
        active["data"][1]["id"],
    )
    names, after = [], None
    while True:  # include_archived, one per page, after_id paging
        params = {"include_archived": "true", "limit": 1, **({"after_id": after} if after else {})}
        page = ant(sim, "/v1/organizations/workspaces", params).json()
        names += [(w["name"], w["archived_at"] is not None) for w in page["data"]]
        if not page["has_more"]:
            break
        after = page["last_id"]
    assert names == [("production", False), ("batch-jobs", False), ("research", True)]
    assert [(w.name, w.archived) for w in sim.org.workspaces("anthropic")] == [("Default", False), *names]
    me = ant(sim, "/v1/organizations/me").json()
    assert me == {"id": sim.org.anthropic_org_id, "type": "organization", "name": "Acme Robotics (simulated)"}
    assert len(me["id"]) == 36 and me["id"].count("-") == 4


def test_openai_costs_shape(sim: Simulator) -> None:
    day = TODAY - timedelta(days=1)
    body = oai(
        sim, COSTS, {"start_time": ts(day), "end_time": ts(TODAY), "group_by": ["line_item", "project_id"]}
    ).json()
    assert set(body) == {"object", "data", "has_more", "next_page"}
    assert (body["object"], body["has_more"], body["next_page"]) == ("page", False, None)
    [bucket] = body["data"]
    assert (bucket["object"], bucket["start_time"], bucket["end_time"]) == ("bucket", ts(day), ts(TODAY))
    rows = bucket["results"]
    for row in rows:
        assert row["object"] == "organization.costs.result"
        assert row["amount"]["currency"] == "usd"
        assert isinstance(row["amount"]["value"], float | str)
        assert row["organization_id"] == sim.org.openai_org_id
    items = {r["line_item"] for r in rows}
    assert {"gpt-5.5-2026-04-23, cached input", "ft-gpt-4o-2024-08-06, output", "assistants api | file search"} <= items
    assert {"evals | gpt-4o-mini-2024-07-18, input", "web search tool calls", "Text tokens"} <= items
    [text] = [r for r in rows if r["line_item"] == "Text tokens"]
    assert text["project_id"] is None  # org-level cost
    assert isinstance(text["amount"]["value"], str) and Decimal(text["amount"]["value"]) > 0
    noisy = [r["amount"]["value"] for r in rows if isinstance(r["amount"]["value"], float)]
    assert any(len(repr(v)) > 12 for v in noisy)  # float noise in the last digits


def test_openai_completions_shape_and_projects(sim: Simulator) -> None:
    day = TODAY - timedelta(days=1)
    body = oai(
        sim, COMPLETIONS, {"start_time": ts(day), "end_time": ts(TODAY), "group_by": ["model", "project_id"]}
    ).json()
    rows = body["data"][0]["results"]
    for row in rows:
        assert row["object"] == "organization.usage.completions.result"
        assert (
            row["input_tokens"]
            == row["input_cached_tokens"] + row["input_cache_write_tokens"] + row["input_uncached_tokens"]
        )
        assert (row["batch"], row["service_tier"], row["user_id"]) == (None, None, None)
    assert {r["model"] for r in rows} == {
        "gpt-5.5-2026-04-23",
        "gpt-4o-mini-2024-07-18",
        "ft:gpt-4o-2024-08-06:acme::9xKq2Lz",
    }
    listed = oai(sim, "/v1/organization/projects").json()
    assert [p["name"] for p in listed["data"]] == ["web-app", "data-pipeline"]
    everything = oai(sim, "/v1/organization/projects", {"include_archived": "true", "limit": 2}).json()
    assert (everything["object"], everything["has_more"]) == ("list", True)
    rest = oai(
        sim, "/v1/organization/projects", {"include_archived": "true", "limit": 2, "after": everything["last_id"]}
    ).json()
    [legacy] = rest["data"]
    assert (legacy["name"], legacy["status"], legacy["object"], rest["has_more"]) == (
        "legacy-bot",
        "archived",
        "organization.project",
        False,
    )
    assert [(w.id, w.name, w.archived) for w in sim.org.workspaces("openai")] == [
        (p["id"], p["name"], p["status"] == "archived") for p in everything["data"] + rest["data"]
    ]


# --- auth --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "status", "kind", "error_code"),
    [
        (None, 401, "authentication_error", None),
        ("sk-ant-api03-regular-key", 401, "authentication_error", None),
        ("sk-ant-admin01-wrong", 401, "authentication_error", None),
        ("sk-ant-admin01-individual", 400, "invalid_request_error", "organization_type_not_supported"),
        ("sk-ant-admin01-forbidden", 403, "permission_error", None),
    ],
)
def test_anthropic_auth_errors(sim: Simulator, key: str | None, status: int, kind: str, error_code: str | None) -> None:
    response = ant(sim, "/v1/organizations/me", key=key)
    body = response.json()
    assert response.status_code == status
    assert set(body) == {"type", "error", "request_id"}
    assert body["type"] == "error" and body["error"]["type"] == kind
    assert body["error"].get("details", {}).get("error_code") == error_code
    assert response.headers["request-id"] == body["request_id"]


def test_anthropic_requires_version_header(sim: Simulator) -> None:
    response = _HTTP.get(sim.anthropic_url + "/v1/organizations/me", headers={"x-api-key": ANTHROPIC_KEY})
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "anthropic-version: header is required"


@pytest.mark.parametrize(
    ("key", "path", "status", "needle", "code"),
    [
        (None, COSTS, 401, "You didn't provide an API key", None),
        ("sk-proj-abc123", COSTS, 401, "Missing scopes: api.usage.read", None),
        ("sk-admin-wrong", COSTS, 401, "Incorrect API key provided", "invalid_api_key"),
        ("sk-admin-restricted-noorg", "/v1/organization/projects", 403, "Missing scopes: api.management.read", None),
    ],
)
def test_openai_auth_errors(
    sim: Simulator, key: str | None, path: str, status: int, needle: str, code: str | None
) -> None:
    response = oai(sim, path, {"start_time": ts(TODAY)}, key=key)
    error = response.json()["error"]
    assert response.status_code == status
    assert set(error) == {"message", "type", "param", "code"}
    assert needle in error["message"]
    assert (error["type"], error["code"]) == ("invalid_request_error", code)


def test_openai_restricted_key_still_reads_costs(sim: Simulator) -> None:
    response = oai(sim, COSTS, {"start_time": ts(TODAY)}, key="sk-admin-restricted-noorg")
    assert response.status_code == 200
    assert response.json()["object"] == "page"


# --- only the documented parameters --------------------------------------------------------------------------

YESTERDAY = TODAY - timedelta(days=1)
ANT_WINDOW = [("starting_at", iso(YESTERDAY)), ("ending_at", iso(TODAY))]
OAI_WINDOW = [("start_time", str(ts(YESTERDAY))), ("end_time", str(ts(TODAY)))]
MISSPELLED_ANTHROPIC = [
    (COST, [("group_by", "workspace_id")], "group_by: Extra inputs are not permitted; array parameters are written"),
    (COST, [("group_by[]", "model")], "group_by[]: unsupported value 'model'"),
    (COST, [("group_by[]", "api_key_id")], "group_by[]: unsupported value 'api_key_id'"),
    (COST, [("endng_at", iso(TODAY))], "endng_at: Extra inputs are not permitted"),
    (COST, [("models[]", "claude-opus-4-8")], "models[]: Extra inputs are not permitted"),
    (USAGE, [("group_by[]", "description")], "group_by[]: unsupported value 'description'"),
    (USAGE, [("models", "claude-opus-4-8")], "models: Extra inputs are not permitted; array parameters are written"),
    (USAGE, [("context_windows[]", "0-200k")], "context_windows[]: Extra inputs are not permitted"),
    (USAGE, [("service_tiers[]", "premium")], "service_tiers[]: unsupported value 'premium'"),
    (USAGE, [("group_by[]", "speed")], "requires the anthropic-beta: fast-mode-2026-02-01 header"),
    (
        USAGE,
        [("group_by[]", g) for g in ("model", "workspace_id", "service_tier", "api_key_id", "context_window", "speed")],
        "Cannot specify more than 5 group_by[] dimensions.",
    ),
]


@pytest.mark.parametrize(("path", "extra", "message"), MISSPELLED_ANTHROPIC)
def test_anthropic_refuses_what_it_does_not_document(
    sim: Simulator, path: str, extra: list[tuple[str, str]], message: str
) -> None:
    response = ant(sim, path, [*ANT_WINDOW, *extra])
    assert response.status_code == 400
    body = response.json()
    assert (body["type"], body["error"]["type"]) == ("error", "invalid_request_error")
    assert message in body["error"]["message"]
    assert body["request_id"] == response.headers["request-id"]


def test_anthropic_misspelled_listing_parameters_are_refused(sim: Simulator) -> None:
    assert ant(sim, "/v1/organizations/workspaces", {"after": "wrkspc_x"}).status_code == 400  # OpenAI's spelling
    assert ant(sim, "/v1/organizations/me", {"limit": 1}).status_code == 400
    beta = {"anthropic-version": "2023-06-01", "x-api-key": ANTHROPIC_KEY, "anthropic-beta": "fast-mode-2026-02-01"}
    fast = _HTTP.get(sim.anthropic_url + USAGE, params=[*ANT_WINDOW, ("group_by[]", "speed")], headers=beta)
    assert fast.status_code == 200  # speed is documented, behind the fast-mode beta header


MISSPELLED_OPENAI = [
    (COSTS, [("group_by", "user_id")], "Invalid value for 'group_by': 'user_id'"),
    (COSTS, [("group_by", "api_source")], "Invalid value for 'group_by': 'api_source'"),
    (COSTS, [("group_by", "model")], "Invalid value for 'group_by': 'model'"),
    (COSTS, [("group_by", "line_item,project_id")], "Invalid value for 'group_by': 'line_item,project_id'"),
    (COSTS, [("groupby", "line_item")], "Unrecognized request argument supplied: groupby"),
    (COSTS, [("line_items", "gpt-4o-2024-08-06, input")], "Unrecognized request argument supplied: line_items"),
    (COSTS, [("user_ids", "user_x")], "Unrecognized request argument supplied: user_ids"),
    (COSTS, [("group_by[]", "user_id")], "Invalid value for 'group_by': 'user_id'"),
    (COMPLETIONS, [("group_by", "line_item")], "Invalid value for 'group_by': 'line_item'"),
    (COMPLETIONS, [("group_by", "api_source")], "Invalid value for 'group_by': 'api_source'"),
    (COMPLETIONS, [("project_id", "proj_x")], "Unrecognized request argument supplied: project_id"),
    (COMPLETIONS, [("starting_at", iso(YESTERDAY))], "Unrecognized request argument supplied: starting_at"),
    ("/v1/organization/usage/vector_stores", [("group_by", "model")], "Invalid value for 'group_by': 'model'"),
    ("/v1/organization/usage/images", [("sizes", "9x9")], "Invalid value for 'sizes': '9x9'"),
]


@pytest.mark.parametrize(("path", "extra", "message"), MISSPELLED_OPENAI)
def test_openai_refuses_what_its_spec_does_not_list(
    sim: Simulator, path: str, extra: list[tuple[str, str]], message: str
) -> None:
    response = oai(sim, path, [*OAI_WINDOW, *extra])
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["message"].startswith(message)
    assert error["param"] == extra[0][0].removesuffix("[]")


def test_openai_answers_both_array_encodings_alike(sim: Simulator) -> None:
    plain = oai(sim, COSTS, [*OAI_WINDOW, ("group_by", "line_item"), ("group_by", "project_id")])
    brackets = oai(sim, COSTS, [*OAI_WINDOW, ("group_by[]", "line_item"), ("group_by[]", "project_id")])
    assert plain.status_code == brackets.status_code == 200
    assert plain.json() == brackets.json()
    assert oai(sim, "/v1/organization/projects", {"after_id": "proj_x"}).status_code == 400  # Anthropic's spelling


# --- the cost report and today ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [
        {"starting_at": iso(TODAY), "ending_at": iso(TODAY + timedelta(days=1))},  # today only
        {"starting_at": iso(TODAY)},  # no ending_at: the range ends at today 00:00
        {"starting_at": f"{TODAY.isoformat()}T09:00:00Z", "ending_at": iso(TODAY + timedelta(days=2))},
        {"starting_at": iso(YESTERDAY), "ending_at": iso(YESTERDAY)},  # empty
        {"starting_at": iso(YESTERDAY), "ending_at": iso(YESTERDAY - timedelta(days=3))},  # backwards
    ],
)
def test_anthropic_cost_report_refuses_a_range_with_no_complete_day(sim: Simulator, params: dict[str, str]) -> None:
    response = ant(sim, COST, params)
    assert response.status_code == 400
    assert response.json()["error"] == {
        "type": "invalid_request_error",
        "message": "ending date must be after starting date",
    }


def test_anthropic_cost_report_around_today(sim: Simulator) -> None:
    tomorrow = TODAY + timedelta(days=1)
    both = ant(sim, COST, {"starting_at": iso(YESTERDAY), "ending_at": iso(tomorrow)}).json()["data"]
    assert [b["starting_at"] for b in both] == [iso(YESTERDAY), iso(TODAY)]  # today's partial bucket is served
    default = ant(sim, COST, {"starting_at": iso(TODAY - timedelta(days=3))}).json()["data"]
    assert [b["ending_at"] for b in default][-1] == iso(TODAY)  # with no ending_at, the last bucket is yesterday
    usage = ant(sim, USAGE, {"starting_at": iso(TODAY), "ending_at": iso(tomorrow)})
    assert (usage.status_code, len(usage.json()["data"])) == (200, 1)  # the usage report serves today alone


# --- limits, paging, buckets -------------------------------------------------------------------------------


@pytest.mark.parametrize(("path", "cap"), [(COST, 31), (USAGE, 31)])
def test_anthropic_limit_caps(sim: Simulator, path: str, cap: int) -> None:
    start = TODAY - timedelta(days=60)
    ok = ant(sim, path, {"starting_at": iso(start), "limit": cap})
    assert (ok.status_code, len(ok.json()["data"]), ok.json()["has_more"]) == (200, cap, True)
    default = ant(sim, path, {"starting_at": iso(start)})
    assert len(default.json()["data"]) == 7
    over = ant(sim, path, {"starting_at": iso(start), "limit": cap + 1})
    assert over.status_code == 400
    assert over.json()["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize(("path", "cap"), [(COSTS, 180), (COMPLETIONS, 31)])
def test_openai_limit_caps(sim: Simulator, path: str, cap: int) -> None:
    start = TODAY - timedelta(days=300)
    ok = oai(sim, path, {"start_time": ts(start), "limit": cap})
    assert (ok.status_code, len(ok.json()["data"]), ok.json()["has_more"]) == (200, cap, True)
    over = oai(sim, path, {"start_time": ts(start), "limit": cap + 1})
    assert over.status_code == 400
    assert (over.json()["error"]["type"], over.json()["error"]["param"]) == ("invalid_request_error", "limit")


def test_paging_reaches_the_end_with_every_day_once(sim: Simulator) -> None:
    start = TODAY - timedelta(days=37)
    end = TODAY + timedelta(days=3)  # past today: empty buckets
    expected = [start + timedelta(days=i) for i in range(40)]
    for buckets in (
        ant_report(sim, COST, start, end, ["workspace_id"], limit=7),
        ant_report(sim, USAGE, start, end, ["model"], limit=6),
        oai_report(sim, COSTS, start, end, ["project_id"], limit=9),
        oai_report(sim, COMPLETIONS, start, end, ["model"], limit=31),
    ):
        assert [day_of(b) for b in buckets] == expected
        assert [b["results"] for b in buckets[-2:]] == [[], []]  # future days are present and empty
        assert all(b["results"] for b in buckets[:-3])


def test_cursor_is_bound_to_the_query(sim: Simulator) -> None:
    params: dict[str, Any] = {"starting_at": iso(TODAY - timedelta(days=20)), "group_by[]": ["workspace_id"]}
    cursor = ant(sim, COST, params).json()["next_page"]
    assert ant(sim, COST, {**params, "page": cursor}).status_code == 200
    changed = ant(sim, COST, {**params, "group_by[]": ["description"], "page": cursor})
    assert changed.status_code == 400
    assert "different parameters" in changed.json()["error"]["message"]
    assert ant(sim, COST, {**params, "page": "page_not-a-cursor"}).status_code == 400
    o_params = {"start_time": ts(TODAY - timedelta(days=20)), "group_by": ["line_item"]}
    o_cursor = oai(sim, COSTS, o_params).json()["next_page"]
    # OpenAI answers the SDK's bracketed array spelling as the same query
    bracketed = {**o_params, "group_by": [], "group_by[]": ["line_item"], "page": o_cursor}
    assert oai(sim, COSTS, bracketed).status_code == 200
    rebound = oai(sim, COSTS, {**o_params, "end_time": ts(TODAY), "page": o_cursor})
    assert (rebound.status_code, rebound.json()["error"]["param"]) == (400, "page")


def test_snapping_and_partial_first_bucket(sim: Simulator) -> None:
    day = TODAY - timedelta(days=3)
    raw = ts(day) + 13 * 3600 + 45 * 60
    anthropic = ant(sim, USAGE, {"starting_at": f"{day.isoformat()}T13:45:00Z", "limit": 1}).json()["data"][0]
    assert (anthropic["starting_at"], anthropic["ending_at"]) == (iso(day), iso(day + timedelta(days=1)))
    costs = oai(sim, COSTS, {"start_time": raw, "limit": 1}).json()["data"][0]
    assert (costs["start_time"], costs["end_time"]) == (ts(day), ts(day + timedelta(days=1)))
    by = ["model", "project_id"]
    partial = oai(sim, COMPLETIONS, {"start_time": raw, "limit": 2, "group_by": by}).json()["data"]
    assert [(b["start_time"], b["end_time"]) for b in partial] == [
        (raw, ts(day + timedelta(days=1))),
        (ts(day + timedelta(days=1)), ts(day + timedelta(days=2))),
    ]
    whole = oai(sim, COMPLETIONS, {"start_time": ts(day), "limit": 1, "group_by": by}).json()["data"][0]
    share = 86400 - (13 * 3600 + 45 * 60)  # the first bucket holds its share of the day's usage
    assert [r["input_tokens"] for r in partial[0]["results"]] == [
        r["input_tokens"] * share // 86400 for r in whole["results"]
    ]


def test_deterministic_for_seed_and_today() -> None:
    def bodies(seed: int) -> list[bytes]:
        with Simulator(TODAY, seed=seed) as s:
            start = TODAY - timedelta(days=10)
            return [
                ant(s, COST, {"starting_at": iso(start), "group_by[]": ["workspace_id", "description"]}).content,
                ant(s, USAGE, {"starting_at": iso(start), "group_by[]": ["model", "workspace_id"]}).content,
                oai(s, COSTS, {"start_time": ts(start), "group_by": ["line_item", "project_id"]}).content,
                oai(s, COMPLETIONS, {"start_time": ts(start), "group_by": ["model"]}).content,
                ant(s, "/v1/organizations/workspaces", {"include_archived": "true"}).content,
                oai(s, "/v1/organization/projects", {"include_archived": "true"}).content,
            ]

    first = bodies(0)
    assert first == bodies(0)
    assert all(a != b for a, b in zip(first, bodies(1), strict=True))


# --- the reconciliation reference and the story in the data -------------------------------------------------


def test_expected_cost_nano_is_the_exact_sum_served(sim: Simulator) -> None:
    start, end = TODAY - timedelta(days=39), TODAY + timedelta(days=1)
    amounts = [
        Decimal(r["amount"])
        for b in ant_report(sim, COST, start, end, ["workspace_id", "description"])
        for r in b["results"]
    ]
    anthropic_total = sum(amounts, Decimal(0))
    assert sim.org.expected_cost_nano("anthropic", start, end) == cents_to_nano(anthropic_total)
    assert cents_to_nano(anthropic_total) == sum(cents_to_nano(a) for a in amounts)  # no rounding anywhere

    values = [
        r["amount"]["value"]
        for b in oai_report(sim, COSTS, start, end, ["line_item", "project_id"], 180)
        for r in b["results"]
    ]
    assert any(isinstance(v, str) for v in values) and any(isinstance(v, float) for v in values)
    served = sum(usd_to_nano(parse_decimal(v)) for v in values)
    assert sim.org.expected_cost_nano("openai", start, end) == served
    exact = usd_to_nano(sum((parse_decimal(v) for v in values), Decimal(0)))
    assert abs(exact - served) <= len(values)  # per-row nano rounding only


def test_week_over_week_spike_and_new_spender(sim: Simulator) -> None:
    org = sim.org
    week = (TODAY - timedelta(days=7), TODAY)
    before = (TODAY - timedelta(days=14), TODAY - timedelta(days=7))
    now = sum(org.expected_cost_nano(p, *week) for p in ("anthropic", "openai"))
    then = sum(org.expected_cost_nano(p, *before) for p in ("anthropic", "openai"))
    assert now - then > 10 * 10**9
    assert (now - then) * 100 > 25 * then
    batch_jobs = {w.name: w.id for w in org.workspaces("anthropic")}["batch-jobs"]
    buckets = ant_report(sim, COST, TODAY - timedelta(days=30), TODAY, ["workspace_id", "description"])
    spend_days = {day_of(b) for b in buckets for r in b["results"] if r["workspace_id"] == batch_jobs}
    opus_days = {day_of(b) for b in buckets for r in b["results"] if r["model"] == "claude-opus-4-8"}
    assert spend_days == opus_days == {TODAY - timedelta(days=i) for i in range(1, 8)}
    new_spend = sum(Decimal(r["amount"]) for b in buckets for r in b["results"] if r["workspace_id"] == batch_jobs)
    assert new_spend > 300 * 100  # several hundred dollars, in cents


def test_archived_spenders_only_in_older_history(sim: Simulator) -> None:
    research = {w.name: w.id for w in sim.org.workspaces("anthropic")}["research"]
    legacy = {w.name: w.id for w in sim.org.workspaces("openai")}["legacy-bot"]
    a = ant_report(sim, COST, TODAY - timedelta(days=70), TODAY, ["workspace_id"])
    assert {day_of(b) for b in a if any(r["workspace_id"] == research for r in b["results"])} == {
        TODAY - timedelta(days=i) for i in range(61, 71)
    }
    o = oai_report(sim, COSTS, TODAY - timedelta(days=50), TODAY, ["project_id"], 180)
    assert {day_of(b) for b in o if any(r["project_id"] == legacy for r in b["results"])} == {
        TODAY - timedelta(days=i) for i in range(46, 51)
    }


def test_revise_changes_served_amounts_and_the_reference(fresh: Simulator) -> None:
    day = TODAY - timedelta(days=2)
    before = fresh.org.expected_cost_nano("openai", day, day + timedelta(days=1))
    fresh.revise("openai", day, Decimal("1.5"))
    after = fresh.org.expected_cost_nano("openai", day, day + timedelta(days=1))
    [bucket] = oai_report(fresh, COSTS, day, day + timedelta(days=1), ["line_item", "project_id"], 7)
    assert sum(usd_to_nano(parse_decimal(r["amount"]["value"])) for r in bucket["results"]) == after
    assert abs(after * 2 - before * 3) < before // 1000  # 1.5x, up to whole-token rounding


def test_scale_mode_names_and_models() -> None:
    with Simulator(TODAY, n_workspaces=40, n_models=25) as big:
        names = [w.name for w in big.org.workspaces("anthropic")]
        assert names == ["Default", *[f"ws-{i:03d}" for i in range(1, 41)]]
        assert all(w.id.startswith("proj_") for w in big.org.workspaces("openai") if w.id)
        day = TODAY - timedelta(days=1)
        [bucket] = ant_report(big, USAGE, day, TODAY, ["model"])
        assert {r["model"] for r in bucket["results"]} == {f"claude-model-{k:03d}" for k in range(1, 26)}
        assert ant(big, "/v1/organizations/workspaces", {"limit": 100}).json()["data"][0]["id"].startswith("wrkspc_01")


# --- faults ------------------------------------------------------------------------------------------------


def test_status_fault_hits_n_times_with_headers(fresh: Simulator) -> None:
    fresh.inject(
        Fault(provider="anthropic", path=COST, kind="status", status=429, headers={"retry-after": "0"}, times=2)
    )
    params = {"starting_at": iso(TODAY - timedelta(days=1))}
    assert ant(fresh, USAGE, params).status_code == 200  # another path is not hit
    first, second, third = (ant(fresh, COST, params) for _ in range(3))
    assert (first.status_code, second.status_code, third.status_code) == (429, 429, 200)
    assert first.headers["retry-after"] == "0"
    assert first.json()["error"]["type"] == "rate_limit_error"
    fresh.inject(Fault(provider="openai", kind="status", status=503))
    failed = oai(fresh, "/v1/organization/projects")
    assert (failed.status_code, failed.json()["error"]["type"]) == (503, "server_error")


def test_timeout_and_reset_faults(fresh: Simulator) -> None:
    fresh.inject(Fault(provider="openai", path=COSTS, kind="timeout", delay=1.0))
    with pytest.raises(httpx.ReadTimeout):
        oai(fresh, COSTS, {"start_time": ts(TODAY)}, timeout=0.2)
    fresh.inject(Fault(provider="anthropic", kind="reset"))
    with pytest.raises(httpx.TransportError):
        ant(fresh, "/v1/organizations/me")
    assert ant(fresh, "/v1/organizations/me").status_code == 200


def test_body_faults(fresh: Simulator) -> None:
    params = {"starting_at": iso(TODAY - timedelta(days=1)), "group_by[]": ["workspace_id", "description"]}
    normal = ant(fresh, COST, params).content
    fresh.inject(Fault(provider="anthropic", path=COST, kind="truncated"))
    truncated = ant(fresh, COST, params)
    assert truncated.status_code == 200 and truncated.content == normal[: len(normal) // 2]
    fresh.inject(Fault(provider="anthropic", path=COST, kind="non_json"))
    html = ant(fresh, COST, params)
    assert (html.status_code, html.headers["content-type"][:9]) == (200, "text/html")
    with pytest.raises(json.JSONDecodeError):
        html.json()
    fresh.inject(Fault(provider="openai", path=COSTS, kind="error_envelope"))
    envelope = oai(fresh, COSTS, {"start_time": ts(TODAY)})
    assert (envelope.status_code, envelope.json()["error"]["type"]) == (200, "server_error")
    fresh.inject(Fault(provider="openai", path=COSTS, kind="no_data"))
    assert oai(fresh, COSTS, {"start_time": ts(TODAY)}).json() == {"has_more": False}


def test_cursor_faults(fresh: Simulator) -> None:
    params: dict[str, Any] = {"starting_at": iso(TODAY - timedelta(days=3))}
    fresh.inject(Fault(provider="anthropic", path=COST, kind="missing_cursor"))
    assert {k: v for k, v in ant(fresh, COST, params).json().items() if k != "data"} == {
        "has_more": True,
        "next_page": None,
    }
    fresh.inject(Fault(provider="anthropic", path=COST, kind="repeat_cursor", times=None))
    cursor = ant(fresh, COST, params).json()["next_page"]
    again = ant(fresh, COST, {**params, "page": cursor}).json()
    assert (again["has_more"], again["next_page"]) == (True, cursor)
    fresh.clear_faults()
    fresh.inject(Fault(provider="openai", path=COSTS, kind="endless", times=None))
    o_params: dict[str, Any] = {"start_time": ts(TODAY - timedelta(days=3)), "limit": 2}
    seen = set()
    for _ in range(6):  # far past the 4 buckets that exist
        body = oai(fresh, COSTS, o_params).json()
        assert body["has_more"] is True and body["next_page"] not in seen
        seen.add(body["next_page"])
        o_params["page"] = body["next_page"]
    assert body["data"] == []


def test_bad_amount_and_extra_fields(fresh: Simulator) -> None:
    day = TODAY - timedelta(days=1)
    fresh.inject(Fault(provider="anthropic", path=COST, kind="bad_amount", value="NaN"))
    rows = ant(fresh, COST, {"starting_at": iso(day), "group_by[]": ["workspace_id"]}).json()["data"][0]["results"]
    assert {r["amount"] for r in rows} == {"NaN"}
    fresh.inject(Fault(provider="openai", path=COSTS, kind="bad_amount", value=float("inf")))
    rows = oai(fresh, COSTS, {"start_time": ts(day), "group_by": ["project_id"]}).json()["data"][0]["results"]
    assert rows and all(math.isinf(r["amount"]["value"]) for r in rows)
    fresh.inject(Fault(provider="anthropic", path=USAGE, kind="extra_fields"))
    body = ant(fresh, USAGE, {"starting_at": iso(day), "ending_at": iso(TODAY)}).json()
    assert "x_simulator_envelope" in body and "x_simulator_bucket" in body["data"][0]
    assert set(body["data"][0]["results"][0]) == USAGE_ROW_KEYS | {"x_simulator_row"}


def test_fault_validation() -> None:
    with pytest.raises(ValueError, match="kind"):
        Fault(provider="anthropic", kind="explode")
    with pytest.raises(ValueError, match="provider"):
        Fault(provider="gemini")


# --- recording and the command line -------------------------------------------------------------------------


def test_requests_are_recorded(fresh: Simulator) -> None:
    fresh.latency = 0.01
    ant(fresh, COST, [("starting_at", iso(TODAY)), ("group_by[]", "workspace_id"), ("group_by[]", "description")])
    oai(fresh, "/v1/organization/projects", {"limit": 5})
    first, second = fresh.requests
    assert (first.provider, first.method, first.path) == ("anthropic", "GET", COST)
    assert first.query == {"starting_at": [iso(TODAY)], "group_by[]": ["workspace_id", "description"]}
    assert first.headers["x-api-key"] == ANTHROPIC_KEY and first.headers["anthropic-version"] == "2023-06-01"
    assert (second.provider, second.path, second.query) == ("openai", "/v1/organization/projects", {"limit": ["5"]})
    assert second.headers["authorization"] == f"Bearer {OPENAI_KEY}"
    fresh.clear_requests()
    assert fresh.requests == []


def test_command_line_serves_until_interrupted() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.simulator", "--today", TODAY.isoformat()],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        anthropic_line = proc.stdout.readline()
        url = anthropic_line.split()[0].removeprefix("ANTHROPIC_BASE_URL=")
        assert proc.stdout.readline().startswith(f"OPENAI_BASE_URL={url}/v1 ")
        me = httpx.get(
            url + "/v1/organizations/me", headers={"x-api-key": ANTHROPIC_KEY, "anthropic-version": "2023-06-01"}
        )
        assert me.json()["type"] == "organization"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
