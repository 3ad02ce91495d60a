"""Anthropic's Claude Code Analytics API (`/v1/organizations/usage_report/claude_code`) → ClaudeCodeDay records.

The endpoint serves one UTC day per call (`starting_at=YYYY-MM-DD`), paged with `limit` (≤ 1000) and the opaque
`next_page` cursor sent back as `page`. Each row is one actor on one day: `actor` is `user_actor` with an
`email_address` (personal data) or `api_actor` with an `api_key_name`; `model_breakdown[].estimated_cost.amount`
is Anthropic's *estimate* in cents (1025 = $10.25), never billed cost. `tool_actions` is a map by tool type
(edit, multi-edit, write, notebook edit, ...): every tool's proposals are summed into edits accepted/rejected.

History is capped at MAX_DAYS: a request per day (per page) makes a 400-day backfill 400+ calls for estimates
that never enter a total, so the first sync reads the last 90 days and incremental syncs re-read only their
trailing window. This part never fails the Anthropic sync: an organization whose key may not read it (403),
an API that is not there (404), or an answer that cannot be trusted leaves the stored rows as they were, and
`claude_code_unavailable` carries the one sentence the report and doctor show.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import partial

from bot.errors import ProviderAuthError, ProviderDataError, ProviderError, ProviderHTTPError
from bot.money import AmountError, cents_to_nano, parse_decimal, row_nano
from bot.providers.collect import Collected, count, opt_text
from bot.providers.http import FetchSession, JsonClient, JsonObject
from bot.providers.paging import fetch_all
from bot.records import API_ACTOR, USER_ACTOR, ClaudeCodeDay, ClaudeCodeModel, ProviderData

PATH = "/v1/organizations/usage_report/claude_code"
PER_PAGE = 1000  # the documented maximum
MAX_DAYS = 90  # history read from this endpoint, whatever the backfill (one request per day and page)
ACTOR_FIELDS = {USER_ACTOR: "email_address", API_ACTOR: "api_key_name"}
NOT_SHOWN = "so Claude Code activity is not shown (billed spend is unaffected)"


def claude_code_start(start: date, end: date) -> date:
    """The first day of [start, end) read from the Claude Code endpoint: at most the last MAX_DAYS days."""
    return max(start, end - timedelta(days=MAX_DAYS))


class ClaudeCodeFetch:
    """The per-day jobs of one Anthropic fetch, run on the provider's pool; `fill` puts the result in the data."""

    def __init__(self, client: JsonClient, provider: str, start: date, end: date, per_page: int = PER_PAGE) -> None:
        self.client = client
        self.per_page = per_page
        self.provider = provider
        self.start = claude_code_start(start, end)
        self.end = end
        self._lock = threading.Lock()
        self._days: dict[date, list[ClaudeCodeDay]] = {}
        self._unavailable: str | None = None

    def jobs(self) -> list[Callable[[FetchSession], Collected]]:
        days = [self.start + timedelta(days=i) for i in range((self.end - self.start).days)]
        return [partial(self._day, day) for day in days]

    def fill(self, data: ProviderData) -> None:
        if self._unavailable is not None:
            data.claude_code_unavailable = self._unavailable
            data.warnings.append(self._unavailable)
            return
        data.claude_code_start = self.start
        data.claude_code = [record for day in sorted(self._days) for record in self._days[day]]

    def _day(self, day: date, session: FetchSession) -> Collected:
        if self._unavailable is not None:
            return Collected()
        params = [("starting_at", day.isoformat()), ("limit", str(self.per_page))]
        try:
            items = fetch_all(self.client, PATH, params, session, context=f"day {day}")
            records = [self._record(day, item) for item in items]
        except ProviderAuthError:
            self._refuse(
                f"Anthropic's Claude Code Analytics API refused ANTHROPIC_ADMIN_KEY (HTTP 401/403), {NOT_SHOWN}: "
                "it needs an Admin key of an organization that uses Claude Code on the Claude API."
            )
        except ProviderHTTPError as err:
            if err.status == 404:
                self._refuse(
                    f"Anthropic's Claude Code Analytics API is not available at ANTHROPIC_BASE_URL (HTTP 404), "
                    f"{NOT_SHOWN}."
                )
            else:
                self._refuse(f"Claude Code activity could not be read this time ({_gist(err)}), {NOT_SHOWN}.")
        except ProviderError as err:  # network and data errors: the estimates wait for the next sync
            self._refuse(f"Claude Code activity could not be read this time ({_gist(err)}), {NOT_SHOWN}.")
        else:
            with self._lock:
                self._days[day] = records
        return Collected()

    def _refuse(self, reason: str) -> None:
        with self._lock:
            if self._unavailable is None:
                self._unavailable = reason

    def _record(self, day: date, item: object) -> ClaudeCodeDay:
        if not isinstance(item, dict):
            raise self._bad(day, "a row is not an object")
        row_day = _day_of(item.get("date"))
        if row_day != day:
            raise self._bad(day, f"a row's `date` {item.get('date')!r} is not the day asked for")
        actor_type, actor = self._actor(day, item.get("actor"))
        core = _object(item, "core_metrics")
        lines = _object(core, "lines_of_code") if core is not None else None
        if core is None or lines is None:
            raise self._bad(day, "a row has no `core_metrics` with `lines_of_code`")
        accepted = rejected = 0
        tools = item.get("tool_actions") or {}
        if not isinstance(tools, dict):
            raise self._bad(day, "`tool_actions` is not an object")
        for name, tool in tools.items():
            if not isinstance(tool, dict):
                raise self._bad(day, f"`tool_actions.{name}` is not an object")
            accepted += self._count(day, tool, "accepted", f"tool_actions.{name}")
            rejected += self._count(day, tool, "rejected", f"tool_actions.{name}")
        return ClaudeCodeDay(
            provider=self.provider,
            day=day,
            actor_type=actor_type,
            actor=actor,
            customer_type=self._text(day, item, "customer_type"),
            terminal_type=self._text(day, item, "terminal_type"),
            sessions=self._count(day, core, "num_sessions", "core_metrics"),
            lines_added=self._count(day, lines, "added", "lines_of_code"),
            lines_removed=self._count(day, lines, "removed", "lines_of_code"),
            commits=self._count(day, core, "commits_by_claude_code", "core_metrics"),
            pull_requests=self._count(day, core, "pull_requests_by_claude_code", "core_metrics"),
            edits_accepted=accepted,
            edits_rejected=rejected,
            models=self._models(day, item.get("model_breakdown")),
        )

    def _actor(self, day: date, actor: object) -> tuple[str, str]:
        if not isinstance(actor, dict) or actor.get("type") not in ACTOR_FIELDS:
            kind = actor.get("type") if isinstance(actor, dict) else actor
            raise self._bad(day, f"an actor of type {kind!r} is neither user_actor nor api_actor")
        field = ACTOR_FIELDS[actor["type"]]
        name = actor.get(field)
        if not isinstance(name, str) or not name:
            # the value is not quoted: for a user actor it would be personal data in an error message
            raise self._bad(day, f"a {actor['type']} has no `{field}` string")
        return actor["type"], name

    def _models(self, day: date, breakdown: object) -> tuple[ClaudeCodeModel, ...]:
        if breakdown is None:
            return ()
        if not isinstance(breakdown, list):
            raise self._bad(day, "`model_breakdown` is not a list")
        models = []
        for entry in breakdown:
            if not isinstance(entry, dict):
                raise self._bad(day, "a `model_breakdown` entry is not an object")
            tokens = _object(entry, "tokens") or {}
            cost = _object(entry, "estimated_cost")
            if cost is None:
                raise self._bad(day, "a `model_breakdown` entry has no `estimated_cost`")
            if cost.get("currency") not in (None, "USD"):
                raise self._bad(day, f"`estimated_cost.currency` is {cost.get('currency')!r}, not USD")
            try:
                nano = row_nano(cents_to_nano(parse_decimal(cost.get("amount"))))
            except AmountError:
                raise self._bad(day, f"`estimated_cost.amount` is {cost.get('amount')!r}, not cents") from None
            models.append(
                ClaudeCodeModel(
                    model=self._text(day, entry, "model"),
                    input_tokens=self._count(day, tokens, "input", "tokens", required=False),
                    output_tokens=self._count(day, tokens, "output", "tokens", required=False),
                    cache_read_tokens=self._count(day, tokens, "cache_read", "tokens", required=False),
                    cache_write_tokens=self._count(day, tokens, "cache_creation", "tokens", required=False),
                    estimated_cost_nano=nano,
                )
            )
        return tuple(models)

    def _count(self, day: date, row: JsonObject, field: str, where: str, *, required: bool = True) -> int:
        if required and field not in row:
            raise self._bad(day, f"`{where}` has no `{field}`")
        value = count(row.get(field))
        if value is None:
            raise self._bad(day, f"`{where}.{field}` is {row.get(field)!r}, not a whole number")
        return value

    def _text(self, day: date, row: JsonObject, field: str) -> str:
        value = opt_text(row.get(field))
        if value is None:
            raise self._bad(day, f"`{field}` is {row.get(field)!r}, not a string")
        return value

    def _bad(self, day: date, detail: str) -> ProviderDataError:
        return self.client.data_error(PATH, f"{detail} (day {day})")


def _gist(err: ProviderError) -> str:
    """The first sentence of a provider error (the rest advises about the whole sync, which went on)."""
    return str(err).split(". ", 1)[0].rstrip(".")


def _object(row: JsonObject, field: str) -> JsonObject | None:
    value = row.get(field)
    return value if isinstance(value, dict) else None


def _day_of(value: object) -> date | None:
    """The UTC day of a row's `date`: documented as RFC 3339 (`2025-09-01T00:00:00Z`), also seen as YYYY-MM-DD."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.date() if moment.tzinfo is None or moment.utcoffset() == timedelta(0) else None
