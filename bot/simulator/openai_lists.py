"""The OpenAI name listings: project API keys, project service accounts and organization users.

Shapes from the OpenAPI spec (openai/openai-openapi openapi.yaml @ f85dbe22: ProjectApiKey,
ProjectServiceAccount, User and their list responses): `{object: "list", data, first_id, last_id, has_more}`,
paged by `after` (an object id) and `limit` (1..100, default 20). Traps: the API-key listing without
`owner_project_access` hides keys whose owner lost project access (the spec: "may exclude some enabled keys");
deleted keys and users are not listed; the service-account listing of an archived project is a 400 (the spec's
documented error for it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from bot.simulator.openai_people import SA_OWNER, People, ServiceAccount, Spender, User
from bot.simulator.org import Org
from bot.simulator.paging import ParamError, Query, parse_limit, single, values

T = TypeVar("T")
ACCESS = ("active", "inactive", "any")


def page_of(query: Query, items: Sequence[T], ident: Callable[[T], str], noun: str) -> tuple[list[T], bool]:
    """The items after `after` (an id of the listing), at most `limit`, and whether more follow."""
    limit = parse_limit(query, 20, 100, noun)
    after = single(query, "after")
    start = 0
    if after is not None:
        ids = [ident(item) for item in items]
        if after not in ids:
            raise ParamError(f"Invalid value for 'after': no {noun[:-1]} {after!r}.", "after")
        start = ids.index(after) + 1
    return list(items[start : start + limit]), start + limit < len(items)


def listing(data: list[dict[str, Any]], has_more: bool) -> dict[str, Any]:
    return {
        "object": "list",
        "data": data,
        "first_id": data[0]["id"] if data else None,
        "last_id": data[-1]["id"] if data else None,
        "has_more": has_more,
    }


def project_api_keys(query: Query, org: Org, project_id: str) -> dict[str, Any]:
    access = single(query, "owner_project_access")
    if access is not None and access not in ACCESS:
        raise ParamError(
            f"Invalid value for 'owner_project_access': {access!r} is not one of {', '.join(ACCESS)}.",
            "owner_project_access",
        )
    people = org.openai_people
    keys = [
        s
        for s in people.of_project(project_id)
        if s.key_id is not None and s.listed and (access == "any" or s.owner_access == (access or "active"))
    ]
    page, more = page_of(query, keys, lambda s: s.key_id or "", "keys")
    return listing([_key_object(people, s) for s in page], more)


def _key_object(people: People, spender: Spender) -> dict[str, Any]:
    owner: dict[str, Any]
    if spender.owner_kind == SA_OWNER:
        account = next(a for a in people.service_accounts if a.id == spender.owner_id)
        owner = {"type": "service_account", "service_account": _owner_account(account)}
    else:
        user = next(u for u in people.users if u.id == spender.owner_id)
        owner = {
            "type": "user",
            "user": {
                "id": user.id,
                "email": user.email,
                "name": user.name,
                "created_at": user.added_at,
                "role": "member",
            },
        }
    return {
        "object": "organization.project.api_key",
        "redacted_value": f"sk-proj-...{(spender.key_id or '')[-4:]}",
        "name": people.key_name(spender),
        "created_at": spender.created_at,
        "last_used_at": None,
        "id": spender.key_id,
        "owner_project_access": spender.owner_access,
        "owner": owner,
    }


def _owner_account(account: ServiceAccount) -> dict[str, Any]:
    return {"id": account.id, "name": account.name, "created_at": account.created_at, "role": "member"}


def project_service_accounts(query: Query, org: Org, project_id: str) -> dict[str, Any]:
    accounts = [a for a in org.openai_people.service_accounts if a.project_id == project_id]
    page, more = page_of(query, accounts, lambda a: a.id, "service accounts")
    data = [
        {
            "object": "organization.project.service_account",
            "id": a.id,
            "name": a.name,
            "role": "member",
            "created_at": a.created_at,
        }
        for a in page
    ]
    return listing(data, more)


def users(query: Query, org: Org) -> dict[str, Any]:
    emails = set(values(query, "emails"))
    listed = [u for u in org.openai_people.users if u.listed and (not emails or u.email in emails)]
    page, more = page_of(query, listed, lambda u: u.id, "users")
    return listing([_user_object(u) for u in page], more)


def _user_object(user: User) -> dict[str, Any]:
    return {
        "object": "organization.user",
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "role": user.role,
        "added_at": user.added_at,
        "is_default": False,
        "is_service_account": False,
        "is_scim_managed": False,
        "api_key_last_used_at": None,
    }
