"""OpenAI's hard spend limits → SpendCap records: `GET /organization/spend_limit` and, per active project,
`GET /organization/projects/{project_id}/spend_limit`.

Shape (openai/openai-openapi openapi.yaml @ f85dbe22, 2026-08-21: OrganizationSpendLimitResource,
ProjectSpendLimitResource): `{object: "organization.spend_limit" | "project.spend_limit", threshold_amount:
integer cents, currency: "USD", interval: "month", enforcement: {status: "inactive" | "enforcing"}}`. The spec does
not say what a scope without a limit answers; a 404 there is read as "no limit at this scope" (UNVERIFIED), and a
refusal of the organization's limit (403/400) is a note, never a failed sync. Requests: one for the organization
plus one per project the caller names (the provider names the active projects that spent in its sync's window).
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.errors import ProviderHTTPError
from bot.money import AmountError, cents_to_nano, parse_decimal
from bot.providers.caps_read import NOT_SHOWN, read_caps
from bot.providers.http import FetchSession, JsonClient, JsonObject
from bot.records import MONTHLY, ORG_SCOPE, WORKSPACE_SCOPE, CapsFetch, SpendCap

ORG_PATH = "/organization/spend_limit"
PROJECT_PATH = "/organization/projects/{}/spend_limit"
INTERVALS = {"month": MONTHLY}


def fetch_caps(client: JsonClient, provider: str, projects: Sequence[str]) -> CapsFetch:
    """The organization's limit and each of `projects`' (active project ids); refusals are notes."""
    return read_caps(provider, lambda session: _read(client, provider, projects, session), _refused)


def _refused(said: str) -> str:
    return (
        f"OpenAI refused to read the organization's spend limit ({said}), {NOT_SHOWN}: it needs an Admin key "
        "(sk-admin-…) of an organization owner in OPENAI_ADMIN_KEY."
    )


def _read(client: JsonClient, provider: str, projects: Sequence[str], session: FetchSession) -> list[SpendCap]:
    caps = []
    org = _get(client, ORG_PATH, session)
    if org is not None:
        caps.append(_cap(client, provider, ORG_PATH, org, ORG_SCOPE, ""))
    for project in projects:
        path = PROJECT_PATH.format(project)
        body = _get(client, path, session)
        if body is not None:
            caps.append(_cap(client, provider, path, body, WORKSPACE_SCOPE, project))
    return caps


def _get(client: JsonClient, path: str, session: FetchSession) -> JsonObject | None:
    try:
        return client.get_json(path, [], session)
    except ProviderHTTPError as err:
        if err.status == 404:
            return None  # no limit set at this scope (UNVERIFIED: the spec documents only the 200)
        raise


def _cap(client: JsonClient, provider: str, path: str, body: JsonObject, scope: str, scope_id: str) -> SpendCap:
    amount = body.get("threshold_amount")
    if isinstance(amount, bool) or not isinstance(amount, int | str):
        raise client.data_error(path, "the spend limit has no integer `threshold_amount`")
    try:
        nano = cents_to_nano(parse_decimal(amount))
    except AmountError:
        said = str(amount)[:20]
        raise client.data_error(path, f"the spend limit's `threshold_amount` {said!r} is not a number") from None
    if nano < 0:
        raise client.data_error(path, "the spend limit's `threshold_amount` is negative")
    if body.get("currency") != "USD":
        raise client.data_error(path, f"the spend limit is in {str(body.get('currency'))[:8]!r}, not USD")
    period = INTERVALS.get(str(body.get("interval")))
    if period is None:
        raise client.data_error(path, f"the spend limit's `interval` {str(body.get('interval'))[:20]!r} is unknown")
    enforcement = body.get("enforcement")
    status = enforcement.get("status") if isinstance(enforcement, dict) else None
    return SpendCap(provider, scope, scope_id, nano, period, enforced=status != "inactive")
