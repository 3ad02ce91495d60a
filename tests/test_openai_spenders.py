"""Who spent it on OpenAI: OpenAIProvider's spender records against the bundled simulator, at a fixed today."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta

import pytest

from bot.providers import line_items
from bot.providers.openai_spenders import KEY_COST_REFUSED, NO_KEY_NAME, NO_USER_NAME, USER_COST_NONE
from bot.records import (
    BILLED,
    KEY,
    SERVICE_ACCOUNT,
    TOKEN_SHARE,
    USER,
    ProviderData,
    SpenderBasis,
    SpenderCost,
    SpenderLabel,
    SpenderUsage,
)
from bot.simulator import Simulator
from tests.test_openai_provider import COSTS, END, KIND_GROUPS, START, TODAY, USERS, fetch, total

KEYS = "/api_keys"


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(today=TODAY) as simulator:
        yield simulator


@pytest.fixture
def sleeps() -> list[float]:
    return []


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days)]


def key_ids(sim: Simulator) -> dict[str, str]:
    """Spender name -> key id in the demo org (Playground has no key)."""
    return {s.name: s.key_id for s in sim.org.openai_people.spenders if s.key_id}


def users(sim: Simulator) -> dict[str, str]:
    return {u.name: u.id for u in sim.org.openai_people.users}


def test_cost_per_key_reconciles_to_the_nano(sim: Simulator, sleeps: list[float]) -> None:
    data = fetch(sim.openai_url, sleeps)
    per_key: dict[str, int] = {}
    for cost in data.spender_costs:
        per_key[cost.spender_id] = per_key.get(cost.spender_id, 0) + cost.amount_nano
    assert per_key == sim.org.expected_key_cost_nano(START, END)
    assert sum(per_key.values()) == total(data) == sim.org.expected_cost_nano("openai", START, END)
    expected: dict[tuple[date, str, str, str], int] = {}
    for day in days(START, END):
        for row in sim.org.openai_day(day).key_costs:
            grain = (day, row.api_key_id or "", row.project_id or "", line_items.parse(row.line_item).attribution)
            expected[grain] = expected.get(grain, 0) + row.nano()
    assert data.spender_costs == [
        SpenderCost("openai", d, KEY, k, p, m, n) for (d, k, p, m), n in sorted(expected.items())
    ]
    assert data.spender_basis == [
        SpenderBasis("openai", KEY, BILLED),
        SpenderBasis("openai", USER, TOKEN_SHARE, USER_COST_NONE),
    ]
    assert len({c.spender_id for c in data.spender_costs}) >= 8  # every key, and "" (Playground, org-level)


def test_tokens_per_key_and_per_user_reconcile(sim: Simulator, sleeps: list[float]) -> None:
    data = fetch(sim.openai_url, sleeps)
    for kind, field in ((KEY, "api_key_id"), (USER, "user_id")):
        expected: dict[tuple[date, str, str, str], list[int]] = {}
        for day in days(START, END):
            for row in sim.org.openai_day(day).usage:
                sums = expected.setdefault((day, getattr(row, field) or "", row.project_id or "", row.model), [0] * 4)
                for i, n in enumerate(
                    (row.input_tokens, row.output_tokens, row.input_cached_tokens, row.num_model_requests)
                ):
                    sums[i] += n
        got = [u for u in data.spender_usage if u.kind == kind]
        assert got == [
            SpenderUsage("openai", d, kind, s, p, m, i, o, r, 0, n)
            for (d, s, p, m), (i, o, r, n) in sorted(expected.items())
        ]
        # each view sums exactly to the usage records
        assert sum(u.input_tokens + u.output_tokens for u in got) == sum(
            u.input_tokens + u.output_tokens for u in data.usage
        )
    people = users(sim)
    by_user = {u.spender_id for u in data.spender_usage if u.kind == USER}
    assert {people["Alice Admin"], people["Bob Builder"], people["Carol Gone"], ""} <= by_user  # "" = service accounts


def label(data: ProviderData, kind: str, ident: str) -> SpenderLabel | None:
    found = [x for x in data.spender_labels if (x.kind, x.id) == (kind, ident)]
    return found[0] if found else None


def test_names_for_every_key_status(sim: Simulator, sleeps: list[float]) -> None:
    data = fetch(sim.openai_url, sleeps)
    keys, people = key_ids(sim), users(sim)
    projects = {w.name: w.id or "" for w in sim.org.workspaces("openai")}
    accounts = {a.name: a.id for a in sim.org.openai_people.service_accounts}
    assert label(data, KEY, keys["web-prod"]) == SpenderLabel(
        "openai",
        KEY,
        keys["web-prod"],
        "web-prod",
        projects["web-app"],
        SERVICE_ACCOUNT,
        accounts["web-backend"],
        None,
        "active",
    )
    assert label(data, KEY, keys["alice-laptop"]) == SpenderLabel(
        "openai",
        KEY,
        keys["alice-laptop"],
        "alice-laptop",
        projects["web-app"],
        USER,
        people["Alice Admin"],
        None,
        "active",
    )
    dave = label(data, KEY, keys["dave-old"])  # its owner lost access to the project: listed only with `any`
    assert dave is not None and (dave.name, dave.status) == ("dave-old", "inactive")
    legacy = label(data, KEY, keys["legacy-bot-key"])
    assert legacy is not None and (legacy.name, legacy.workspace_id, legacy.status) == (
        "legacy-bot-key",
        projects["legacy-bot"],
        "archived",
    )
    assert label(data, SERVICE_ACCOUNT, accounts["ci-runner"]) == SpenderLabel(
        "openai", SERVICE_ACCOUNT, accounts["ci-runner"], "ci-runner", projects["data-pipeline"]
    )
    alice = label(data, USER, people["Alice Admin"])
    assert alice is not None and (alice.name, alice.email) == ("Alice Admin", "alice.admin@acme.example")
    # the null ids have names of their own; deleted keys and users are in the usage but have no label
    assert label(data, KEY, "") == SpenderLabel("openai", KEY, "", NO_KEY_NAME)
    assert label(data, USER, "") == SpenderLabel("openai", USER, "", NO_USER_NAME)
    assert label(data, KEY, keys["carol-etl"]) is None and label(data, USER, people["Carol Gone"]) is None
    used = {u.spender_id for u in data.spender_usage if u.kind == KEY}
    assert keys["carol-etl"] in used
    assert {x.id for x in data.spender_labels if x.kind == KEY} == used - {keys["carol-etl"]}
    assert data.warnings == []


def test_a_renamed_key_is_listed_by_its_new_name(sim: Simulator, sleeps: list[float]) -> None:
    key = key_ids(sim)["ci-nightly"]
    before = label(fetch(sim.openai_url, sleeps), KEY, key)
    sim.rename_key(key, "ci-nightly (rotated)")
    after = label(fetch(sim.openai_url, sleeps), KEY, key)
    assert before is not None and after is not None
    assert (before.name, after.name) == ("ci-nightly", "ci-nightly (rotated)")


@pytest.mark.parametrize("max_workers", [1, 4])
def test_refused_cost_by_key_falls_back_to_token_shares(sim: Simulator, sleeps: list[float], max_workers: int) -> None:
    start = TODAY - timedelta(days=399)
    billed = fetch(sim.openai_url, sleeps, start=start, max_workers=max_workers)
    sim.clear_requests()
    sim.org.openai_key_costs = False
    data = fetch(sim.openai_url, sleeps, start=start, max_workers=max_workers)
    reason = KEY_COST_REFUSED.format(status=400)
    assert reason == (
        "OpenAI refused cost by API key for this organization (HTTP 400), so per-key figures are token shares of "
        "the billed total, not billed cost."
    )
    assert data.spender_basis == [
        SpenderBasis("openai", KEY, TOKEN_SHARE, reason),
        SpenderBasis("openai", USER, TOKEN_SHARE, USER_COST_NONE),
    ]
    assert data.spender_costs == [] and billed.spender_costs != []
    assert (data.costs, data.usage, data.spender_usage) == (billed.costs, billed.usage, billed.spender_usage)
    assert total(data) == sim.org.expected_cost_nano("openai", start, END)
    costs = [r for r in sim.requests if r.path == COSTS]
    # one refused request, then the 3 chunks without the grouping, whatever the concurrency
    assert [("api_key_id" in r.query["group_by"]) for r in costs].count(True) == 1
    assert len(costs) == 3 + 1 and data.requests == billed.requests + 1 == len(sim.requests)
    assert data.warnings == [] and sleeps == []  # a refusal is not retried


def test_a_one_day_incremental_sync_makes_the_fewest_requests(sim: Simulator, sleeps: list[float]) -> None:
    data = fetch(sim.openai_url, sleeps, start=TODAY, end=TODAY + timedelta(days=1))
    paths = sorted(r.path.rsplit("/", 1)[-1] for r in sim.requests)
    # costs, usage, the 9 other usage endpoints, projects, users, and the key listings of the 2 projects whose keys
    # spent today
    assert paths == sorted(["api_keys", "api_keys", "completions", "costs", "projects", "users", *KIND_GROUPS])
    assert data.requests == 6 + 9
    assert {u.day for u in data.spender_usage} == {TODAY}


def test_key_and_user_listings_follow_their_pages(sleeps: list[float]) -> None:
    with Simulator(TODAY, n_workspaces=2, n_models=2, n_keys=250, n_users=120) as big:
        data = fetch(big.openai_url, sleeps, start=TODAY - timedelta(days=59))
        listings = [r for r in big.requests if r.path.endswith(KEYS) or r.path.endswith(USERS)]
    spenders = big.org.openai_people
    listed_keys = {s.key_id for s in spenders.spenders if s.listed and s.key_id}
    named = {x.id for x in data.spender_labels if x.kind == KEY and x.id}
    assert named == listed_keys and len(named) > 200  # both projects had key usage; more than a page each
    assert {x.id for x in data.spender_labels if x.kind == USER and x.id} == {u.id for u in spenders.users if u.listed}
    afters = [r.query.get("after") for r in listings]
    assert afters.count(None) == len(listings) - afters.count(None) == 3  # users and 2 projects: 2 pages each
    assert all(r.query["limit"] == ["100"] for r in listings)


def test_usage_rows_with_null_ids_stay_in_every_total(sim: Simulator, sleeps: list[float]) -> None:
    """Playground usage (no key) and service accounts' usage (no user) are spenders "" of their kind."""
    data = fetch(sim.openai_url, sleeps, start=TODAY - timedelta(days=6))
    by_kind: dict[tuple[str, str], int] = {}
    for u in data.spender_usage:
        by_kind[(u.kind, u.spender_id)] = by_kind.get((u.kind, u.spender_id), 0) + u.input_tokens
    assert by_kind[(KEY, "")] > 0 and by_kind[(USER, "")] > 0
    whole = sum(u.input_tokens for u in data.usage)
    assert sum(n for (k, _), n in by_kind.items() if k == KEY) == whole
    assert sum(n for (k, _), n in by_kind.items() if k == USER) == whole


