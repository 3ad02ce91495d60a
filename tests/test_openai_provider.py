"""OpenAIProvider against the bundled simulator, and recorded responses for what it cannot express."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from bot.config import Secret
from bot.errors import ProviderAuthError, ProviderDataError
from bot.money import parse_decimal, usd_to_nano
from bot.providers import OrgIdentity, line_items
from bot.providers.openai import OpenAIProvider
from bot.records import CostGap, CostRecord, Label, ProviderData, UsageRecord
from bot.simulator import OPENAI_KEY, Fault, Simulator
from tests.scripted_server import Reply, ScriptedServer

TODAY = date(2026, 11, 22)
START, END = TODAY - timedelta(days=59), TODAY + timedelta(days=1)
COSTS = "/v1/organization/costs"
USAGE = "/v1/organization/usage/completions"
PROJECTS = "/v1/organization/projects"
USERS = "/v1/organization/users"
NAMES = (PROJECTS, USERS)
# the other usage endpoints: by project, model where they have one, and the dimensions that set a price
KIND_GROUPS = {
    "embeddings": ["project_id", "model"],
    "moderations": ["project_id", "model"],
    "images": ["project_id", "model", "size", "source"],
    "audio_speeches": ["project_id", "model"],
    "audio_transcriptions": ["project_id", "model"],
    "vector_stores": ["project_id"],
    "code_interpreter_sessions": ["project_id"],
    "file_search_calls": ["project_id"],
    "web_search_calls": ["project_id", "model", "context_level"],
}  # the listings that are not day reports
KEY_PAGE = "https://platform.openai.com/settings/organization/admin-keys"
RESTRICTED_WARNING = (
    "OpenAI project, API key and user names could not be read (the key lacks Organization Administration: Read, "
    "scope api.management.read), so they are shown by id: give the key Organization Administration: Read at "
    f"{KEY_PAGE}."
)


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(today=TODAY) as simulator:
        yield simulator


@pytest.fixture
def sleeps() -> list[float]:
    return []


def provider(
    url: str,
    sleeps: list[float],
    key: str = OPENAI_KEY,
    timeout: float = 5.0,
    max_workers: int = 4,
) -> OpenAIProvider:
    return OpenAIProvider(Secret(key), url, timeout=timeout, sleep=sleeps.append, max_workers=max_workers)


def fetch(
    url: str,
    sleeps: list[float],
    start: date = START,
    end: date = END,
    key: str = OPENAI_KEY,
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


def unix(day: date) -> str:
    return str(int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()))


# --- against the simulator -----------------------------------------------------------------------------------


def test_60_days_reconcile_exactly_per_day(sim: Simulator, sleeps: list[float]) -> None:
    data = fetch(sim.openai_url, sleeps)
    assert total(data) == sim.org.expected_cost_nano("openai", START, END)
    by_day: dict[date, int] = {}
    for cost in data.costs:
        by_day[cost.day] = by_day.get(cost.day, 0) + cost.amount_nano
    days = [START + timedelta(days=i) for i in range((END - START).days)]
    assert by_day == {d: n for d in days if (n := sim.org.daily_cost_nano("openai", d))}
    assert data.warnings == [] and sleeps == []


def test_cost_records_match_the_served_rows(sim: Simulator, sleeps: list[float]) -> None:
    day = TODAY - timedelta(days=3)
    data = fetch(sim.openai_url, sleeps, start=day, end=day + timedelta(days=1))
    expected = [
        CostRecord(
            "openai",
            day,
            row.project_id or "",
            line_items.parse(row.line_item).attribution,
            row.line_item,
            "",
            usd_to_nano(parse_decimal(row.value)),
        )
        for row in sim.org.openai_day(day).costs
    ]
    assert data.costs == sorted(expected, key=lambda c: (c.workspace_id, c.model, c.item))
    models = {c.item: c.model for c in data.costs}
    assert models["ft-gpt-4o-2024-08-06, output"] == "ft:gpt-4o-2024-08-06"
    assert models["evals | gpt-4o-mini-2024-07-18, input"] == "gpt-4o-mini-2024-07-18"
    assert models["gpt-5.5-2026-04-23, cached input"] == "gpt-5.5-2026-04-23"
    assert models["web search tool calls"] == models["assistants api | file search"] == ""  # non-model services
    assert models["Text tokens"] == "Text tokens"  # spend of a model the label does not name: by its line item
    assert "" in {c.workspace_id for c in data.costs}  # org-level cost has project_id null
    assert any(
        isinstance(row.value, str) for d in range(60) for row in sim.org.openai_day(TODAY - timedelta(days=d)).costs
    )


def test_requests_are_the_documented_ones(sim: Simulator, sleeps: list[float]) -> None:
    data = fetch(sim.openai_url, sleeps)
    requests = sim.requests
    # costs, usage in 31-day chunks, the 9 other usage endpoints in 31-day chunks, projects, users, then the key
    # listing of each of the 3 projects with key usage
    assert data.requests == len(requests) == 1 + 2 + 9 * 2 + 1 + 1 + 3
    for req in requests:
        assert req.headers["authorization"] == f"Bearer {OPENAI_KEY}"
        assert "openai-organization" not in req.headers and "x-api-key" not in req.headers
    reports = [r for r in requests if r.path in (COSTS, USAGE)]
    by_path = sorted((r.path, r.query["start_time"][0], r.query["end_time"][0]) for r in reports)
    assert by_path == [
        (COSTS, unix(START), unix(END)),
        (USAGE, unix(START), unix(START + timedelta(days=31))),
        (USAGE, unix(START + timedelta(days=31)), unix(END)),
    ]
    for req in requests:
        rest = {k: v for k, v in req.query.items() if k not in ("start_time", "end_time")}
        if req.path == COSTS:
            groups = ["line_item", "project_id", "api_key_id"]
            assert rest == {"bucket_width": ["1d"], "limit": ["180"], "group_by": groups}
        elif req.path == USAGE:
            groups = ["model", "project_id", "api_key_id", "user_id", "batch", "service_tier"]
            assert rest == {"bucket_width": ["1d"], "limit": ["31"], "group_by": groups}
        elif req.path.startswith("/v1/organization/usage/"):
            assert rest == {
                "bucket_width": ["1d"],
                "limit": ["31"],
                "group_by": KIND_GROUPS[req.path.rsplit("/", 1)[1]],
            }
        elif req.path == PROJECTS:
            assert req.query == {"include_archived": ["true"], "limit": ["100"]}
        elif req.path == USERS:
            assert req.query == {"limit": ["100"]}
        else:
            assert req.path.endswith("/api_keys")
            assert req.query == {"limit": ["100"], "owner_project_access": ["any"]}
    key_listings = sorted(r.path.split("/")[4] for r in requests if r.path.endswith("/api_keys"))
    assert key_listings == sorted(p.id or "" for p in sim.org.listed_projects())


def test_400_day_backfill_uses_the_fewest_requests(sim: Simulator, sleeps: list[float]) -> None:
    start = TODAY - timedelta(days=399)
    data = fetch(sim.openai_url, sleeps, start=start)
    # 180-day cost pages, 31-day usage pages (completions and the 9 others), projects, users, one key listing per
    # project whose keys spent
    assert data.requests == len(sim.requests) == 3 + 13 + 9 * 13 + 1 + 1 + 3
    assert all(int(r.query["start_time"][0]) % 86400 == 0 for r in sim.requests if r.path in (COSTS, USAGE))
    assert total(data) == sim.org.expected_cost_nano("openai", start, END)


def test_usage_matches_the_rows_served(sim: Simulator, sleeps: list[float]) -> None:
    """input_tokens as reported (it already includes cached); cache_read from input_cached_tokens."""
    data = fetch(sim.openai_url, sleeps)
    expected: dict[tuple[date, str, str], list[int]] = {}
    for i in range((END - START).days):
        day = START + timedelta(days=i)
        for row in sim.org.openai_day(day).usage:
            sums = expected.setdefault((day, row.project_id or "", row.model), [0, 0, 0, 0])
            for j, n in enumerate(
                (row.input_tokens, row.output_tokens, row.input_cached_tokens, row.num_model_requests)
            ):
                sums[j] += n
    assert data.usage == [
        UsageRecord("openai", d, p, m, "", i, o, r, 0, n) for (d, p, m), (i, o, r, n) in sorted(expected.items())
    ]


def test_labels_include_archived_projects(sim: Simulator, sleeps: list[float]) -> None:
    data = fetch(sim.openai_url, sleeps)
    expected = [Label("openai", w.id or "", w.name, w.archived) for w in sim.org.workspaces("openai")]
    assert data.labels == sorted(expected, key=lambda label: label.id)
    assert any(label.name == "legacy-bot" and label.archived for label in data.labels)


def test_restricted_key_degrades_to_project_ids(sim: Simulator, sleeps: list[float]) -> None:
    full = fetch(sim.openai_url, sleeps)
    sim.clear_requests()
    data = fetch(sim.openai_url, sleeps, key="sk-admin-restricted-noorg")
    assert (data.costs, data.usage) == (full.costs, full.usage)
    assert (data.labels, data.warnings) == ([], [RESTRICTED_WARNING])
    assert data.spender_usage == full.spender_usage and data.spender_costs == full.spender_costs
    assert {label.id for label in data.spender_labels} == {""}  # only the names of the null ids
    assert data.requests == len(sim.requests) == 5 + 9 * 2  # the 403s are not retried, and no key listing is tried
    assert data.usage_kinds == full.usage_kinds


@pytest.mark.parametrize("max_workers", [1, 4])
def test_project_key_is_refused_after_one_retry(sim: Simulator, sleeps: list[float], max_workers: int) -> None:
    with pytest.raises(ProviderAuthError) as err:
        fetch(sim.openai_url, sleeps, key="sk-proj-abc123", max_workers=max_workers)
    assert str(err.value) == (
        "OpenAI refused OPENAI_ADMIN_KEY (HTTP 401: invalid_request_error: You have insufficient permissions for "
        "this operation. Missing scopes: api.usage.read. Check that you have the correct role in your "
        "organization (Reader, Writer, Owner) and project (Member, Owner), and if you're using a restricted API "
        "key, that it has the necessary scopes.). The Usage and Costs API needs an Admin key (sk-admin-…) created "
        "by an organization owner, not a project or service-account key; a Restricted key is fine with Usage: "
        f"Read and Organization Administration: Read, at {KEY_PAGE}. Put it in OPENAI_ADMIN_KEY."
    )
    if max_workers == 1:
        assert (len(sim.requests), sleeps) == (2, [2.0])


def test_unknown_key_is_refused(sim: Simulator, sleeps: list[float]) -> None:
    with pytest.raises(
        ProviderAuthError,
        match=r"^OpenAI refused OPENAI_ADMIN_KEY \(HTTP 401: invalid_request_error: "
        r"Incorrect API key provided",
    ):
        fetch(sim.openai_url, sleeps, key="sk-admin-wrong", max_workers=1)


def test_identity_reads_the_org_from_a_cost_row(sim: Simulator, sleeps: list[float]) -> None:
    p = provider(sim.openai_url, sleeps)
    try:
        assert p.identity(TODAY) == OrgIdentity("openai", sim.org.openai_org_id, "")
    finally:
        p.close()
    (req,) = sim.requests
    assert (req.path, req.query["start_time"], req.query["end_time"]) == (
        COSTS,
        [unix(TODAY - timedelta(days=6))],
        [unix(TODAY + timedelta(days=1))],
    )


def test_a_revised_day_is_fetched_as_revised(sim: Simulator, sleeps: list[float]) -> None:
    before = fetch(sim.openai_url, sleeps)
    sim.revise("openai", TODAY - timedelta(days=2), Decimal("1.5"))
    after = fetch(sim.openai_url, sleeps)
    assert total(after) == sim.org.expected_cost_nano("openai", START, END) > total(before)


@pytest.mark.parametrize(
    "fault",
    [
        Fault("openai", COSTS, "status", 429, {"retry-after": "1"}),
        Fault("openai", USAGE, "status", 500, times=2),
        Fault("openai", PROJECTS, "status", 502),
        Fault("openai", COSTS, "status", 503, times=4),
        Fault("openai", None, "reset", times=2),
        Fault("openai", COSTS, "timeout", delay=1.5),
        Fault("openai", None, "extra_fields", times=None),
    ],
    ids=lambda f: f"{f.kind}-{f.status}-{f.path}",
)
def test_transient_faults_and_unknown_fields_change_nothing(sim: Simulator, sleeps: list[float], fault: Fault) -> None:
    clean = fetch(sim.openai_url, sleeps)
    sim.clear_requests()
    sim.inject(fault)
    data = fetch(sim.openai_url, sleeps, timeout=0.5)
    assert (data.costs, data.usage, data.labels, data.warnings) == (clean.costs, clean.usage, clean.labels, [])
    retries = 0 if fault.kind == "extra_fields" else (fault.times or 0)
    assert data.requests == len(sim.requests) == clean.requests + retries
    assert sleeps == [1.0] if "retry-after" in fault.headers else len(sleeps) == retries


WINDOW = "(days 2026-09-24..2026-11-23 exclusive)"


@pytest.mark.parametrize(
    ("fault", "detail"),
    [
        (Fault("openai", COSTS, "truncated"), "the HTTP 200 body is not valid JSON (application/json)"),
        (Fault("openai", USAGE, "non_json"), "the HTTP 200 body is not valid JSON (text/html)"),
        (Fault("openai", COSTS, "error_envelope"), "HTTP 200 carried an error: server_error: Internal server error"),
        (Fault("openai", COSTS, "no_data"), f"page 1 {WINDOW} has no `data` list"),
        (Fault("openai", PROJECTS, "no_data"), "page 1 has no `data` list"),
        (Fault("openai", COSTS, "missing_cursor"), f"page 1 {WINDOW} says has_more but gives no cursor"),
        (Fault("openai", COSTS, "repeat_cursor", times=2), f"page 2 {WINDOW} repeats the cursor of an earlier page"),
        (Fault("openai", COSTS, "endless", times=None), f"the listing {WINDOW} did not end within 100 pages"),
        (Fault("openai", COSTS, "bad_amount", value="NaN"), "`amount.value` for 2026-09-24 is 'NaN', not a finite"),
        (Fault("openai", COSTS, "bad_amount", value="Infinity"), "`amount.value` for 2026-09-24 is 'Infinity', not"),
        (Fault("openai", COSTS, "bad_amount", value=float("nan")), "`amount.value` for 2026-09-24 is nan, not a"),
        (Fault("openai", COSTS, "bad_amount", value="abc"), "`amount.value` for 2026-09-24 is 'abc', not a finite"),
        (Fault("openai", COSTS, "bad_amount", value=True), "`amount.value` for 2026-09-24 is True, not a finite"),
    ],
    ids=lambda x: x.kind if isinstance(x, Fault) else "",
)
def test_untrustworthy_answers_fail_the_fetch(sim: Simulator, sleeps: list[float], fault: Fault, detail: str) -> None:
    sim.inject(fault)
    with pytest.raises(ProviderDataError) as err:
        fetch(sim.openai_url, sleeps, max_workers=1)
    assert err.value.provider == "openai"
    path = (fault.path or "").removeprefix("/v1")
    assert str(err.value).startswith(f"OpenAI sent an unexpected response from {path}: {detail}")


# --- recorded responses --------------------------------------------------------------------------------------

DAY = date(2026, 11, 20)
EMPTY_PAGE = Reply(200, {"object": "page", "data": [], "has_more": False, "next_page": None})
EMPTY_PROJECTS = Reply(200, {"object": "list", "data": [], "first_id": None, "last_id": None, "has_more": False})


def cost_page(*rows: dict[str, object]) -> Reply:
    bucket = {
        "object": "bucket",
        "start_time": int(unix(DAY)),
        "end_time": int(unix(DAY)) + 86400,
        "results": list(rows),
    }
    return Reply(200, {"object": "page", "data": [bucket], "has_more": False, "next_page": None})


def cost(value: object, line_item: object = "gpt-4o-2024-08-06, input", **fields: object) -> dict[str, object]:
    row: dict[str, object] = {
        "object": "organization.costs.result",
        "amount": {"value": value, "currency": "usd"},
        "line_item": line_item,
        "project_id": "proj_a",
    }
    row.update(fields)
    return row


def run_recorded(sleeps: list[float], costs: Reply, usage: Reply = EMPTY_PAGE) -> ProviderData:
    with ScriptedServer() as server:
        server.route(COSTS, costs)
        server.route(USAGE, usage)
        server.route(PROJECTS, EMPTY_PROJECTS)
        server.route(USERS, EMPTY_PROJECTS)
        return fetch(server.url + "/v1", sleeps, start=DAY, end=DAY + timedelta(days=1))


def test_recorded_amount_shapes_are_exact(sleeps: list[float]) -> None:
    data = run_recorded(
        sleeps,
        cost_page(
            cost(0.21870350744715547),
            cost("12.50", "Text tokens", project_id=None),
            cost(3, "priority | gpt-5.6-sol, output, long context"),
            cost("0.000000001", "ft-gpt-4o-2024-08-06, input"),
            cost(1e-10, "gpt-4o-2024-08-06, input"),  # same grain as the first row: summed
            cost(0.5, None, amount={"value": 0.5, "currency": "USD"}, quantity_unit="tokens", api_source="unlabeled"),
        ),
    )
    assert data.cost_gaps == []
    assert data.costs == [
        CostRecord("openai", DAY, "", "Text tokens", "Text tokens", "", 12_500_000_000),
        CostRecord("openai", DAY, "proj_a", "", "", "", 500_000_000),
        CostRecord("openai", DAY, "proj_a", "ft:gpt-4o-2024-08-06", "ft-gpt-4o-2024-08-06, input", "", 1),
        CostRecord("openai", DAY, "proj_a", "gpt-4o-2024-08-06", "gpt-4o-2024-08-06, input", "", 218_703_507),
        CostRecord(
            "openai",
            DAY,
            "proj_a",
            "gpt-5.6-sol",
            "priority | gpt-5.6-sol, output, long context",
            "priority",
            3_000_000_000,
        ),
    ]


def test_recorded_rows_without_an_amount_count_as_no_cost_and_are_counted(sleeps: list[float]) -> None:
    """The schema allows a row with no `amount`, `amount: null` or `amount.value: null`: none fails the sync."""
    data = run_recorded(
        sleeps,
        cost_page(
            {"object": "organization.costs.result", "line_item": "input_tokens", "project_id": "proj_a"},
            cost(1, "output_tokens", amount=None),
            cost(1, "input_tokens", amount={"value": None, "currency": "usd"}),
            cost(1, "gpt-4o-2024-08-06, input", amount={"currency": "usd"}),
            cost(0.06, "input_tokens"),  # the current spec's example: a line item that names no model
            cost("0.25", "output_tokens", quantity=10000, quantity_unit="tokens"),
        ),
    )
    assert data.cost_gaps == [CostGap("openai", DAY, 4)]
    assert data.costs == [
        CostRecord("openai", DAY, "proj_a", "input_tokens", "input_tokens", "", 60_000_000),
        CostRecord("openai", DAY, "proj_a", "output_tokens", "output_tokens", "", 250_000_000),
    ]


@pytest.mark.parametrize(
    ("row", "detail"),
    [
        ({**cost(1), "amount": "0.5"}, "`amount` for 2026-11-20 is '0.5', not an object with value and currency"),
        (cost(1, amount=[1]), "`amount` for 2026-11-20 is [1], not an object with value and currency"),
        (cost(None, amount={"value": None, "currency": "eur"}), "`amount.currency` for 2026-11-20 is 'eur', not usd"),
        (cost(1, amount={"value": "1,000.00", "currency": "usd"}), "`amount.value` for 2026-11-20 is '1,000.00'"),
        (cost(1, amount={"value": [1], "currency": "usd"}), "`amount.value` for 2026-11-20 is [1], not a finite"),
        (cost(1, amount={"value": 1, "currency": "eur"}), "`amount.currency` for 2026-11-20 is 'eur', not usd"),
        (cost(1, line_item=7), "`line_item` for 2026-11-20 is 7, not a string or null"),
    ],
)
def test_recorded_bad_cost_rows(sleeps: list[float], row: dict[str, object], detail: str) -> None:
    with pytest.raises(ProviderDataError) as err:
        run_recorded(sleeps, cost_page(row))
    assert str(err.value).startswith(f"OpenAI sent an unexpected response from /organization/costs: {detail}")


def test_recorded_usage_rows(sleeps: list[float]) -> None:
    start = int(unix(DAY))
    rows = [
        {
            "object": "organization.usage.completions.result",
            "input_tokens": 1000,
            "input_cached_tokens": 400,
            "input_cache_write_tokens": 100,
            "input_uncached_tokens": 500,
            "output_tokens": 500,
            "input_audio_tokens": 50,
            "num_model_requests": 5,
            "project_id": None,
            "model": "gpt-4o-mini-2024-07-18",
        },
        {
            "object": "organization.usage.completions.result",
            "input_tokens": 10,
            "output_tokens": 2,
            "num_model_requests": 1,
            "project_id": None,
            "model": "gpt-4o-mini-2024-07-18",
        },  # older shape, summed
    ]
    usage = Reply(
        200,
        {
            "object": "page",
            "has_more": False,
            "next_page": None,
            "data": [{"object": "bucket", "start_time": start, "end_time": start + 86400, "results": rows}],
        },
    )
    data = run_recorded(sleeps, EMPTY_PAGE, usage)
    assert data.usage == [UsageRecord("openai", DAY, "", "gpt-4o-mini-2024-07-18", "", 1010, 502, 400, 100, 6)]


def test_recorded_unaligned_usage_bucket_is_refused(sleeps: list[float]) -> None:
    start = int(unix(DAY)) + 3600  # what usage serves for a raw start_time; we never send one
    usage = Reply(
        200,
        {
            "object": "page",
            "has_more": False,
            "next_page": None,
            "data": [{"object": "bucket", "start_time": start, "end_time": start + 3600, "results": []}],
        },
    )
    with pytest.raises(ProviderDataError, match=f"bucket start {start} is not a UTC midnight"):
        run_recorded(sleeps, EMPTY_PAGE, usage)


def test_recorded_project_pages_follow_last_id(sleeps: list[float]) -> None:
    first = {
        "object": "list",
        "has_more": True,
        "first_id": "proj_1",
        "last_id": "proj_2",
        "data": [
            {"id": "proj_1", "object": "organization.project", "name": "web", "archived_at": None, "status": "active"},
            {
                "id": "proj_2",
                "object": "organization.project",
                "name": "old",
                "archived_at": 1700000000,
                "status": "archived",
            },
        ],
    }
    second = {
        "object": "list",
        "has_more": False,
        "last_id": "proj_3",
        "data": [{"id": "proj_3", "name": None, "status": "active"}],
    }
    with ScriptedServer() as server:
        server.route(COSTS, EMPTY_PAGE)
        server.route(USAGE, EMPTY_PAGE)
        server.route(PROJECTS, Reply(200, first), Reply(200, second))
        server.route(USERS, EMPTY_PROJECTS)
        data = fetch(server.url + "/v1", sleeps, start=DAY, end=DAY + timedelta(days=1))
        pages = [r.pairs for r in server.requests if r.path == PROJECTS]
    assert data.labels == [
        Label("openai", "proj_1", "web"),
        Label("openai", "proj_2", "old", archived=True),
        Label("openai", "proj_3", "proj_3"),
    ]
    assert pages == [
        [("include_archived", "true"), ("limit", "100")],
        [("include_archived", "true"), ("limit", "100"), ("after", "proj_2")],
    ]
