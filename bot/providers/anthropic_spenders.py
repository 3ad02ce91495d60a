"""Who spent it on Anthropic: key and user names, and billed cost per key and per actor from the analytics beta.

- Names: `/v1/organizations/api_keys` once without `status` (an optional filter: without it every status is
  listed, where the workspaces list documents the opposite default with `include_archived`) and
  `/v1/organizations/users`, both paged by `after_id` = `last_id` while `has_more`.
- Cost: `/v1/organizations/analytics/cost` (beta header `analytics-usage-cost-2026-08-24`), daily buckets,
  `group_by[]` api_key_id, actor, workspace_id, model (4 of the 5 allowed), at most 31 days a call, `limit` 1000
  rows a page, paged by `page` = `next_page`. It has no data before 2026-01-01 and none older than 365 days, so
  those days of a window are token shares. An organization without the beta (403, 404, or a 400 naming it)
  gets TOKEN_SHARE with the reason, and the sync still succeeds.
- The analytics API names the Default Workspace by its real id while every legacy report says null: an id the
  workspace list (archived ones included) does not know is the Default Workspace (see `normalize_workspaces`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, timedelta
from functools import partial

from bot import spill
from bot.money import AmountError, cents_to_nano, parse_decimal, row_nano
from bot.providers.collect import Collected, opt_text
from bot.providers.http import ApiError, FetchSession, JsonClient, JsonObject, RequestRefused
from bot.providers.paging import fetch_all, last_id_cursor
from bot.providers.windows import day_chunks, day_of_timestamp, rfc3339
from bot.records import (
    BILLED,
    KEY,
    NO_KEY,
    NO_MODEL,
    NO_WORKSPACE,
    SERVICE_ACCOUNT,
    TOKEN_SHARE,
    USER,
    ProviderData,
    SpenderBasis,
    SpenderCost,
    SpenderLabel,
)

PROVIDER = "anthropic"
API_KEYS_PATH = "/v1/organizations/api_keys"
USERS_PATH = "/v1/organizations/users"
ANALYTICS_COST_PATH = "/v1/organizations/analytics/cost"
ANALYTICS_BETA = "analytics-usage-cost-2026-08-24"
ANALYTICS_FIRST_DAY = date(2026, 1, 1)
ANALYTICS_MAX_DAYS = 31
ANALYTICS_HISTORY_DAYS = 365
ANALYTICS_ROWS_PER_PAGE = 1000
ANALYTICS_MAX_PAGES = 10_000  # rows, not buckets: a big organization's month is many pages
LIST_PER_PAGE = 1000
NOUNS = {KEY: "per-key", USER: "per-user"}


def refused(error: ApiError) -> bool:
    """Whether an answer means this organization has no analytics beta, rather than a fault to report."""
    if error.status in (403, 404):
        return True
    text = error.message.lower()
    return error.status == 400 and ("beta" in text or "analytics" in text)


def analytics_days(start: date, end: date) -> date:
    """The first day of [start, end) the analytics API has data for (end when none)."""
    return min(end, max(start, ANALYTICS_FIRST_DAY, end - timedelta(days=ANALYTICS_HISTORY_DAYS)))


def refused_reason(kind: str, status: int) -> str:
    return (
        f"Anthropic's Usage & Cost Analytics API is not available for this organization (HTTP {status}), so "
        f"{NOUNS[kind]} figures are token shares of the billed total, not billed cost."
    )


def early_reason(kind: str, first: date) -> str:
    return (
        f"Anthropic's Usage & Cost Analytics API has no cost before {first.isoformat()} (none before 2026-01-01 and "
        f"none older than 365 days), so {NOUNS[kind]} figures for earlier days are token shares of the billed "
        "total, not billed cost."
    )


Job = Callable[[FetchSession], Collected]


def jobs(client: JsonClient, analytics: JsonClient, start: date, end: date) -> list[Job]:
    """Key names, user names, and the analytics cost one job per 31-day chunk (concurrent, like the reports)."""
    first = analytics_days(start, end)
    windows = day_chunks(first, end, ANALYTICS_MAX_DAYS)
    chunks: list[Job] = [partial(analytics_costs, analytics, start, end, lo, hi) for lo, hi in windows]
    if start < end and not chunks:  # the whole window predates the analytics API
        chunks = [partial(analytics_costs, analytics, start, end, end, end)]
    return [*chunks, partial(key_labels, client), partial(user_labels, client)]


def analytics_costs(client: JsonClient, start: date, end: date, lo: date, hi: date, session: FetchSession) -> Collected:
    """Billed cost per key and per user actor for the days [lo, hi) of the window [start, end), and the basis
    of the whole window (the same from every chunk; a refusal in any chunk wins when they merge)."""
    out = Collected()
    if lo < hi:
        try:
            _cost_chunk(client, lo, hi, session, out)
            out.spenders.seal(PROVIDER, session.spill)  # the chunk's days are complete: records, not sums
        except RequestRefused as exc:
            for kind in (KEY, USER):
                basis = SpenderBasis(PROVIDER, kind, TOKEN_SHARE, refused_reason(kind, exc.error.status))
                out.spenders.set_basis(basis, refused=True)
            return out
    first = analytics_days(start, end)
    for kind in (KEY, USER):
        if first == start:
            out.spenders.set_basis(SpenderBasis(PROVIDER, kind, BILLED))
        else:
            out.spenders.set_basis(SpenderBasis(PROVIDER, kind, TOKEN_SHARE, early_reason(kind, first)))
    return out


def _cost_chunk(client: JsonClient, lo: date, hi: date, session: FetchSession, out: Collected) -> None:
    params = [
        ("starting_at", rfc3339(lo)),
        ("ending_at", rfc3339(hi)),
        ("time_bucket_width", "1d"),
        ("limit", str(ANALYTICS_ROWS_PER_PAGE)),
        *(("group_by[]", g) for g in ("api_key_id", "actor", "workspace_id", "model")),
    ]

    sealed: list[date] = []  # the day of the rows summed since the last seal

    def add(item: object) -> None:
        if not isinstance(item, dict):
            raise client.data_error(ANALYTICS_COST_PATH, "a cost row is not an object")
        day = day_of_timestamp(item.get("starting_at"), lo, hi)
        if isinstance(day, str):
            raise client.data_error(ANALYTICS_COST_PATH, day)
        if sealed and sealed[0] != day:
            # the rows come day by day: a day's sums become records once the next day starts, so a month of a
            # 2,000-key organization is never summed at once (should a day come back later, the store adds it)
            out.spenders.seal(PROVIDER, session.spill)
            sealed.clear()
        if not sealed:
            sealed.append(day)
        group, cost = item.get("group"), item.get("cost")
        if not isinstance(group, dict) or not isinstance(cost, dict):
            raise client.data_error(ANALYTICS_COST_PATH, f"a cost row for {day} has no `group` and `cost` objects")
        try:
            nano = row_nano(cents_to_nano(parse_decimal(cost.get("amount"))))
        except AmountError:
            raise _bad(client, day, "cost.amount", cost.get("amount"), "a decimal string of cents") from None
        if cost.get("currency", "USD") != "USD":
            raise _bad(client, day, "cost.currency", cost.get("currency"), "USD")
        key, workspace, model = (_text(client, day, group, f) for f in ("api_key_id", "workspace_id", "model"))
        out.spenders.add_cost((day, KEY, key or NO_KEY, workspace or NO_WORKSPACE, model or NO_MODEL), nano)
        actor = group.get("actor")
        if isinstance(actor, dict) and actor.get("type") == "user_actor":
            user = actor.get("user_id")
            if not isinstance(user, str) or not user:
                raise _bad(client, day, "group.actor.user_id", user, "a user id")
            out.spenders.add_cost((day, USER, user, workspace or NO_WORKSPACE, model or NO_MODEL), nano)

    fetch_all(
        client,
        ANALYTICS_COST_PATH,
        params,
        session,
        max_pages=ANALYTICS_MAX_PAGES,
        context=f"days {lo}..{hi} exclusive",
        on_item=add,
        refused=refused,
    )


def _text(client: JsonClient, day: date, row: JsonObject, field: str) -> str:
    value = opt_text(row.get(field))
    if value is None:
        raise _bad(client, day, f"group.{field}", row.get(field), "a string or null")
    return value


def _bad(client: JsonClient, day: date, field: str, value: object, expected: str) -> Exception:
    return client.data_error(ANALYTICS_COST_PATH, f"`{field}` for {day} is {value!r}, not {expected}")


def key_labels(client: JsonClient, session: FetchSession) -> Collected:
    out = Collected()
    params = [("limit", str(LIST_PER_PAGE))]
    for item in fetch_all(client, API_KEYS_PATH, params, session, cursor_param="after_id", cursor_of=last_id_cursor):
        key_id = _id(client, API_KEYS_PATH, item, "an API key")
        name = item.get("name")
        scope = item.get("scope")
        workspace = item.get("workspace_id")
        if workspace is None and isinstance(scope, dict):  # SDK 2.10.0's form: scope {type, workspace_id}
            workspace = scope.get("workspace_id")
        creator = item.get("created_by")
        owner_kind = owner_id = ""
        if isinstance(creator, dict) and isinstance(creator.get("id"), str):
            owner_id = creator["id"]
            owner_kind = SERVICE_ACCOUNT if creator.get("type") == "service_account" else USER
        status = item.get("status")
        out.spenders.add_label(
            SpenderLabel(
                PROVIDER,
                KEY,
                key_id,
                name if isinstance(name, str) and name else key_id,
                workspace_id=workspace if isinstance(workspace, str) else NO_WORKSPACE,
                owner_kind=owner_kind,
                owner_id=owner_id,
                status=status if isinstance(status, str) else "",
            )
        )
    return out


def user_labels(client: JsonClient, session: FetchSession) -> Collected:
    out = Collected()
    params = [("limit", str(LIST_PER_PAGE))]
    for item in fetch_all(client, USERS_PATH, params, session, cursor_param="after_id", cursor_of=last_id_cursor):
        user_id = _id(client, USERS_PATH, item, "a user")
        name, email = item.get("name"), item.get("email")
        email = email if isinstance(email, str) and email else None
        label = name if isinstance(name, str) and name else (email or user_id)
        out.spenders.add_label(SpenderLabel(PROVIDER, USER, user_id, label, email=email, status="active"))
    return out


def _id(client: JsonClient, path: str, item: object, noun: str) -> str:
    if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
        raise client.data_error(path, f"{noun} has no `id`")
    return str(item["id"])


def normalize_workspaces(data: ProviderData) -> None:
    """Spender figures in the legacy reports' terms: a workspace id the workspace list does not show (it lists
    archived ones too, never the Default) is the Default Workspace, which the analytics API and newer key objects
    name by its real id."""
    known = {label.id for label in data.labels}

    def default(cost: SpenderCost) -> SpenderCost:
        if cost.workspace_id not in known and cost.workspace_id != NO_WORKSPACE:
            return replace(cost, workspace_id=NO_WORKSPACE)
        return cost

    # in place, replacing only the records that change: a 2,000-key backfill has ~10^6 cost records (issue 11 §7);
    # those set aside on disk are rewritten as the store reads them
    costs, labels = data.spender_costs, data.spender_labels
    for i, cost in enumerate(costs):
        costs[i] = default(cost)
    if data.spilled is not None:
        for kind in (KEY, USER):
            data.spilled.rewrite(spill.spender_costs(kind), default)
    for i, label in enumerate(labels):
        if label.workspace_id not in known and label.workspace_id != NO_WORKSPACE:
            labels[i] = replace(label, workspace_id=NO_WORKSPACE)