# --- recorded answers the simulator does not give ------------------------------------------------------------


def test_recorded_key_listings_odd_owners_and_a_project_gone(sleeps: list[float]) -> None:
    from tests.scripted_server import Reply, ScriptedServer
    from tests.test_openai_provider import EMPTY_PAGE, EMPTY_PROJECTS, KIND_GROUPS, PROJECTS, USAGE, unix

    day = TODAY - timedelta(days=2)
    start = int(unix(day))

    def usage_row(key: str, user: str | None, project: str) -> dict[str, object]:
        return {"input_tokens": 10, "output_tokens": 1, "num_model_requests": 1, "project_id": project,
                "model": "gpt-4o", "api_key_id": key, "user_id": user}  # fmt: skip

    rows = [
        usage_row("key_a", "user_1", "proj_a"),
        usage_row("key_b", None, "proj_a"),
        usage_row("key_c", None, "p/x?y"),
    ]
    bucket = {"object": "bucket", "start_time": start, "end_time": start + 86400, "results": rows}
    usage = {"object": "page", "has_more": False, "next_page": None, "data": [bucket]}
    keys = {
        "object": "list",
        "has_more": False,
        "data": [
            {"id": "key_a", "name": "", "owner": {"type": "user", "user": {"id": "user_1"}}},  # no name: the id
            {"id": "key_b", "name": "bot", "owner": {"type": "robot"}, "owner_project_access": "active"},
        ],
    }
    people = {"object": "list", "has_more": False, "data": [{"id": "user_1", "name": None, "email": "u@x.example"}]}
    with ScriptedServer() as server:
        server.route(COSTS, EMPTY_PAGE)
        server.route(USAGE, Reply(200, usage))
        for kind in KIND_GROUPS:
            server.route(f"/v1/organization/usage/{kind}", EMPTY_PAGE)
        server.route(PROJECTS, EMPTY_PROJECTS)
        server.route(USERS, Reply(200, people))
        server.route("/v1/organization/projects/proj_a/api_keys", Reply(200, keys))
        data = fetch(server.url + "/v1", sleeps, start=day, end=day + timedelta(days=1))
        asked = sorted(r.path for r in server.requests if r.path.endswith(KEYS))
    # the provider-controlled project id is one path segment, quoted: it cannot reach another endpoint
    assert asked == ["/v1/organization/projects/p%2Fx%3Fy/api_keys", "/v1/organization/projects/proj_a/api_keys"]
    assert [x for x in data.spender_labels if x.kind == KEY and x.id] == [
        SpenderLabel("openai", KEY, "key_a", "key_a", "proj_a", USER, "user_1"),
        SpenderLabel("openai", KEY, "key_b", "bot", "proj_a", status="active"),  # an owner of no known kind
    ]
    assert label(data, USER, "user_1") == SpenderLabel("openai", USER, "user_1", "u@x.example", email="u@x.example")
    assert data.warnings == [
        "OpenAI did not list the API keys of project p/x?y (HTTP 404), so its keys are shown by id; the next sync "
        "asks again."
    ]
