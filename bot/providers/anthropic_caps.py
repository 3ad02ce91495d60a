"""Anthropic's Spend Limits API (beta) → SpendCap records: `GET /v1/organizations/spend_limits`.

Shape (platform.claude.com/docs/en/api/beta/organization/spend_limits/list, 2026-11): the request needs
`anthropic-beta: spend-limit-reads-2026-09-26`; query `limit` (1-1000, default 20) and `page` (the opaque
`next_page` of the previous page); the answer is `{data: [SpendLimit], has_more, next_page}`. A SpendLimit is
`{type: "spend_limit", id: "spl_…", amount: "50000" | null, currency, is_enabled, period: daily|weekly|monthly,
scope: {type, …}}`: `amount` is a decimal string in the currency's minor unit (cents: "50000" = $500.00), null for
"no numeric cap at this scope". Console organizations hold `organization` and `workspace` limits (monthly, with
an amount); listing them is an early-access preview, so many organizations are refused. aispend reads only the
`organization` and `workspace` scopes (user, seat tier, group and usage-tier limits are not spend it reports by),
skips a scope without an amount, and never writes a limit. One request per sync (one page of up to 1000).
"""

from __future__ import annotations

from bot.money import AmountError, cents_to_nano, parse_decimal
from bot.providers.caps_read import NOT_SHOWN, read_caps
from bot.providers.http import FetchSession, JsonClient
from bot.providers.paging import fetch_all
from bot.records import MONTHLY, ORG_SCOPE, WORKSPACE_SCOPE, CapsFetch, SpendCap

PATH = "/v1/organizations/spend_limits"
BETA = "spend-limit-reads-2026-09-26"
PER_PAGE = 1000
PERIODS = {"monthly": MONTHLY, "weekly": "week", "daily": "day"}


def fetch_caps(client: JsonClient, provider: str) -> CapsFetch:
    """The organization's and workspaces' spend limits; a refusal or failure is a note, never an error."""
    return read_caps(provider, lambda session: _read(client, provider, session), _refused)


def _refused(said: str) -> str:
    return (
        f"Anthropic refused to list spend limits ({said}), {NOT_SHOWN}: the Spend Limits API ({BETA}) is an "
        "early-access preview; ask your Anthropic account team for access."
    )


def _read(client: JsonClient, provider: str, session: FetchSession) -> list[SpendCap]:
    items = fetch_all(client, PATH, [("limit", str(PER_PAGE))], session, context="spend limits")
    caps = []
    for item in items:
        cap = _cap(client, provider, item)
        if cap is not None:
            caps.append(cap)
    return caps


def _cap(client: JsonClient, provider: str, item: object) -> SpendCap | None:
    if not isinstance(item, dict):
        raise client.data_error(PATH, "a spend limit is not an object")
    scope = item.get("scope")
    kind = scope.get("type") if isinstance(scope, dict) else None
    if not isinstance(scope, dict) or not isinstance(kind, str):
        raise client.data_error(PATH, "a spend limit has no `scope` with a `type`")
    if kind not in (ORG_SCOPE, WORKSPACE_SCOPE):
        return None  # a person's, seat tier's, group's or usage tier's limit: not a scope aispend reports by
    amount = item.get("amount")
    if amount is None:
        return None  # an explicit "no cap here": not a $0 cap
    workspace = scope.get("workspace_id") if kind == WORKSPACE_SCOPE else ""
    if not isinstance(workspace, str) or (kind == WORKSPACE_SCOPE and not workspace):
        raise client.data_error(PATH, "a workspace spend limit has no `scope.workspace_id`")
    currency = item.get("currency")
    if currency != "USD":
        raise client.data_error(PATH, f"a spend limit is in {str(currency)[:8]!r}, not USD")
    try:
        nano = cents_to_nano(parse_decimal(amount))
    except AmountError:
        raise client.data_error(PATH, f"a spend limit's `amount` {str(amount)[:20]!r} is not a number") from None
    if nano < 0:
        raise client.data_error(PATH, "a spend limit's `amount` is negative")
    period = PERIODS.get(str(item.get("period")))
    if period is None:
        raise client.data_error(PATH, f"a spend limit's `period` {str(item.get('period'))[:20]!r} is unknown")
    cap_id = item.get("id")
    return SpendCap(
        provider=provider,
        scope=kind,
        scope_id=workspace,
        limit_nano=nano,
        period=period,
        enforced=item.get("is_enabled") is not False,
        cap_id=cap_id if isinstance(cap_id, str) else "",
    )
