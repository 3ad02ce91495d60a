"""AnthropicProvider against the bundled simulator, and recorded responses for what it cannot express."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

import pytest

from bot.config import Secret
from bot.errors import ProviderAuthError, ProviderDataError
from bot.money import cents_to_nano
from bot.providers import OrgIdentity
from bot.providers.anthropic import AnthropicProvider
from bot.records import CostRecord, Label, ProviderData, UsageRecord
from bot.simulator import ANTHROPIC_KEY, Fault, Simulator
from tests.scripted_server import Reply, ScriptedServer, Seen

TODAY = date(2026, 11, 22)
START, END = TODAY - timedelta(days=59), TODAY + timedelta(days=1)  # 60 days through today's partial bucket
COST = "/v1/organizations/cost_report"
USAGE = "/v1/organizations/usage_report/messages"
WORKSPACES = "/v1/organizations/workspaces"
CLAUDE_CODE = "/v1/organizations/usage_report/claude_code"
API_KEYS = "/v1/organizations/api_keys"
USERS = "/v1/organizations/users"
ANALYTICS = "/v1/organizations/analytics/cost"
LISTS = (WORKSPACES, API_KEYS, USERS)
ADMIN_KEYS = "Console › Settings › Admin keys (https://console.anthropic.com/settings/admin-keys)"


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(today=TODAY) as simulator:
        yield simulator


@pytest.fixture
def sleeps() -> list[float]:
    return []


def provider(
    url: str, sleeps: list[float], key: str = ANTHROPIC_KEY, timeout: float = 5.0, max_workers: int = 4
) -> AnthropicProvider:
    return AnthropicProvider(Secret(key), url, timeout=timeout, sleep=sleeps.append, max_workers=max_workers)


def fetch(
    url: str,
    sleeps: list[float],
    start: date = START,
    end: date = END,
    key: str = ANTHROPIC_KEY,
    timeout: float = 5.0,
    max_workers: int = 4,
) -> ProviderData:
    p = provider(url, sleeps, key, timeout, max_workers)
    try:
        return p.fetch(start, end)
    finally:
        p.close()


def total(data: ProviderData) -> int:
    return sum(c.amount_nano for c in data.costs)


# --- against the simulator -----------------------------------------------------------------------------------


def test_60_days_reconcile_exactly_per_day(sim: Simulator, sleeps: list[float]) -> None:
    data = fetch(sim.anthropic_url, sleeps)
    assert (data.provider, data.start, data.end) == ("anthropic", START, END)
    assert total(data) == sim.org.expected_cost_nano("anthropic", START, END)
    by_day: dict[date, int] = {}
    for cost in data.costs:
        by_day[cost.day] = by_day.get(cost.day, 0) + cost.amount_nano
    assert by_day == {d: n for d in _days(START, END) if (n := sim.org.daily_cost_nano("anthropic", d))}
    assert len(set((c.day, c.workspace_id, c.model, c.item, c.service_tier) for c in data.costs)) == len(data.costs)
    assert data.warnings == [] and sleeps == []


def test_requests_are_the_documented_ones(sim: Simulator, sleeps: list[float]) -> None:
    data = fetch(sim.anthropic_url, sleeps)
    claude_code = [r for r in sim.requests if r.path == CLAUDE_CODE]
    requests = [r for r in sim.requests if r.path != CLAUDE_CODE]
    # 2 chunks x (cost + usage by key + usage by context window and geo, which the priced usage comes from too +
    # analytics cost) + 1 page each of workspaces, keys and users
    assert len(requests) == 11
    # and one Claude Code request per day (each day fits one page of 1000 actors)
    assert data.requests == len(sim.requests) == 11 + 60
    days = [(START + timedelta(days=i)).isoformat() for i in range(60)]
    assert sorted(r.query["starting_at"][0] for r in claude_code) == days
    assert all(r.query["limit"] == ["1000"] and set(r.query) == {"starting_at", "limit"} for r in claude_code)
    for req in requests:
        assert req.headers["x-api-key"] == ANTHROPIC_KEY
        assert req.headers["anthropic-version"] == "2023-06-01"
        assert "authorization" not in req.headers
    reports = sorted(
        (r.path, r.query["starting_at"][0], r.query["ending_at"][0]) for r in requests if r.path not in LISTS
    )
    assert reports == [
        (ANALYTICS, "2026-09-24T00:00:00Z", "2026-10-25T00:00:00Z"),
        (ANALYTICS, "2026-10-25T00:00:00Z", "2026-11-23T00:00:00Z"),
        (COST, "2026-09-24T00:00:00Z", "2026-10-25T00:00:00Z"),
        (COST, "2026-10-25T00:00:00Z", "2026-11-23T00:00:00Z"),
        (USAGE, "2026-09-24T00:00:00Z", "2026-10-25T00:00:00Z"),
        (USAGE, "2026-09-24T00:00:00Z", "2026-10-25T00:00:00Z"),
        (USAGE, "2026-10-25T00:00:00Z", "2026-11-23T00:00:00Z"),
        (USAGE, "2026-10-25T00:00:00Z", "2026-11-23T00:00:00Z"),
    ]
    usage_groups = sorted(r.query["group_by[]"] for r in requests if r.path == USAGE)
    assert usage_groups == [
        *[["model", "workspace_id", "service_tier", "api_key_id"]] * 2,
        *[["workspace_id", "model", "service_tier", "context_window", "inference_geo"]] * 2,  # the API's most: 5
    ]
    for req in requests:
        rest = {k: v for k, v in req.query.items() if k not in ("starting_at", "ending_at")}
        if req.path == COST:
            assert rest == {"bucket_width": ["1d"], "limit": ["31"], "group_by[]": ["workspace_id", "description"]}
        elif req.path == USAGE:
            assert {k: v for k, v in rest.items() if k != "group_by[]"} == {"bucket_width": ["1d"], "limit": ["31"]}
        elif req.path == ANALYTICS:
            assert req.headers["anthropic-beta"] == "analytics-usage-cost-2026-08-24"
            assert rest == {
                "time_bucket_width": ["1d"],
                "limit": ["1000"],
                "group_by[]": ["api_key_id", "actor", "workspace_id", "model"],
            }
        elif req.path == WORKSPACES:
            assert req.query == {"include_archived": ["true"], "limit": ["1000"]}
        else:  # every key status in one listing: `status` is an optional filter
            assert req.path in (API_KEYS, USERS) and req.query == {"limit": ["1000"]}
        if req.path != ANALYTICS:
            assert "anthropic-beta" not in req.headers


def test_400_day_backfill_uses_the_fewest_requests(sim: Simulator, sleeps: list[float]) -> None:
    start = TODAY - timedelta(days=399)
    data = fetch(sim.anthropic_url, sleeps, start=start)
    # 13 chunks x (cost + usage by key + usage by context window and geo), the analytics API from 2026-01-01 (326
    # days: 11 chunks), 3 one-page lists, and Claude Code's one request per day for its last 90 days only
    assert len([r for r in sim.requests if r.path != CLAUDE_CODE]) == 13 * 3 + 11 + 3
    assert data.requests == len(sim.requests) == 13 * 3 + 11 + 3 + 90
    assert not any("page" in r.query or "after_id" in r.query for r in sim.requests)
    assert total(data) == sim.org.expected_cost_nano("anthropic", start, END)
    assert min(c.day for c in data.costs) == start and max(c.day for c in data.costs) == TODAY


def test_usage_matches_the_rows_served(sim: Simulator, sleeps: list[float]) -> None:
    """Total input = uncached + 5m + 1h writes + cache reads, from the nested cache_creation."""
    data = fetch(sim.anthropic_url, sleeps)
    expected: dict[tuple[date, str, str, str], list[int]] = {}
    for day in _days(START, END):
        for row in sim.org.anthropic_day(day).usage:
            key = (day, row.workspace_id or "", row.model, row.service_tier)
            sums = expected.setdefault(key, [0, 0, 0, 0])
            parts = (row.uncached + row.cache_5m + row.cache_1h + row.cache_read, row.output, row.cache_read)
            for i, n in enumerate((*parts, row.cache_5m + row.cache_1h)):
                sums[i] += n
    assert data.usage == [
        UsageRecord("anthropic", d, ws, m, tier, i, o, r, w, 0)
        for (d, ws, m, tier), (i, o, r, w) in sorted(expected.items())
    ]
    assert any(u.cache_write_tokens and u.cache_read_tokens for u in data.usage)


def test_priority_usage_is_kept_though_cost_never_has_it(sim: Simulator, sleeps: list[float]) -> None:
    data = fetch(sim.anthropic_url, sleeps)
    priority = {(u.day, u.workspace_id) for u in data.usage if u.service_tier == "priority"}
    production = next(w.id for w in sim.org.workspaces("anthropic") if w.name == "production")
    assert priority == {(TODAY - timedelta(days=4), production)}
    assert {c.service_tier for c in data.costs} == {"standard", "batch", ""}


def test_labels_include_default_and_archived(sim: Simulator, sleeps: list[float]) -> None:
    data = fetch(sim.anthropic_url, sleeps)
    expected = [Label("anthropic", w.id or "", w.name, w.archived) for w in sim.org.workspaces("anthropic")]
    assert data.labels == sorted(expected, key=lambda label: label.id)
    assert Label("anthropic", "", "Default") in data.labels
    assert any(label.archived and label.name == "research" for label in data.labels)
    workspace_ids = {c.workspace_id for c in data.costs}
    assert workspace_ids <= {label.id for label in data.labels} and "" in workspace_ids


def test_non_token_costs_have_no_model(sim: Simulator, sleeps: list[float]) -> None:
    data = fetch(sim.anthropic_url, sleeps)
    assert {c.item for c in data.costs if c.model == ""} == {"Web Search Usage", "Code Execution Usage"}
    assert {c.item for c in data.costs if c.model} == {
        "tokens:uncached_input_tokens",
        "tokens:output_tokens",
        "tokens:cache_read_input_tokens",
        "tokens:cache_creation.ephemeral_5m_input_tokens",
        "tokens:cache_creation.ephemeral_1h_input_tokens",
    }


def test_a_revised_day_is_fetched_as_revised(sim: Simulator, sleeps: list[float]) -> None:
    before = fetch(sim.anthropic_url, sleeps)
    sim.revise("anthropic", TODAY - timedelta(days=2), Decimal("1.5"))
    after = fetch(sim.anthropic_url, sleeps)
    assert total(after) == sim.org.expected_cost_nano("anthropic", START, END) > total(before)


def test_identity(sim: Simulator, sleeps: list[float]) -> None:
    p = provider(sim.anthropic_url, sleeps)
    try:
        assert p.identity(TODAY) == OrgIdentity("anthropic", sim.org.anthropic_org_id, "Acme Robotics (simulated)")
    finally:
        p.close()
    assert [r.path for r in sim.requests] == ["/v1/organizations/me"]


@pytest.mark.parametrize(
    "fault",
    [
        Fault("anthropic", COST, "status", 429, {"retry-after": "1"}),
        Fault("anthropic", USAGE, "status", 429, {"retry-after-ms": "20"}, times=2),
        Fault("anthropic", COST, "status", 500, times=2),
        Fault("anthropic", USAGE, "status", 502),
        Fault("anthropic", WORKSPACES, "status", 503),
        Fault("anthropic", COST, "status", 529, times=3),
        Fault("anthropic", None, "reset", times=2),
        Fault("anthropic", USAGE, "timeout", delay=1.5),
        Fault("anthropic", None, "extra_fields", times=None),
    ],
    ids=lambda f: f"{f.kind}-{f.status}-{f.path}",
)
def test_transient_faults_and_unknown_fields_change_nothing(sim: Simulator, sleeps: list[float], fault: Fault) -> None:
    clean = fetch(sim.anthropic_url, sleeps)
    sim.clear_requests()
    sim.inject(fault)
    data = fetch(sim.anthropic_url, sleeps, timeout=0.5)
    assert (data.costs, data.usage, data.labels) == (clean.costs, clean.usage, clean.labels)
    retries = 0 if fault.kind == "extra_fields" else (fault.times or 0)
    assert data.requests == len(sim.requests) == clean.requests + retries
    if "retry-after" in fault.headers:
        assert sleeps == [1.0]
    elif "retry-after-ms" in fault.headers:
        assert sleeps == [0.02, 0.02]
    else:
        assert len(sleeps) == retries


@pytest.mark.parametrize(
    ("fault", "detail"),
    [
        (Fault("anthropic", COST, "truncated"), "the HTTP 200 body is not valid JSON (application/json)"),
        (Fault("anthropic", USAGE, "non_json"), "the HTTP 200 body is not valid JSON (text/html)"),
        (Fault("anthropic", COST, "error_envelope"), "HTTP 200 carried an error: api_error: Internal server error"),
        (Fault("anthropic", USAGE, "no_data"), "page 1 (days 2026-09-24..2026-10-25 exclusive) has no `data` list"),
        (Fault("anthropic", WORKSPACES, "no_data"), "page 1 has no `data` list"),
        (
            Fault("anthropic", COST, "missing_cursor"),
            "page 1 (days 2026-09-24..2026-10-25 exclusive) says has_more but gives no cursor",
        ),
        (
            Fault("anthropic", USAGE, "repeat_cursor", times=2),
            "page 2 (days 2026-09-24..2026-10-25 exclusive) repeats the cursor of an earlier page",
        ),
        (
            Fault("anthropic", COST, "endless", times=None),
            "the listing (days 2026-09-24..2026-10-25 exclusive) did not end within 100 pages",
        ),
        (Fault("anthropic", COST, "bad_amount", value="abc"), "`amount` for 2026-09-24 is 'abc', not a decimal string"),
        (Fault("anthropic", COST, "bad_amount", value="NaN"), "`amount` for 2026-09-24 is 'NaN', not a decimal string"),
        (Fault("anthropic", COST, "bad_amount", value=None), "`amount` for 2026-09-24 is None, not a decimal string"),
        (
            Fault("anthropic", USAGE, "bad_amount", value=1.5),
            "`output_tokens` for 2026-09-24 is 1.5, not a whole number of tokens",
        ),
    ],
    ids=lambda x: x.kind if isinstance(x, Fault) else "",
)
def test_untrustworthy_answers_fail_the_fetch(sim: Simulator, sleeps: list[float], fault: Fault, detail: str) -> None:
    sim.inject(fault)
    with pytest.raises(ProviderDataError) as err:
        fetch(sim.anthropic_url, sleeps, max_workers=1)  # one worker: the first chunk is the one that fails
    assert err.value.provider == "anthropic"
    assert str(err.value).startswith(f"Anthropic sent an unexpected response from {fault.path}: {detail}")
    assert str(err.value).endswith(
        "Nothing was stored; run `aispend sync` again later, and report it if it keeps happening."
    )


REFUSED = (
    "The cost and usage reports need an Admin key (sk-ant-admin…), created by an organization admin at "
    f"{ADMIN_KEYS}; individual accounts must create an Organization first (Console › Settings › Organization). "
    "Put the Admin key in ANTHROPIC_ADMIN_KEY."
)


@pytest.mark.parametrize(
    ("key", "message"),
    [
        (
            "sk-ant-api03-regular-key",
            f"Anthropic refused ANTHROPIC_ADMIN_KEY (HTTP 401: authentication_error: invalid x-api-key). {REFUSED}",
        ),
        (
            "sk-ant-admin01-forbidden",
            "Anthropic refused ANTHROPIC_ADMIN_KEY (HTTP 403: permission_error: This API key does not have "
            f"permission to use the Admin API.). {REFUSED}",
        ),
        (
            "sk-ant-admin01-individual",
            "Anthropic refused ANTHROPIC_ADMIN_KEY because it belongs to an individual account, which has no Admin "
            "API (HTTP 400: invalid_request_error: The Admin API is unavailable for individual accounts.). "
            "Individual accounts must create an Organization first (Console › Settings › Organization); then an "
            f"organization admin creates an Admin key (sk-ant-admin…) at {ADMIN_KEYS} to put in ANTHROPIC_ADMIN_KEY.",
        ),
    ],
)
def test_auth_failures_explain_the_fix(sim: Simulator, sleeps: list[float], key: str, message: str) -> None:
    with pytest.raises(ProviderAuthError) as err:
        fetch(sim.anthropic_url, sleeps, key=key, max_workers=1)
    assert (str(err.value), err.value.provider) == (message, "anthropic")
    assert len(sim.requests) == 1 and sleeps == []  # not retried, and the other chunks never went out
    assert key not in str(err.value)


def test_chunks_run_concurrently_on_the_pool(sleeps: list[float]) -> None:
    """The first four requests must be in flight together, or the barrier below breaks and the fetch fails."""
    lock = threading.Lock()
    in_flight, peak = [0], [0]
    arrived = threading.Barrier(4, timeout=5)

    def answer(seen: Seen) -> Reply:
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
            first_wave = len(server.requests) <= 4
        try:
            if first_wave:
                arrived.wait()
            if seen.path in LISTS:
                return Reply(200, {"data": [], "has_more": False, "first_id": None, "last_id": None})
            return Reply(200, {"data": [], "has_more": False, "next_page": None})
        except threading.BrokenBarrierError:
            return Reply(500, {"type": "error", "error": {"type": "api_error", "message": "not concurrent"}})
        finally:
            with lock:
                in_flight[0] -= 1

    with ScriptedServer() as server:
        for path in (COST, USAGE, WORKSPACES, API_KEYS, USERS, ANALYTICS):
            server.route(path, answer)
        data = fetch(server.url, sleeps, start=TODAY - timedelta(days=399), max_workers=4)
        reports = [r for r in server.requests if r.path != CLAUDE_CODE]  # the unrouted Claude Code API is a 404
    assert (len(reports), peak[0], sleeps) == (53, 4, [])
    assert data.requests == len(server.requests) and data.claude_code_unavailable is not None


# --- recorded responses --------------------------------------------------------------------------------------


def cost_row(amount: object, **fields: object) -> dict[str, object]:
    row: dict[str, object] = {
        "amount": amount,
        "currency": "USD",
        "cost_type": "tokens",
        "description": "Claude Opus 4.8 Usage - Input Tokens",
        "model": "claude-opus-4-8",
        "service_tier": "standard",
        "token_type": "uncached_input_tokens",
        "context_window": "0-200k",
        "inference_geo": "global",
        "workspace_id": "wrkspc_A",
    }
    row.update(fields)
    return row


def bucket(day: str, results: list[object], end: str | None = None) -> dict[str, object]:
    return {"starting_at": f"{day}T00:00:00Z", "ending_at": end or f"{day}T00:00:00Z", "results": results}


EMPTY_WORKSPACES = Reply(200, {"data": [], "has_more": False, "first_id": None, "last_id": None})
EMPTY_REPORT = Reply(200, {"data": [], "has_more": False, "next_page": None})


def route_spenders(server: ScriptedServer) -> None:
    """The key and user lists and the analytics cost API, all empty (tests/test_anthropic_spenders.py has them)."""
    for path in (API_KEYS, USERS):
        server.route(path, EMPTY_WORKSPACES)
    server.route(ANALYTICS, Reply(200, {"data": [], "has_more": False, "next_page": None, "data_refreshed_at": None}))


def test_recorded_cost_rows_normalize(sleeps: list[float]) -> None:
    day1, day2 = date(2026, 11, 20), date(2026, 11, 21)
    page1 = {
        "data": [
            bucket(
                "2026-11-20",
                [
                    cost_row("123.78912"),
                    cost_row("0.00001", context_window="200k-1M", description="Claude Opus 4.8 Usage - Input (1M)"),
                    cost_row("50", workspace_id=None, service_tier="batch", token_type="output_tokens", extra=1),
                    cost_row(
                        "7.5",
                        cost_type="web_search",
                        description="Web Search Usage",
                        model=None,
                        token_type=None,
                        service_tier=None,
                        context_window=None,
                    ),
                    cost_row(
                        "2",
                        cost_type="code_execution",
                        description=None,
                        model=None,
                        token_type=None,
                        service_tier=None,
                    ),
                ],
            )
        ],
        "has_more": True,
        "next_page": "page_opaque+/=",
    }
    page2 = {
        "data": [bucket("2026-11-21", [cost_row(100)])],
        "has_more": False,
        "next_page": None,
    }
    with ScriptedServer() as server:
        server.route(COST, Reply(200, page1), Reply(200, page2))
        server.route(USAGE, EMPTY_REPORT)
        route_spenders(server)
        server.route(WORKSPACES, EMPTY_WORKSPACES)
        data = fetch(server.url, sleeps, start=day1, end=date(2026, 11, 22))
        cost_requests = [r for r in server.requests if r.path == COST]
        reports = [r for r in server.requests if r.path != CLAUDE_CODE]
    assert data.costs == [
        CostRecord("anthropic", day1, "", "claude-opus-4-8", "tokens:output_tokens", "batch", 500_000_000),
        CostRecord("anthropic", day1, "wrkspc_A", "", "Web Search Usage", "", 75_000_000),
        CostRecord("anthropic", day1, "wrkspc_A", "", "code_execution", "", 20_000_000),
        CostRecord(
            "anthropic",
            day1,
            "wrkspc_A",
            "claude-opus-4-8",
            "tokens:uncached_input_tokens",
            "standard",
            cents_to_nano(Decimal("123.78912")) + 100,
        ),
        CostRecord(
            "anthropic", day2, "wrkspc_A", "claude-opus-4-8", "tokens:uncached_input_tokens", "standard", 1_000_000_000
        ),
    ]
    assert len(reports) == 5 + 3  # 2 cost pages, usage by key and by window and geo, workspaces; analytics, keys, users
    assert cost_requests[1].pairs == [*cost_requests[0].pairs, ("page", "page_opaque+/=")]


def test_recorded_usage_rows_normalize(sleeps: list[float]) -> None:
    day = date(2026, 11, 20)
    base = {"model": "claude-sonnet-4-6", "workspace_id": None, "service_tier": "standard", "api_key_id": None}
    rows = [
        {
            **base,
            "uncached_input_tokens": 1500,
            "cache_read_input_tokens": 200,
            "output_tokens": 500,
            "cache_creation": {"ephemeral_1h_input_tokens": 1000, "ephemeral_5m_input_tokens": 500},
            "server_tool_use": {"web_search_requests": 10},
        },
        {**base, "uncached_input_tokens": 10, "output_tokens": 1, "cache_creation": None},  # same grain: summed
        {
            **base,
            "service_tier": "priority",
            "uncached_input_tokens": 7,
            "output_tokens": 3,
            "cache_read_input_tokens": 0,
            "cache_creation": {"ephemeral_5m_input_tokens": 4},
            "future_field": {"x": 1},
        },
    ]
    with ScriptedServer() as server:
        server.route(COST, EMPTY_REPORT)
        server.route(USAGE, Reply(200, {"data": [bucket("2026-11-20", rows)], "has_more": False, "next_page": None}))
        route_spenders(server)
        server.route(WORKSPACES, EMPTY_WORKSPACES)
        data = fetch(server.url, sleeps, start=day, end=day + timedelta(days=1))
    assert data.usage == [
        UsageRecord("anthropic", day, "", "claude-sonnet-4-6", "priority", 11, 3, 0, 4),
        UsageRecord("anthropic", day, "", "claude-sonnet-4-6", "standard", 3210, 501, 200, 1500),
    ]


@pytest.mark.parametrize(
    ("path", "page", "detail"),
    [
        (
            USAGE,
            {"data": [bucket("2026-11-20", [{"input_tokens": 5, "output_tokens": 1}])], "has_more": False},
            "a usage row for 2026-11-20 has no `uncached_input_tokens`",
        ),
        (
            USAGE,
            {
                "data": [bucket("2026-11-20", [{"uncached_input_tokens": 5, "output_tokens": 1, "cache_creation": 3}])],
                "has_more": False,
            },
            "`cache_creation` for 2026-11-20 is 3, not an object",
        ),
        (
            COST,
            {"data": [bucket("2026-11-20", [cost_row("1", currency="EUR")])], "has_more": False},
            "`currency` for 2026-11-20 is 'EUR', not USD",
        ),
        (
            COST,
            {"data": [bucket("2026-11-20", [cost_row("Infinity")])], "has_more": False},
            "`amount` for 2026-11-20 is 'Infinity', not a decimal string of cents",
        ),
        (
            COST,
            {"data": [bucket("2026-11-20", [cost_row("1", model=5)])], "has_more": False},
            "`model` for 2026-11-20 is 5, not a string or null",
        ),
        (
            COST,
            {"data": [{"starting_at": "2026-11-20T06:00:00Z", "results": []}], "has_more": False},
            "bucket start '2026-11-20T06:00:00Z' is not a UTC midnight",
        ),
        (
            COST,
            {"data": [bucket("2026-11-25", [])], "has_more": False},
            "bucket for 2026-11-25 is outside the requested days 2026-11-19..2026-11-20",  # one day: asked with 11-19
        ),
        (
            COST,
            {"data": [{"starting_at": "2026-11-20T00:00:00Z"}], "has_more": False},
            "the bucket for 2026-11-20 has no `results` list",
        ),
        (WORKSPACES, {"data": [{"name": "x"}], "has_more": False}, "a workspace has no `id`"),
    ],
)
def test_recorded_malformed_rows(sleeps: list[float], path: str, page: dict[str, object], detail: str) -> None:
    with ScriptedServer() as server:
        for p in (COST, USAGE):
            server.route(p, EMPTY_REPORT)
        server.route(WORKSPACES, EMPTY_WORKSPACES)
        route_spenders(server)  # else their 404 may be the first error, whichever request ends first
        server.route(path, Reply(200, page))
        with pytest.raises(ProviderDataError) as err:
            fetch(server.url, sleeps, start=date(2026, 11, 20), end=date(2026, 11, 21))
    assert str(err.value).startswith(f"Anthropic sent an unexpected response from {path}: {detail}. Nothing was stored")


def test_workspace_pages_follow_last_id(sleeps: list[float]) -> None:
    first = {
        "data": [
            {"id": "wrkspc_1", "type": "workspace", "name": "one", "archived_at": None},
            {"id": "wrkspc_2", "type": "workspace", "name": "old", "archived_at": "2026-09-01T00:00:00Z"},
        ],
        "has_more": True,
        "first_id": "wrkspc_1",
        "last_id": "wrkspc_2",
    }
    second = {"data": [{"id": "wrkspc_3", "name": None, "archived_at": None}], "has_more": False, "last_id": "wrkspc_3"}
    with ScriptedServer() as server:
        server.route(COST, EMPTY_REPORT)
        server.route(USAGE, EMPTY_REPORT)
        route_spenders(server)
        server.route(WORKSPACES, Reply(200, first), Reply(200, second))
        data = fetch(server.url, sleeps, start=date(2026, 11, 20), end=date(2026, 11, 21))
        pages = [r.pairs for r in server.requests if r.path == WORKSPACES]
    assert data.labels == [
        Label("anthropic", "", "Default"),
        Label("anthropic", "wrkspc_1", "one"),
        Label("anthropic", "wrkspc_2", "old", archived=True),
        Label("anthropic", "wrkspc_3", "wrkspc_3"),
    ]
    assert pages == [
        [("include_archived", "true"), ("limit", "1000")],
        [("include_archived", "true"), ("limit", "1000"), ("after_id", "wrkspc_2")],
    ]


@pytest.mark.parametrize("start", [TODAY, TODAY - timedelta(days=31)], ids=["today only", "32 days"])
def test_no_cost_request_holds_only_today(sim: Simulator, sleeps: list[float], start: date) -> None:
    """The live cost report refuses a range that holds only today; the one-day chunk is asked with its eve."""
    data = fetch(sim.anthropic_url, sleeps, start=start)
    costs = sorted((r.query["starting_at"][0], r.query["ending_at"][0]) for r in sim.requests if r.path == COST)
    assert costs[-1] == ("2026-11-21T00:00:00Z", "2026-11-23T00:00:00Z")
    assert total(data) == sim.org.expected_cost_nano("anthropic", start, END)  # the eve is not counted twice
    assert min(c.day for c in data.costs) == start and max(c.day for c in data.costs) == TODAY
    usage = sorted((r.query["starting_at"][0], r.query["ending_at"][0]) for r in sim.requests if r.path == USAGE)
    assert usage[-1] == ("2026-11-22T00:00:00Z", "2026-11-23T00:00:00Z")  # the usage report takes today alone


def test_recorded_eve_of_a_one_day_chunk_is_dropped(sleeps: list[float]) -> None:
    day = date(2026, 11, 21)
    eve = bucket("2026-11-20", [cost_row("999")], "2026-11-21T00:00:00Z")
    wanted = bucket("2026-11-21", [cost_row("250")], "2026-11-22T00:00:00Z")
    with ScriptedServer() as server:
        server.route(COST, Reply(200, {"data": [eve, wanted], "has_more": False, "next_page": None}))
        server.route(USAGE, EMPTY_REPORT)
        route_spenders(server)
        server.route(WORKSPACES, EMPTY_WORKSPACES)
        data = fetch(server.url, sleeps, start=day, end=day + timedelta(days=1))
        asked = [r.pairs[:2] for r in server.requests if r.path == COST]
    assert asked == [[("starting_at", "2026-11-20T00:00:00Z"), ("ending_at", "2026-11-22T00:00:00Z")]]
    assert [(c.day, c.amount_nano) for c in data.costs] == [(day, cents_to_nano(Decimal("250")))]


def test_empty_window_still_reads_labels(sim: Simulator, sleeps: list[float]) -> None:
    data = fetch(sim.anthropic_url, sleeps, start=TODAY, end=TODAY)
    assert (data.costs, data.usage, data.requests, len(data.labels)) == ([], [], 3, 4)
    assert (data.spender_usage, data.spender_costs, data.spender_basis) == ([], [], [])  # no window, no basis
    assert len(data.spender_labels) == 6 + 2  # every key, every listed user


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days)]
