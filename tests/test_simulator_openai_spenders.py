"""The simulator's OpenAI spender surface: usage and costs by key and user, and the key, service-account and
user listings, held to the shapes and parameters of the OpenAPI spec (openai/openai-openapi @ f85dbe22)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from bot.money import parse_decimal, usd_to_nano
from bot.simulator import Simulator
from bot.simulator.org import Org
from tests.test_simulator import COMPLETIONS, COSTS, TODAY, oai, ts

DAY = TODAY - timedelta(days=2)
WINDOW = {"start_time": ts(DAY), "end_time": ts(DAY + timedelta(days=1))}
USERS = "/v1/organization/users"
KEY_FIELDS = {"object", "redacted_value", "name", "created_at", "last_used_at", "id", "owner_project_access", "owner"}


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(today=TODAY) as simulator:
        yield simulator


def project(sim: Simulator, name: str) -> str:
    return next(w.id or "" for w in sim.org.workspaces("openai") if w.name == name)


def keys_path(sim: Simulator, name: str, what: str = "api_keys") -> str:
    return f"/v1/organization/projects/{project(sim, name)}/{what}"


def every_page(sim: Simulator, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    after: str | None = None
    for _ in range(20):
        body = oai(sim, path, {**params, **({"after": after} if after else {})}).json()
        assert set(body) == {"object", "data", "first_id", "last_id", "has_more"} and body["object"] == "list"
        items += body["data"]
        if not body["has_more"]:
            return items
        after = body["last_id"]
    raise AssertionError("the listing did not end")


def test_costs_by_key_sum_exactly_to_the_costs_by_line_item(sim: Simulator) -> None:
    by_item = oai(sim, COSTS, {**WINDOW, "group_by": ["line_item", "project_id"]}).json()["data"][0]["results"]
    by_key = oai(sim, COSTS, {**WINDOW, "group_by": ["line_item", "project_id", "api_key_id"]}).json()
    rows = by_key["data"][0]["results"]
    sums: dict[tuple[str, str], int] = {}
    for row in rows:
        grain = (row["line_item"], row["project_id"])
        sums[grain] = sums.get(grain, 0) + usd_to_nano(parse_decimal(row["amount"]["value"]))
    assert sums == {
        (r["line_item"], r["project_id"]): usd_to_nano(parse_decimal(r["amount"]["value"])) for r in by_item
    }
    assert {r["api_key_id"] for r in rows} >= {
        None,
        *(
            s.key_id
            for s in sim.org.openai_people.of_project(project(sim, "web-app"))
            if s.key_id and s.name != "dave-old"
        ),
    }
    org_level = [r for r in rows if r["project_id"] is None]
    assert org_level and all(r["api_key_id"] is None for r in org_level)


def test_costs_by_key_can_be_refused_as_the_live_api_did() -> None:
    with Simulator(today=TODAY) as refusing:
        refusing.org.openai_key_costs = False
        refused = oai(refusing, COSTS, {**WINDOW, "group_by": ["line_item", "api_key_id"]})
        plain = oai(refusing, COSTS, {**WINDOW, "group_by": ["line_item", "project_id"]})
    assert refused.status_code == 400
    assert (refused.json()["error"]["type"], refused.json()["error"]["param"]) == ("invalid_request_error", "group_by")
    assert plain.status_code == 200


def test_completions_by_key_and_user(sim: Simulator) -> None:
    grouped = oai(sim, COMPLETIONS, {**WINDOW, "group_by": ["api_key_id", "user_id"]}).json()["data"][0]["results"]
    whole = oai(sim, COMPLETIONS, WINDOW).json()["data"][0]["results"]
    assert sum(r["input_tokens"] for r in grouped) == whole[0]["input_tokens"]
    pairs = {(r["api_key_id"], r["user_id"]) for r in grouped}
    people = {u.name: u.id for u in sim.org.openai_people.users}
    assert (None, people["Bob Builder"]) in pairs  # Playground: a user, no key
    assert any(key is not None and user is None for key, user in pairs)  # a service account's key: no user
    keys = {s.name: s.key_id for s in sim.org.openai_people.spenders}
    only = oai(sim, COMPLETIONS, {**WINDOW, "group_by": ["api_key_id"], "api_key_ids": [keys["web-prod"]]}).json()
    assert [r["api_key_id"] for r in only["data"][0]["results"]] == [keys["web-prod"]]


def test_project_api_keys_shape_owners_and_access(sim: Simulator) -> None:
    listed = every_page(sim, keys_path(sim, "web-app"), {"owner_project_access": "any", "limit": 1})
    for key in listed:
        assert set(key) == KEY_FIELDS and key["object"] == "organization.project.api_key"
    by_name = {k["name"]: k for k in listed}
    assert set(by_name) == {"web-prod", "alice-laptop", "dave-old"}
    assert by_name["web-prod"]["owner"]["type"] == "service_account"
    assert set(by_name["web-prod"]["owner"]["service_account"]) == {"id", "name", "created_at", "role"}
    assert set(by_name["alice-laptop"]["owner"]["user"]) == {"id", "email", "name", "created_at", "role"}
    assert by_name["dave-old"]["owner_project_access"] == "inactive"
    default = oai(sim, keys_path(sim, "web-app")).json()["data"]  # membership rules hide the inactive owner's key
    assert {k["name"] for k in default} == {"web-prod", "alice-laptop"}
    inactive = oai(sim, keys_path(sim, "web-app"), {"owner_project_access": "inactive"}).json()["data"]
    assert [k["name"] for k in inactive] == ["dave-old"]
    pipeline = {k["name"] for k in every_page(sim, keys_path(sim, "data-pipeline"), {"owner_project_access": "any"})}
    assert pipeline == {"ci-nightly", "bob-notebook"}  # carol-etl was deleted with its owner
    legacy = oai(sim, keys_path(sim, "legacy-bot"), {"owner_project_access": "any"}).json()["data"]
    assert [k["name"] for k in legacy] == ["legacy-bot-key"]  # an archived project still lists its keys


def test_service_accounts_and_users(sim: Simulator) -> None:
    accounts = oai(sim, keys_path(sim, "data-pipeline", "service_accounts")).json()
    [account] = accounts["data"]
    assert set(account) == {"object", "id", "name", "role", "created_at"} and account["name"] == "ci-runner"
    archived = oai(sim, keys_path(sim, "legacy-bot", "service_accounts"))
    assert archived.status_code == 400  # the spec's documented error for an archived project
    people = every_page(sim, USERS, {"limit": 2})
    assert [u["name"] for u in people] == ["Alice Admin", "Bob Builder", "Dave Moved"]  # Carol was deleted
    assert all(u["object"] == "organization.user" and "@" in u["email"] for u in people)
    one = oai(sim, USERS, {"emails": ["bob.builder@acme.example"]}).json()["data"]
    assert [u["name"] for u in one] == ["Bob Builder"]
    assert oai(sim, "/v1/organization/projects/proj_nope/api_keys").status_code == 404


@pytest.mark.parametrize(
    ("path", "params", "param"),
    [
        ("web-app", {"owner_project_acess": "any"}, "owner_project_acess"),
        ("web-app", {"owner_project_access": "all"}, "owner_project_access"),
        ("web-app", {"limit": 101}, "limit"),
        ("web-app", {"after_id": "key_x"}, "after_id"),
        ("web-app", {"after": "key_unknown"}, "after"),
        (USERS, {"email": "a@b.c"}, "email"),
        (USERS, {"limit": 0}, "limit"),
        (COSTS, {**WINDOW, "group_by": "api_key"}, "group_by"),
        (COMPLETIONS, {**WINDOW, "group_by": "key_id"}, "group_by"),
    ],
)
def test_the_strict_simulator_refuses_a_misspelled_parameter(
    sim: Simulator, path: str, params: dict[str, Any], param: str
) -> None:
    response = oai(sim, path if path.startswith("/") else keys_path(sim, path), params)
    assert response.status_code == 400
    assert (response.json()["error"]["type"], response.json()["error"]["param"]) == ("invalid_request_error", param)


def test_a_renamed_key_is_listed_by_its_new_name() -> None:
    with Simulator(today=TODAY) as renaming:
        key = next(s.key_id for s in renaming.org.openai_people.spenders if s.name == "web-prod")
        renaming.rename_key(key or "", "web-prod (rotated)")
        listed = oai(renaming, keys_path(renaming, "web-app")).json()["data"]
    assert "web-prod (rotated)" in {k["name"] for k in listed}


def test_the_scale_org_has_2000_keys_and_300_users_computed_a_day_at_a_time() -> None:
    org = Org(TODAY, n_workspaces=20, n_models=6, n_keys=2000, n_users=300)
    people = org.openai_people
    assert (len([s for s in people.spenders if s.key_id]), len(people.users)) == (2000, 300)
    assert (
        len([u for u in people.users if not u.listed]) == 1 and len([s for s in people.spenders if not s.listed]) == 1
    )
    for offset in (0, 1, 200, 399):
        day = org.openai_day(TODAY - timedelta(days=offset))
        assert sum(r.nano() for r in day.key_costs) == sum(r.nano() for r in day.costs)
        assert sum(r.input_tokens for r in day.usage) > 0
        assert len(day.usage) < 2000  # the long tail keeps a day to a few hundred rows, not keys x models
    assert org._openai.cache_info().currsize == 4  # only the days asked for were computed
