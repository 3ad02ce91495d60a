"""Who spent it on Anthropic (issue 11): usage by API key, key and user names, billed cost per key and per actor
from the analytics beta and its token-share fallback, against the simulator on 127.0.0.1 at a fixed today."""

from __future__ import annotations

import math
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from bot.config import Secret, Settings
from bot.errors import ProviderHTTPError
from bot.providers import build_providers
from bot.providers.anthropic import AnthropicProvider
from bot.providers.anthropic_claude_code import MAX_DAYS as CLAUDE_CODE_DAYS
from bot.records import BILLED, KEY, NO_KEY, NO_MODEL, NO_WORKSPACE, TOKEN_SHARE, USER, ProviderData, SpenderLabel
from bot.simulator import ANTHROPIC_KEY, Fault, Org, Simulator
from bot.simulator.anthropic_keys import USER_ACTOR
from bot.store import Store
from bot.sync import sync_providers
from tests.scripted_server import Reply, ScriptedServer

TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
END = TODAY + timedelta(days=1)
START = TODAY - timedelta(days=59)
ANALYTICS = "/v1/organizations/analytics/cost"
API_KEYS = "/v1/organizations/api_keys"
USERS = "/v1/organizations/users"
BETA = "analytics-usage-cost-2026-08-24"


@pytest.fixture
def sim() -> Iterator[Simulator]:
    with Simulator(today=TODAY) as simulator:
        yield simulator


def fetch(url: str, start: date = START, end: date = END) -> ProviderData:
    provider = AnthropicProvider(Secret(ANTHROPIC_KEY), url, timeout=10.0, sleep=lambda _: None)
    try:
        return provider.fetch(start, end)
    finally:
        provider.close()


def days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days)]


