"""The names of OpenAI spenders: each project's API keys (with their owners) and the organization's users.

Key names come from each project's key listing with `owner_project_access=any` (without it the listing "may
exclude some enabled keys", openapi.yaml); a key's owner (a user or a service account, id and name) comes with
it, so service-account names need no listing of their own (that listing is a 400 for archived projects anyway).
Deleted keys and users are not listed: they get no label here, and keep the last name the store has. Both
listings page with `after` = the last id and `limit` <= 100, and need Organization Administration: Read.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from bot.config import OPENAI_KEY_PAGE
from bot.errors import ProviderAuthError, ProviderHTTPError
from bot.providers.http import FetchSession, JsonClient
from bot.providers.openai_spenders import Part, Spenders
from bot.providers.paging import fetch_all, last_id_cursor
from bot.records import KEY, SERVICE_ACCOUNT, USER, SpenderLabel

NAMES_PER_PAGE = 100  # project API keys and users: limit 1..100
USERS_PATH = "/organization/users"
KEYS_PATH = "/organization/projects/{}/api_keys"
OWNER_KINDS = {"user": USER, "service_account": SERVICE_ACCOUNT}
UNNAMED = "OpenAI API key and user names could not be read"
NO_NAMES = "OpenAI project, API key and user names could not be read"
_SCOPE = "(the key lacks Organization Administration: Read, scope api.management.read)"
_FIX = f"give the key Organization Administration: Read at {OPENAI_KEY_PAGE}."


def list_users(client: JsonClient, provider: str, session: FetchSession) -> Part:
    part = Part()
    params = [("limit", str(NAMES_PER_PAGE))]
    try:
        items = fetch_all(client, USERS_PATH, params, session, cursor_param="after", cursor_of=last_id_cursor)
    except ProviderAuthError:
        part.collected.warnings.append(f"{UNNAMED} {_SCOPE}, so keys and users are shown by id: {_FIX}")
        return part
    user_labels(client, USERS_PATH, provider, items, part.spenders)
    return part


def list_keys(client: JsonClient, provider: str, project: str, archived: bool, session: FetchSession) -> Part:
    """The names of one project's API keys (every key: `owner_project_access=any`)."""
    part = Part()
    path = KEYS_PATH.format(quote(project, safe=""))  # a provider-controlled id stays one path segment
    params = [("limit", str(NAMES_PER_PAGE)), ("owner_project_access", "any")]
    try:
        items = fetch_all(client, path, params, session, cursor_param="after", cursor_of=last_id_cursor)
    except ProviderHTTPError as err:
        if err.status not in (400, 404):
            raise
        part.collected.warnings.append(
            f"OpenAI did not list the API keys of project {project} (HTTP {err.status}), so its keys are shown "
            "by id; the next sync asks again."
        )
        return part
    key_labels(client, path, provider, project, archived, items, part.spenders)
    return part


def one_scope_warning(warnings: list[str], projects_unlabeled: str) -> bool:
    """Fold the projects and names warnings of one missing scope into one sentence (doctor shows each warning
    as a check); True when names could not be read, so no key listing is worth asking for."""
    if any(w.startswith(projects_unlabeled) for w in warnings) and any(w.startswith(UNNAMED) for w in warnings):
        warnings[:] = [w for w in warnings if not w.startswith((projects_unlabeled, UNNAMED))]
        warnings.append(f"{NO_NAMES} {_SCOPE}, so they are shown by id: {_FIX}")
    return any(w.startswith((projects_unlabeled, UNNAMED, NO_NAMES)) for w in warnings)


def key_labels(
    client: JsonClient, path: str, provider: str, project: str, archived: bool, items: list[Any], out: Spenders
) -> None:
    """Labels of a project's API keys and of the service accounts that own some of them.

    `status` is the key's `owner_project_access` (active / inactive), or "archived" for keys of an archived
    project.
    """
    for item in items:
        key = _id(client, path, item, "an API key")
        owner = item.get("owner") if isinstance(item.get("owner"), dict) else {}
        owner_type = owner.get("type")
        kind = OWNER_KINDS.get(owner_type, "") if isinstance(owner_type, str) else ""
        who = owner.get(owner_type) if isinstance(owner_type, str) else None
        owner_id: str = who["id"] if isinstance(who, dict) and isinstance(who.get("id"), str) else ""
        access = item.get("owner_project_access")
        status = "archived" if archived else access if isinstance(access, str) else ""
        out.add_label(SpenderLabel(provider, KEY, key, _name(item, key), project, kind if owner_id else "",
                                   owner_id, None, status))  # fmt: skip
        if kind == SERVICE_ACCOUNT and owner_id and isinstance(who, dict):
            out.add_label(SpenderLabel(provider, SERVICE_ACCOUNT, owner_id, _name(who, owner_id), project))


def user_labels(client: JsonClient, path: str, provider: str, items: list[Any], out: Spenders) -> None:
    """Labels of the organization's users: the name (the email, then the id, when it has none) and email."""
    for item in items:
        user = _id(client, path, item, "a user")
        email = item.get("email") if isinstance(item.get("email"), str) and item["email"] else None
        out.add_label(SpenderLabel(provider, USER, user, _name(item, email or user), email=email))


def _id(client: JsonClient, path: str, item: object, what: str) -> str:
    if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
        raise client.data_error(path, f"{what} has no `id`")
    return str(item["id"])


def _name(item: dict[str, Any], fallback: str) -> str:
    name = item.get("name")
    return name if isinstance(name, str) and name else fallback
