"""Anthropic Admin API → normalized records: cost_report (cents), usage_report/messages, workspaces.

Quirks handled here and nowhere else: amounts are decimal strings of cents; the usage report has no
`input_tokens` (total input is uncached + both cache-write TTLs + cache reads, read from the nested
`cache_creation`); `workspace_id: null` is the Default Workspace, which the workspace list omits;
array params go in bracket form (`group_by[]`). Priority Tier usage appears in usage but never in cost;
the report layer notes that from the usage records' service_tier. A cost-report range that holds only today
is refused live ("ending date must be after starting date": the API ends the range at today 00:00), so a
one-day cost chunk is asked for with the day before it, whose bucket is dropped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import date
from functools import partial

from bot.config import ANTHROPIC_KEY_PAGE, Secret
from bot.money import AmountError, cents_to_nano, parse_decimal, row_nano
from bot.providers import anthropic_caps
from bot.providers import anthropic_spenders as spenders
from bot.providers import anthropic_usage_kinds as usage_kinds
from bot.providers.anthropic_claude_code import ClaudeCodeFetch
from bot.providers.base import OrgIdentity
from bot.providers.collect import Collected, Tokens
from bot.providers.fields import RowFields
from bot.providers.http import ApiError, FetchSession, JsonClient, JsonObject, KeyAuth, ProviderStyle
from bot.providers.paging import fetch_all, last_id_cursor
from bot.providers.windows import day_chunks, padded_start, report_rows, rfc3339, run_all
from bot.records import KEY, NO_KEY, NO_WORKSPACE, CapsFetch, Label, ProviderData
from bot.spill import RecordSpill

API_VERSION = "2023-06-01"
DAYS_PER_REQUEST = 31  # the documented maximum `limit` for 1d buckets on both reports
COST_MIN_DAYS = 2  # so the range that ends with today's partial day also holds a complete one
WORKSPACES_PER_PAGE = 1000
DEFAULT_WORKSPACE = "Default"
COST_PATH = "/v1/organizations/cost_report"
USAGE_PATH = "/v1/organizations/usage_report/messages"
WORKSPACES_PATH = "/v1/organizations/workspaces"
ME_PATH = "/v1/organizations/me"
INDIVIDUAL_ACCOUNT = "organization_type_not_supported"


def auth_message(error: ApiError) -> str:
    said = f"HTTP {error.status}: {error.message}"
    if error.code == INDIVIDUAL_ACCOUNT:
        return (
            f"Anthropic refused ANTHROPIC_ADMIN_KEY because it belongs to an individual account, which has no "
            f"Admin API ({said}). Individual accounts must create an Organization first (Console › Settings › "
            f"Organization); then an organization admin creates an Admin key (sk-ant-admin…) at "
            f"{ANTHROPIC_KEY_PAGE} to put in ANTHROPIC_ADMIN_KEY."
        )
    return (
        f"Anthropic refused ANTHROPIC_ADMIN_KEY ({said}). The cost and usage reports need an Admin key "
        f"(sk-ant-admin…), created by an organization admin at {ANTHROPIC_KEY_PAGE}; individual accounts must "
        "create an Organization first (Console › Settings › Organization). Put the Admin key in ANTHROPIC_ADMIN_KEY."
    )


STYLE = ProviderStyle(
    name="anthropic",
    display="Anthropic",
    base_variable="ANTHROPIC_BASE_URL",
    status_page="https://status.anthropic.com",
    auth_message=auth_message,
    auth_codes=frozenset({INDIVIDUAL_ACCOUNT}),
)


class AnthropicProvider(RowFields):
    usage_path = USAGE_PATH
    name = "anthropic"
    key_variable = "ANTHROPIC_ADMIN_KEY"

    def __init__(
        self,
        key: Secret,
        base_url: str = "https://api.anthropic.com",
        *,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        max_workers: int = 4,
    ) -> None:
        self.max_workers = max_workers

        def client(beta: str | None = None) -> JsonClient:
            headers = {"anthropic-version": API_VERSION} | ({"anthropic-beta": beta} if beta else {})
            return JsonClient(
                STYLE, base_url, KeyAuth("x-api-key", key.reveal()), headers=headers, timeout=timeout, sleep=sleep
            )

        self.client = client()
        # the Usage & Cost Analytics API and the Spend Limits API (betas) need their header on every request, and
        # only there
        self.analytics = client(spenders.ANALYTICS_BETA)
        self.caps_client = client(anthropic_caps.BETA)

    def fetch(self, start: date, end: date, spill: RecordSpill | None = None) -> ProviderData:
        if end < start:
            raise ValueError(f"end {end} is before start {start}")
        jobs: list[Callable[[FetchSession], Collected]] = []
        for lo, hi in day_chunks(start, end, DAYS_PER_REQUEST):
            jobs += [partial(self._costs, lo, hi), partial(self._usage, lo, hi)]
        # one request per chunk at the context-window/geo grain: usage by kind and the priced usage both
        jobs += usage_kinds.jobs(self.client, start, end, STYLE.auth_codes)
        jobs.append(self._workspaces)
        jobs += spenders.jobs(self.client, self.analytics, start, end)  # who spent it: names, per-key cost
        claude_code = ClaudeCodeFetch(self.client, self.name, start, end)
        jobs += claude_code.jobs()
        session = FetchSession(spill)
        collected = Collected()
        for part in run_all(jobs, session, self.max_workers):
            collected.merge(part)
        data = collected.to_data(self.name, start, end, session.requests, spill)
        claude_code.fill(data)
        spenders.normalize_workspaces(data)
        return data

    def fetch_caps(self, data: ProviderData) -> CapsFetch:
        return anthropic_caps.fetch_caps(self.caps_client, self.name)

    def identity(self, today: date) -> OrgIdentity:
        body = self.client.get_json(ME_PATH, [], FetchSession())
        org_id, org_name = body.get("id"), body.get("name")
        if not isinstance(org_id, str) or not isinstance(org_name, str):
            raise self.client.data_error(ME_PATH, "the organization has no `id` and `name` strings")
        return OrgIdentity(self.name, org_id, org_name)

    def close(self) -> None:
        self.client.close()
        self.analytics.close()
        self.caps_client.close()

    def _report(
        self,
        path: str,
        lo: date,
        hi: date,
        group_by: list[str],
        session: FetchSession,
        on_row: Callable[[date, JsonObject], None],
        out: Collected,
    ) -> None:
        """Every row of the report for [lo, hi) to on_row, bucket by bucket as the pages stream in."""
        params = [
            ("starting_at", rfc3339(lo)),
            ("ending_at", rfc3339(hi)),
            ("bucket_width", "1d"),
            ("limit", str(DAYS_PER_REQUEST)),
            *(("group_by[]", g) for g in group_by),
        ]
        # a bucket is a whole day: its sums become records as soon as it ends (issue 6)
        seal = partial(out.seal, self.name, session.spill)
        report_rows(self.client, path, params, session, "starting_at", lo, hi, on_row, seal)

    def _costs(self, lo: date, hi: date, session: FetchSession) -> Collected:
        out = Collected()

        def add(day: date, row: JsonObject) -> None:
            if day < lo:  # a day asked for only so the range is one the API accepts; another chunk has it
                return
            amount = row.get("amount")
            try:
                nano = row_nano(cents_to_nano(parse_decimal(amount)))
            except AmountError:
                raise self._bad(COST_PATH, day, "amount", amount, "a decimal string of cents") from None
            currency = row.get("currency")
            if currency is not None and currency != "USD":
                raise self._bad(COST_PATH, day, "currency", currency, "USD")
            workspace, model, tier = (
                self._text(COST_PATH, day, row, f) for f in ("workspace_id", "model", "service_tier")
            )
            out.add_cost((day, workspace, model, _item(row), tier), nano)

        asked_from = padded_start(lo, hi, COST_MIN_DAYS)
        self._report(COST_PATH, asked_from, hi, ["workspace_id", "description"], session, add, out)
        return out

    def _usage(self, lo: date, hi: date, session: FetchSession) -> Collected:
        out = Collected()

        def add(day: date, row: JsonObject) -> None:
            creation = row.get("cache_creation") or {}
            if not isinstance(creation, dict):
                raise self._bad(USAGE_PATH, day, "cache_creation", creation, "an object")
            uncached = self._count(day, row, "uncached_input_tokens", required=True)
            write_5m = self._count(day, creation, "ephemeral_5m_input_tokens")
            write_1h = self._count(day, creation, "ephemeral_1h_input_tokens")
            read = self._count(day, row, "cache_read_input_tokens")
            tokens = Tokens(
                input=uncached + write_5m + write_1h + read,
                output=self._count(day, row, "output_tokens", required=True),
                cache_read=read,
                cache_write=write_5m + write_1h,
            )
            workspace, model, tier, key = (
                self._text(USAGE_PATH, day, row, f) for f in ("workspace_id", "model", "service_tier", "api_key_id")
            )
            out.add_usage((day, workspace, model, tier), tokens)
            # the same rows by key (null: Console / Workbench); the per-workspace sums above stay as they were
            out.spenders.add_usage((day, KEY, key or NO_KEY, workspace, model), tokens)

        self._report(USAGE_PATH, lo, hi, ["model", "workspace_id", "service_tier", "api_key_id"], session, add, out)
        return out

    def _workspaces(self, session: FetchSession) -> Collected:
        out = Collected()
        out.add_label(Label(self.name, NO_WORKSPACE, DEFAULT_WORKSPACE))
        params = [("include_archived", "true"), ("limit", str(WORKSPACES_PER_PAGE))]
        items = fetch_all(
            self.client, WORKSPACES_PATH, params, session, cursor_param="after_id", cursor_of=last_id_cursor
        )
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
                raise self.client.data_error(WORKSPACES_PATH, "a workspace has no `id`")
            name = item.get("name")
            label_name = name if isinstance(name, str) and name else item["id"]
            out.add_label(Label(self.name, item["id"], label_name, archived=item.get("archived_at") is not None))
        return out


def _item(row: JsonObject) -> str:
    """`tokens:output_tokens` for token costs; the description (or cost_type) for everything else."""
    cost_type, token_type, description = row.get("cost_type"), row.get("token_type"), row.get("description")
    if isinstance(token_type, str) and token_type:
        return f"{cost_type if isinstance(cost_type, str) and cost_type else 'tokens'}:{token_type}"
    for value in (description, cost_type):
        if isinstance(value, str) and value:
            return value
    return ""