def by_spender(data: ProviderData, kind: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for cost in data.spender_costs:
        if cost.kind == kind:
            out[cost.spender_id] = out.get(cost.spender_id, 0) + cost.amount_nano
    return out


def served_by_spender(org: Org, start: date, end: date, kind: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for day in days(start, end):
        for (who, ident), nano in org.key_cost_nano(day).items():
            if (kind == KEY and who == "key") or (kind == USER and who == USER_ACTOR):
                out[ident] = out.get(ident, 0) + nano
    return out


# --- usage by key ----------------------------------------------------------------------------------------------


def test_usage_by_key_reconciles_and_leaves_the_workspace_totals_alone(sim: Simulator) -> None:
    data = fetch(sim.anthropic_url)
    served: dict[tuple[date, str, str, str], list[int]] = {}
    for day in days(START, END):
        for row in sim.org.anthropic_day(day).usage:
            key = (day, row.api_key_id or NO_KEY, row.workspace_id or NO_WORKSPACE, row.model)
            total = served.setdefault(key, [0, 0, 0, 0])
            for i, n in enumerate(
                (row.uncached + row.cache_5m + row.cache_1h + row.cache_read, row.output, row.cache_read)
            ):
                total[i] += n
            total[3] += row.cache_5m + row.cache_1h
    got = {
        (u.day, u.spender_id, u.workspace_id, u.model): [
            u.input_tokens,
            u.output_tokens,
            u.cache_read_tokens,
            u.cache_write_tokens,
        ]
        for u in data.spender_usage
    }
    assert got == served
    assert {u.kind for u in data.spender_usage} == {KEY}
    # the same rows summed by workspace and model are exactly the UsageRecords
    for field in ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens"):
        assert sum(getattr(u, field) for u in data.spender_usage) == sum(getattr(u, field) for u in data.usage)


def test_console_and_workbench_usage_has_no_key(sim: Simulator) -> None:
    data = fetch(sim.anthropic_url)
    workbench = [u for u in data.spender_usage if u.spender_id == NO_KEY]
    assert workbench and {u.workspace_id for u in workbench} == {NO_WORKSPACE, sim.org.workspaces("anthropic")[1].id}
    assert by_spender(data, KEY)[NO_KEY] == served_by_spender(sim.org, START, END, KEY)[""] > 0


# --- names -----------------------------------------------------------------------------------------------------


def test_every_key_status_is_named_with_its_workspace_and_owner(sim: Simulator) -> None:
    sim.org.anthropic_keys.rename(sim.org.anthropic_keys.keys[1].id, "prod-api-v3")
    data = fetch(sim.anthropic_url)
    keys = {label.id: label for label in data.spender_labels if label.kind == KEY}
    assert {k.status for k in keys.values()} == {"active", "expired", "archived"}
    assert len(keys) == len(sim.org.anthropic_keys.keys)
    for key in sim.org.anthropic_keys.keys:
        label = keys[key.id]
        assert (label.name, label.workspace_id, label.owner_kind, label.owner_id, label.status) == (
            key.name,
            key.workspace_id or NO_WORKSPACE,
            USER,
            key.created_by,
            key.status,
        )
    assert keys[sim.org.anthropic_keys.keys[1].id].name == "prod-api-v3"  # the list shows the latest name
    # every key with usage or cost in the window has a name
    assert {u.spender_id for u in data.spender_usage} - {NO_KEY} <= set(keys)


def test_users_are_named_and_a_deleted_user_still_has_billed_cost(sim: Simulator) -> None:
    data = fetch(sim.anthropic_url, start=TODAY - timedelta(days=89))  # research was archived on today-60
    users = {label.id: label for label in data.spender_labels if label.kind == USER}
    listed = sim.org.anthropic_keys.listed_users()
    assert users == {
        u.id: SpenderLabel("anthropic", USER, u.id, u.name, email=u.email, status="active") for u in listed
    }
    deleted = next(u for u in sim.org.anthropic_keys.users if u.deleted)
    assert deleted.id not in users
    assert by_spender(data, USER)[deleted.id] > 0  # her archived, person-bound key spent before that


def test_key_list_pages_follow_last_id_and_read_the_sdk_scope_form() -> None:
    first = {
        "data": [
            {
                "id": "apikey_1",
                "type": "api_key",
                "name": "one",
                "status": "active",
                "workspace_id": "wrkspc_A",
                "created_by": {"id": "user_1", "type": "user"},
            },
            {
                "id": "apikey_2",
                "type": "api_key",
                "name": "two",
                "status": "archived",
                "scope": {"type": "workspace", "workspace_id": "wrkspc_DEFAULT"},
                "created_by": None,
            },
        ],
        "has_more": True,
        "first_id": "apikey_1",
        "last_id": "apikey_2",
    }
    second = {
        "data": [
            {
                "id": "apikey_3",
                "type": "api_key",
                "name": "svc",
                "status": "inactive",
                "workspace_id": None,
                "created_by": {"id": "svac_1", "type": "service_account"},
            }
        ],
        "has_more": False,
        "first_id": "apikey_3",
        "last_id": "apikey_3",
    }
    workspaces = {"data": [{"id": "wrkspc_A", "name": "a", "archived_at": None}], "has_more": False}
    empty = {"data": [], "has_more": False, "next_page": None}
    with ScriptedServer() as server:
        for path in ("/v1/organizations/cost_report", "/v1/organizations/usage_report/messages", ANALYTICS):
            server.route(path, Reply(200, empty))
        server.route("/v1/organizations/workspaces", Reply(200, workspaces))
        server.route(USERS, Reply(200, {"data": [], "has_more": False, "first_id": None, "last_id": None}))
        server.route(API_KEYS, Reply(200, first), Reply(200, second))
        data = fetch(server.url, TODAY - timedelta(days=1), TODAY)
        pages = [r.pairs for r in server.requests if r.path == API_KEYS]
    assert pages == [[("limit", "1000")], [("limit", "1000"), ("after_id", "apikey_2")]]
    assert data.spender_labels == [
        SpenderLabel("anthropic", KEY, "apikey_1", "one", "wrkspc_A", USER, "user_1", status="active"),
        # the real id of the Default Workspace, which the workspace list never shows, is the legacy null
        SpenderLabel("anthropic", KEY, "apikey_2", "two", NO_WORKSPACE, status="archived"),
        SpenderLabel("anthropic", KEY, "apikey_3", "svc", NO_WORKSPACE, "service_account", "svac_1", status="inactive"),
    ]


# --- billed cost per key and per actor -------------------------------------------------------------------------


def test_billed_cost_per_key_and_per_actor_reconciles_to_the_nano_dollar(sim: Simulator) -> None:
    data = fetch(sim.anthropic_url)
    keys, users = by_spender(data, KEY), by_spender(data, USER)
    assert keys == {k: v for k, v in served_by_spender(sim.org, START, END, KEY).items() if v}
    assert users == {k: v for k, v in served_by_spender(sim.org, START, END, USER).items() if v}
    # every key covered: the per-key sums are the billed total, exactly
    assert (
        sum(keys.values())
        == sum(c.amount_nano for c in data.costs)
        == sim.org.expected_cost_nano("anthropic", START, END)
    )
    assert sum(users.values()) < sum(keys.values())  # keys not bound to a person are api actors, not users
    assert sorted((b.kind, b.basis, b.reason) for b in data.spender_basis) == [
        (KEY, BILLED, None),
        (USER, BILLED, None),
    ]
    # the Default Workspace comes back by its real id and is stored as the legacy reports name it
    assert {c.workspace_id for c in data.spender_costs} == {label.id for label in data.labels} - {
        sim.org.workspaces("anthropic")[3].id  # research: archived before the window
    }
    assert NO_MODEL in {c.model for c in data.spender_costs}  # code execution and web search have no model


@pytest.mark.parametrize("status", [403, 404, 400])
def test_a_refused_beta_falls_back_to_token_shares_and_the_sync_succeeds(status: int, tmp_path: Path) -> None:
    with Simulator(today=TODAY, analytics_refused=status) as sim:
        data = fetch(sim.anthropic_url)
        assert data.spender_costs == []
        reason = (
            f"Anthropic's Usage & Cost Analytics API is not available for this organization (HTTP {status}), so "
            "per-key figures are token shares of the billed total, not billed cost."
        )
        assert [(b.kind, b.basis) for b in data.spender_basis] == [(KEY, TOKEN_SHARE), (USER, TOKEN_SHARE)]
        assert data.spender_basis[0].reason == reason
        assert data.spender_basis[1].reason == reason.replace("per-key", "per-user")
        assert sum(c.amount_nano for c in data.costs) == sim.org.expected_cost_nano("anthropic", START, END)
        assert data.spender_usage and data.spender_labels
        settings = Settings(anthropic_admin_key=Secret(ANTHROPIC_KEY), anthropic_base_url=sim.anthropic_url)
        providers = build_providers(settings, timeout=10.0, sleep=lambda _: None)
        with Store(tmp_path / "aispend.db") as store:
            [result] = sync_providers(store, providers, now=NOW, backfill_days=30)
        for provider in providers:
            provider.close()
        assert result.ok and result.error is None


def test_a_refusal_in_one_chunk_decides_the_whole_window(sim: Simulator) -> None:
    """The chunks run concurrently; whichever of the two is refused, no billed cost is kept for any day."""
    sim.inject(Fault("anthropic", ANALYTICS, status=403, times=1))
    data = fetch(sim.anthropic_url)
    assert len([r for r in sim.requests if r.path == ANALYTICS]) == 2
    assert data.spender_costs == []
    assert {(b.kind, b.basis) for b in data.spender_basis} == {(KEY, TOKEN_SHARE), (USER, TOKEN_SHARE)}
    assert all("(HTTP 403)" in (b.reason or "") for b in data.spender_basis)


def test_a_400_that_does_not_name_the_beta_is_an_error(sim: Simulator) -> None:
    sim.inject(Fault("anthropic", ANALYTICS, status=400))
    with pytest.raises(ProviderHTTPError) as err:
        fetch(sim.anthropic_url)
    assert "HTTP 400 for /v1/organizations/analytics/cost" in str(err.value)


def test_days_before_2026_are_token_shares_and_say_so(sim: Simulator) -> None:
    start = TODAY - timedelta(days=399)
    data = fetch(sim.anthropic_url, start=start)
    reason = (
        "Anthropic's Usage & Cost Analytics API has no cost before 2026-01-01 (none before 2026-01-01 and none "
        "older than 365 days), so per-key figures for earlier days are token shares of the billed total, not "
        "billed cost."
    )
    assert [(b.kind, b.basis, b.reason) for b in data.spender_basis] == [
        (KEY, TOKEN_SHARE, reason),
        (USER, TOKEN_SHARE, reason.replace("per-key", "per-user")),
    ]
    assert min(c.day for c in data.spender_costs) == date(2026, 1, 1)
    asked = sorted(r.query["starting_at"][0] for r in sim.requests if r.path == ANALYTICS)
    assert asked[0] == "2026-01-01T00:00:00Z"
    assert by_spender(data, KEY) == {
        k: v for k, v in served_by_spender(sim.org, date(2026, 1, 1), END, KEY).items() if v
    }


# --- request counts --------------------------------------------------------------------------------------------


def minimum_requests(days_fetched: int, analytics_days: int) -> int:
    """ceil(days / 31) each of cost, usage by key and usage by context window and inference geo (31 daily buckets
    a page), ceil(analytics days / 31) analytics calls
    (at most 31 days each; the demo organization's rows fit one 1000-row page), one page each of workspaces,
    keys and users, and Claude Code's one request per day over at most its last 90 days."""
    return 3 * math.ceil(days_fetched / 31) + math.ceil(analytics_days / 31) + 3 + min(days_fetched, CLAUDE_CODE_DAYS)


@pytest.mark.parametrize(
    ("start", "analytics_days"),
    [(TODAY, 1), (TODAY - timedelta(days=399), (END - date(2026, 1, 1)).days)],
    ids=["1-day incremental", "400-day backfill"],
)
def test_request_counts_are_the_minimum_the_caps_allow(sim: Simulator, start: date, analytics_days: int) -> None:
    data = fetch(sim.anthropic_url, start=start)
    expected = minimum_requests((END - start).days, analytics_days)
    assert data.requests == len(sim.requests) == expected
    assert expected == (7 + 1 if start == TODAY else 39 + 11 + 3 + 90)


def test_big_lists_and_analytics_pages_follow_their_cursors() -> None:
    with Simulator(today=TODAY, n_workspaces=3, n_models=2, n_keys=2100, n_users=1100) as sim:
        start = TODAY - timedelta(days=2)
        data = fetch(sim.anthropic_url, start=start)
        rows = {
            (d, c.api_key_id, c.actor, c.workspace_id, c.model)
            for d in days(start, END)
            for c in sim.org.anthropic_day(d).key_costs
        }
        pages = {path: sum(1 for r in sim.requests if r.path == path) for path in (API_KEYS, USERS, ANALYTICS)}
        assert pages == {API_KEYS: 3, USERS: 2, ANALYTICS: math.ceil(len(rows) / 1000)}
        assert pages[ANALYTICS] > 1
        assert len([lb for lb in data.spender_labels if lb.kind == KEY]) == 2100
        assert len([lb for lb in data.spender_labels if lb.kind == USER]) == 1099  # one was deleted
        assert sum(by_spender(data, KEY).values()) == sim.org.expected_cost_nano("anthropic", start, END)


# --- the strict simulator --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "said"),
    [
        (ANALYTICS, {"group_by": "api_key_id"}, "group_by: Extra inputs are not permitted; array parameters"),
        (ANALYTICS, {"bucket_width": "1d"}, "bucket_width: Extra inputs are not permitted"),
        (ANALYTICS, {"group_by[]": "api_key"}, "group_by[]: unsupported value 'api_key'"),
        (API_KEYS, {"status": "revoked"}, "status: Input should be"),
        (API_KEYS, {"include_archived": "true"}, "include_archived: Extra inputs are not permitted"),
        (USERS, {"after": "user_1"}, "after: Extra inputs are not permitted"),
    ],
)
def test_the_simulator_refuses_undocumented_parameters(
    sim: Simulator, path: str, params: dict[str, str], said: str
) -> None:
    query = {"starting_at": "2026-11-01T00:00:00Z", "ending_at": "2026-11-02T00:00:00Z", "time_bucket_width": "1d"}
    headers = {"x-api-key": ANTHROPIC_KEY, "anthropic-version": "2023-06-01", "anthropic-beta": BETA}
    sent = {**(query if path == ANALYTICS else {}), **params}
    answer = httpx.get(sim.anthropic_url + path, params=sent, headers=headers)
    assert answer.status_code == 400
    assert answer.json()["error"]["message"].startswith(said)


def test_the_scale_organization_has_2000_keys_and_300_users_computed_a_day_at_a_time() -> None:
    org = Org(TODAY, n_workspaces=20, n_models=5, n_keys=2000, n_users=300)
    assert (len(org.anthropic_keys.keys), len(org.anthropic_keys.users)) == (2000, 300)
    live = [len({u.api_key_id for u in org.anthropic_day(TODAY - timedelta(days=d)).usage}) for d in (0, 200, 399)]
    assert all(20 < n < 2000 for n in live)  # a day holds the keys live on it, not the whole history
    day = TODAY - timedelta(days=100)
    assert sum(v for (who, _), v in org.key_cost_nano(day).items() if who == "key") == org.daily_cost_nano(
        "anthropic", day
    )
