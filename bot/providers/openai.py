"""OpenAI organization Usage & Costs API → normalized records: costs, completions usage, projects.

Quirks handled here and nowhere else: `amount.value` is dollars as a float with noise or sometimes a
numeric string (parsed exactly, non-finite rejected); a row with no `amount`, `amount: null` or
`amount.value: null`, all of which the published schema allows, counts as no cost and is recorded as a
CostGap, so the report says so (never a failed sync, never a silent zero); the model comes only from the
free-text `line_item`, and spend whose label names no model is attributed by its label (see line_items);
`project_id: null` is org-level cost; `input_tokens` already includes cached and cache-write tokens; a
Restricted key without Organization Administration: Read cannot list projects, which only costs us the
names. Never send `OpenAI-Organization`: an admin key is bound to one organization and a mismatch is a
401. Array params repeat the plain key (`group_by=line_item&group_by=project_id`): the OpenAPI spec's form
(default form/explode style), and what the cookbook and CodexBar send against the live API. Costs group by
`line_item`, `project_id` and `api_key_id` (the spec's "any combination"); `api_key_id` was refused live for
some organizations (PostHog/posthog#71784), so the first cost chunk probes it and a 400 makes every chunk ask
without it (one extra request per fetch; per-key figures are then token shares). Who spent it (keys, users,
their names) is in openai_spenders and openai_names.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from datetime import date, timedelta
from functools import partial

from bot.config import OPENAI_KEY_PAGE, Secret
from bot.errors import ProviderAuthError
from bot.money import AmountError, parse_decimal, row_nano, usd_to_nano
from bot.providers import line_items, openai_caps
from bot.providers import openai_usage_kinds as usage_kinds
from bot.providers.base import OrgIdentity
from bot.providers.collect import Collected, Tokens
from bot.providers.fields import RowFields
from bot.providers.http import ApiError, FetchSession, JsonClient, JsonObject, KeyAuth, ProviderStyle
from bot.providers.kinds import KindSums
from bot.providers.openai_names import list_keys, list_users, one_scope_warning
from bot.providers.openai_spenders import Part
from bot.providers.paging import fetch_all, last_id_cursor
from bot.providers.probe import Probe
from bot.providers.windows import day_chunks, report_rows, run_all, unix_seconds
from bot.records import NO_WORKSPACE, CapsFetch, Label, ProviderData
from bot.spill import RecordSpill

COST_DAYS_PER_REQUEST = 180  # costs: limit 1..180 buckets
USAGE_DAYS_PER_REQUEST = 31  # usage with 1d buckets: limit max 31
PROJECTS_PER_PAGE = 100
COSTS_PATH = "/organization/costs"
USAGE_PATH = "/organization/usage/completions"
PROJECTS_PATH = "/organization/projects"
# labels repeat on every day and project: parse each once, and share its model string between records
_parse_line_item = functools.lru_cache(maxsize=4096)(line_items.parse)
UNLABELED = "OpenAI project names could not be read"


def auth_message(error: ApiError) -> str:
    return (
        f"OpenAI refused OPENAI_ADMIN_KEY (HTTP {error.status}: {error.message}). The Usage and Costs API needs "
        "an Admin key (sk-admin-…) created by an organization owner, not a project or service-account key; "
        f"a Restricted key is fine with Usage: Read and Organization Administration: Read, at {OPENAI_KEY_PAGE}. "
        "Put it in OPENAI_ADMIN_KEY."
    )


STYLE = ProviderStyle(
    name="openai",
    display="OpenAI",
    base_variable="OPENAI_BASE_URL",
    status_page="https://status.openai.com",
    auth_message=auth_message,
    retry_unauthorized=True,
)


class OpenAIProvider(RowFields):
    usage_path = USAGE_PATH
    name = "openai"
    key_variable = "OPENAI_ADMIN_KEY"

    def __init__(
        self,
        key: Secret,
        base_url: str = "https://api.openai.com/v1",
        *,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        max_workers: int = 4,
    ) -> None:
        self.max_workers = max_workers
        self.client = JsonClient(
            STYLE, base_url, KeyAuth("authorization", f"Bearer {key.reveal()}"), timeout=timeout, sleep=sleep
        )

    def fetch(self, start: date, end: date, spill: RecordSpill | None = None) -> ProviderData:
        if end < start:
            raise ValueError(f"end {end} is before start {start}")
        probe = Probe()
        jobs: list[Callable[[FetchSession], Part]] = [
            partial(self._costs, lo, hi, probe) for lo, hi in day_chunks(start, end, COST_DAYS_PER_REQUEST)
        ]
        jobs += [partial(self._usage, lo, hi) for lo, hi in day_chunks(start, end, USAGE_DAYS_PER_REQUEST)]
        jobs += [partial(_kind_part, job) for job in usage_kinds.jobs(self.client, start, end)]
        jobs += [self._projects, partial(list_users, self.client, self.name)]
        session = FetchSession(spill)
        whole = Part()
        for part in run_all(jobs, session, self.max_workers):
            whole.collected.merge(part.collected)
            whole.spenders.merge(part.spenders)
        # Key names only for the projects whose keys spent in the window: one listing (a page per 100 keys) per
        # such project, after the reports, so an incremental sync does not list every project of the org.
        if not one_scope_warning(whole.collected.warnings, UNLABELED):
            archived = {label.id for label in whole.collected.labels.values() if label.archived}
            names: list[Callable[[FetchSession], Part]] = [
                partial(list_keys, self.client, self.name, p, p in archived)
                for p in sorted(whole.spenders.key_projects)
            ]
            for part in run_all(names, session, self.max_workers):
                whole.collected.merge(part.collected)
                whole.spenders.merge(part.spenders)
        data = whole.collected.to_data(self.name, start, end, session.requests, spill)
        refused = probe.refusal.status if probe.refusal is not None else None
        whole.spenders.fill(data, probe.accepted, refused)
        return data

    def fetch_caps(self, data: ProviderData) -> CapsFetch:
        # one request per project: only the active ones that spent in this sync's window, since a project without
        # spend cannot reach its cap (and an archived one cannot spend)
        spent = {cost.workspace_id for cost in data.all_costs() if cost.amount_nano > 0}
        active = {label.id for label in data.labels if not label.archived}
        projects = sorted((spent & active) - {NO_WORKSPACE})
        return openai_caps.fetch_caps(self.client, self.name, projects)

    def identity(self, today: date) -> OrgIdentity:
        """There is no "me" endpoint: one request for the costs of the week up to `today`, whose rows name the
        organization.

        `name` is always "" (no endpoint an Admin key can read gives it); `id` is "" when the week had no cost.
        """
        params = _window(today - timedelta(days=6), today + timedelta(days=1), 7)
        body = self.client.get_json(COSTS_PATH, params, FetchSession())
        data = body.get("data")
        if not isinstance(data, list):
            raise self.client.data_error(COSTS_PATH, "the page has no `data` list")
        for bucket in data:
            results = bucket.get("results") if isinstance(bucket, dict) else None
            for row in results if isinstance(results, list) else []:
                org = row.get("organization_id") if isinstance(row, dict) else None
                if isinstance(org, str) and org:
                    return OrgIdentity(self.name, org, "")
        return OrgIdentity(self.name, "", "")

    def close(self) -> None:
        self.client.close()

    def _costs(self, lo: date, hi: date, probe: Probe, session: FetchSession) -> Part:
        return probe.run(
            partial(self._cost_rows, lo, hi, session, True), partial(self._cost_rows, lo, hi, session, False)
        )

    def _cost_rows(self, lo: date, hi: date, session: FetchSession, by_key: bool) -> Part:
        part = Part()
        out, spenders = part.collected, part.spenders
        params = [*_window(lo, hi, COST_DAYS_PER_REQUEST), ("group_by", "line_item"), ("group_by", "project_id")]
        if by_key:
            params.append(("group_by", "api_key_id"))
        per_key: dict[tuple[tuple[date, str, str], str], int] = {}  # gap rows of each key in each line item
        per_grain: dict[tuple[date, str, str], int] = {}  # the most of any one key

        def add(day: date, row: JsonObject) -> None:
            amount = row.get("amount")
            if amount is not None and not isinstance(amount, dict):
                raise self._bad(COSTS_PATH, day, "amount", amount, "an object with value and currency")
            value = None if amount is None else amount.get("value")
            currency = None if amount is None else amount.get("currency")
            if currency is not None and (not isinstance(currency, str) or currency.lower() != "usd"):
                raise self._bad(COSTS_PATH, day, "amount.currency", currency, "usd")
            project = self._text(COSTS_PATH, day, row, "project_id")
            label = self._text(COSTS_PATH, day, row, "line_item")
            key = self._text(COSTS_PATH, day, row, "api_key_id") if by_key else ""
            if value is None:
                # rows as the ungrouped report has them: a line item split over keys is one row without an amount
                grain = (day, project, label)
                per_key[(grain, key)] = seen = per_key.get((grain, key), 0) + 1
                if seen > per_grain.get(grain, 0):
                    per_grain[grain] = seen
                    out.add_gap(day)
                return
            try:
                nano = row_nano(usd_to_nano(parse_decimal(value)))
            except AmountError:
                raise self._bad(COSTS_PATH, day, "amount.value", value, "a finite number of dollars") from None
            item = _parse_line_item(label)
            out.add_cost((day, project, item.attribution, label, item.service_tier), nano)
            if by_key:
                spenders.add_cost(day, key, project, item.attribution, nano)

        self._rows(COSTS_PATH, lo, hi, params, session, add, part)
        return part

    def _usage(self, lo: date, hi: date, session: FetchSession) -> Part:
        """Usage by (project, model, key, user, batch, service tier): rows that sum exactly to each of the views
        (the tier and batch split is kept as usage by kind, see openai_usage_kinds)."""
        part = Part()
        out, spenders = part.collected, part.spenders
        params = [
            *_window(lo, hi, USAGE_DAYS_PER_REQUEST),
            *(("group_by", g) for g in ("model", "project_id", "api_key_id", "user_id", "batch", "service_tier")),
        ]
        out.kinds.fetched.add(usage_kinds.COMPLETIONS)

        def add(day: date, row: JsonObject) -> None:
            tokens = Tokens(
                input=self._count(day, row, "input_tokens", required=True),
                output=self._count(day, row, "output_tokens", required=True),
                cache_read=self._count(day, row, "input_cached_tokens"),
                cache_write=self._count(day, row, "input_cache_write_tokens"),
                requests=self._count(day, row, "num_model_requests"),
            )
            project = self._text(USAGE_PATH, day, row, "project_id")
            model = self._text(USAGE_PATH, day, row, "model")
            key = self._text(USAGE_PATH, day, row, "api_key_id")
            user = self._text(USAGE_PATH, day, row, "user_id")
            out.add_usage((day, project, model, ""), tokens)
            usage_kinds.add_completions(self.client, out.kinds, day, row, project, model)
            spenders.add_usage(day, key, user, project, model, tokens)
            # and at the grain a price needs (issue 14); input_tokens already holds the cached and written tokens
            tier, batch = self._text(USAGE_PATH, day, row, "service_tier"), row.get("batch") is True
            out.priced.add(
                (day, model, tier, batch, "", ""),
                uncached=max(tokens.input - tokens.cache_read - tokens.cache_write, 0),
                cache_read=tokens.cache_read,
                write_5m=tokens.cache_write,
                write_1h=0,
                output=tokens.output,
                requests=tokens.requests,
            )

        self._rows(USAGE_PATH, lo, hi, params, session, add, part)
        return part

    def _rows(
        self,
        path: str,
        lo: date,
        hi: date,
        params: list[tuple[str, str]],
        session: FetchSession,
        on_row: Callable[[date, JsonObject], None],
        part: Part,
    ) -> None:
        """Every row of the report for [lo, hi) to on_row, bucket by bucket as the pages stream in."""

        def seal() -> None:  # a bucket is a whole day: its sums become records as soon as it ends (issue 6)
            part.collected.seal(self.name, session.spill)
            part.spenders.seal(self.name, session.spill)

        report_rows(self.client, path, params, session, "start_time", lo, hi, on_row, seal)

    def _projects(self, session: FetchSession) -> Part:
        part = Part()
        out = part.collected
        params = [("include_archived", "true"), ("limit", str(PROJECTS_PER_PAGE))]
        try:
            items = fetch_all(
                self.client, PROJECTS_PATH, params, session, cursor_param="after", cursor_of=last_id_cursor
            )
        except ProviderAuthError:
            # A Restricted key without Organization Administration: Read still reads costs and usage.
            out.warnings.append(
                f"{UNLABELED} (the key lacks Organization Administration: Read, scope api.management.read), so "
                f"projects are shown by id: give the key Organization Administration: Read at {OPENAI_KEY_PAGE}."
            )
            return part
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("id"), str) or not item["id"]:
                raise self.client.data_error(PROJECTS_PATH, "a project has no `id`")
            name = item.get("name")
            archived = item.get("status") == "archived" or item.get("archived_at") is not None
            label_name = name if isinstance(name, str) and name else item["id"]
            out.add_label(Label(self.name, item["id"], label_name, archived=archived))
        return part


def _kind_part(job: Callable[[FetchSession], KindSums], session: FetchSession) -> Part:
    return Part(collected=Collected(kinds=job(session)))


def _window(lo: date, hi: date, limit: int) -> list[tuple[str, str]]:
    return [
        ("start_time", str(unix_seconds(lo))),
        ("end_time", str(unix_seconds(hi))),
        ("bucket_width", "1d"),
        ("limit", str(limit)),
    ]
