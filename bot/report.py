"""The spend report: its model, the pure builder and the thin store loader (the §4 JSON is in report_json.py).

Data flows store → `ReportInputs` → `build_report` (pure) → `Report` → `report_to_json` / `render_text` / Block
Kit. Amounts stay integer nano-dollars until the Report, which holds exact Decimal dollars; nothing is rounded
except percentages and the cache-hit ratio.

Choices a reader of the numbers should know:
- Totals are billed cost only. The period total comes from the daily rollup; models, workspaces and providers
  are the same spend cut other ways, so each list sums to the total (a note says so if the store disagrees).
- Non-model spend (web search, code execution, storage...: records with model "") is one line per provider
  named `NON_MODEL_LABEL`, so the model list still adds up to the total.
- Spend with no workspace id is named "Default" (Anthropic's Default Workspace) or "Organization (no project)"
  (OpenAI org-level cost), with JSON id null; archived workspaces keep their last name; an id with no label
  falls back to the raw id.
- "Today" is the period's today: its end for today/month, the day after its end otherwise, so `--as-of` and the
  month projection agree with the period asked for.
- Month projection: bot.projection (this month's complete days, else last month's, else enough hours of data,
  else none; a note says which when it is not this month's complete days).
- Final: a day fetched before it ended is not final (bot.freshness). `final` is false for a period holding
  such a day (or today), and a note names each one, in the period or its comparison.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Protocol, TypeVar

from bot.claude_code import ClaudeCodeReport, load_claude_code
from bot.freshness import (
    ProviderFetches,
    Unfinished,
    date_list,
    never_fetched_notes,
    not_final_notes,
    unfinished_days,
)
from bot.money import fmt_usd, nano_to_usd, pct_change
from bot.periods import Period
from bot.projection import MonthProjection as MonthProjection
from bot.projection import previous_month, project_month
from bot.records import (
    NO_MODEL,
    NO_WORKSPACE,
    ClaudeCodeActorSums,
    ClaudeCodeStatus,
    Label,
    SpenderLabel,
    SyncState,
    TokenTotals,
)
from bot.records import provider_name as provider_name

KNOWN_PROVIDERS = ("anthropic", "openai")
KEY_VARIABLES = {"anthropic": "ANTHROPIC_ADMIN_KEY", "openai": "OPENAI_ADMIN_KEY"}
DEFAULT_WORKSPACE_NAMES = {"anthropic": "Default", "openai": "Organization (no project)"}
NON_MODEL_LABEL = "other (web search, tools, storage)"
# Anthropic bills Priority Tier as a capacity commitment, outside the cost report (reference §3.3).
UNBILLED_TIERS = ("priority", "priority_on_demand")
USAGE_DASHBOARDS = {"anthropic": "https://console.anthropic.com/usage", "openai": "https://platform.openai.com/usage"}
# A sync logged as running for longer than this was interrupted (a real one takes minutes at most).
STUCK_SYNC = timedelta(minutes=30)

DayProvider = Mapping[tuple[date, str], int]
_PCT = Decimal("0.01")
_RATIO = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class ProviderLine:
    provider: str
    total: Decimal
    status: str  # "ok" | "error" | "not_configured"
    last_synced_at: str | None  # ISO 8601 UTC of the latest successful sync
    error: str | None = None  # one line, only when status is "error"


@dataclass(frozen=True, slots=True)
class ModelLine:
    provider: str
    model: str  # NO_MODEL ("") for non-model spend
    total: Decimal

    @property
    def name(self) -> str:
        return self.model if self.model != NO_MODEL else NON_MODEL_LABEL


@dataclass(frozen=True, slots=True)
class WorkspaceLine:
    provider: str
    id: str | None  # None for the Default Workspace / OpenAI org-level spend
    name: str
    archived: bool
    total: Decimal


@dataclass(frozen=True, slots=True)
class DayLine:
    date: date
    total: Decimal
    by_provider: dict[str, Decimal]


@dataclass(frozen=True, slots=True)
class BudgetStatus:
    monthly_budget: Decimal
    month_to_date: Decimal
    pct_used: Decimal
    projected_total: Decimal | None  # None while there is nothing to project from (a note says why)
    projected_pct: Decimal | None


@dataclass(frozen=True, slots=True)
class FreshnessLine:
    """Contract §4 `freshness`: through which day a provider's data is complete, and when it was last fetched."""

    provider: str
    complete_through: date | None
    fetched_at: datetime | None


@dataclass(frozen=True, slots=True)
class Report:
    period: Period
    previous_total: Decimal
    total: Decimal
    change_pct: Decimal | None  # None when the previous total is zero
    providers: list[ProviderLine]
    models: list[ModelLine]
    workspaces: list[WorkspaceLine]
    daily: list[DayLine]
    tokens: TokenTotals
    cache_hit_ratio: Decimal | None  # None when no input tokens
    notes: list[str]
    month: MonthProjection | None  # only for the month period
    budget: BudgetStatus | None  # the current month, whenever a budget is set
    generated_at: datetime
    final: bool = True  # no day of the period is partial or was fetched before it ended
    previous_final: bool = True  # the same for the comparison period
    freshness: tuple[FreshnessLine, ...] = ()
    not_final: tuple[date, ...] = ()  # days of the period or comparison fetched before they ended (not today)
    claude_code: ClaudeCodeReport | None = None  # Anthropic's estimates, apart from every total (bot.claude_code)


@dataclass(frozen=True, slots=True)
class ReportInputs:
    """Everything the builder needs, as the store returned it (see STORE_API)."""

    daily: DayProvider  # (day, provider) -> nano over the period
    previous_daily: DayProvider  # the same over the previous window
    month_daily: DayProvider  # the current month from the 1st through today, for projection and budget
    models: Mapping[tuple[str, str], int]  # (provider, model) -> nano over the period
    workspaces: Mapping[tuple[str, str], int]  # (provider, workspace_id) -> nano over the period
    tokens: TokenTotals
    tier_days: Sequence[tuple[date, str]]  # (day, provider) with usage in UNBILLED_TIERS within the period
    labels: Mapping[tuple[str, str], Label]
    sync_states: Mapping[str, SyncState]
    data_ranges: Mapping[str, tuple[date, date] | None]  # provider -> first and last day synced
    configured: Sequence[str] = field(default_factory=tuple)
    previous_month_daily: DayProvider = field(default_factory=dict)  # the whole month before, for the projection
    fetches: Mapping[str, ProviderFetches] = field(default_factory=dict)  # Store.fetches over all the days above
    cost_gaps: Mapping[tuple[date, str], int] = field(default_factory=dict)  # (day, provider) -> rows with no amount


class ReportStore(Protocol):
    """The read side of bot.store.Store that the report uses."""

    def daily_totals(self, start: date, end: date) -> dict[tuple[date, str], int]: ...
    def model_totals(self, start: date, end: date) -> dict[tuple[str, str], int]: ...
    def workspace_totals(self, start: date, end: date) -> dict[tuple[str, str], int]: ...
    def token_totals(self, start: date, end: date) -> TokenTotals: ...
    def tier_usage_days(self, start: date, end: date, tiers: tuple[str, ...] = ...) -> list[tuple[date, str]]: ...
    def labels(self) -> dict[tuple[str, str], Label]: ...
    def cost_gaps(self, start: date, end: date) -> dict[tuple[date, str], int]: ...
    def sync_states(self) -> dict[str, SyncState]: ...
    def data_range(self, provider: str) -> tuple[date, date] | None: ...
    def fetches(self, start: date, end: date) -> dict[str, ProviderFetches]: ...
    def claude_code_actors(self, start: date, end: date) -> list[ClaudeCodeActorSums]: ...
    def claude_code_statuses(self) -> dict[str, ClaudeCodeStatus]: ...
    def spender_labels(self) -> dict[tuple[str, str, str], SpenderLabel]: ...


def report_today(period: Period) -> date:
    return period.end if period.includes_partial_today else period.end + timedelta(days=1)


def load_report(
    store: ReportStore,
    period: Period,
    *,
    now: datetime,
    configured: Sequence[str],
    budget_usd: Decimal | None,
) -> Report:
    """Query the store for `period` and build the report (no network)."""
    today = report_today(period)
    states = store.sync_states()
    providers = sorted(set(KNOWN_PROVIDERS) | set(configured) | set(states))
    prev_first, prev_last = previous_month(today)
    inputs = ReportInputs(
        daily=store.daily_totals(period.start, period.end),
        previous_daily=store.daily_totals(period.prev_start, period.prev_end),
        month_daily=store.daily_totals(today.replace(day=1), today),
        models=store.model_totals(period.start, period.end),
        workspaces=store.workspace_totals(period.start, period.end),
        tokens=store.token_totals(period.start, period.end),
        tier_days=store.tier_usage_days(period.start, period.end, UNBILLED_TIERS),
        labels=store.labels(),
        sync_states=states,
        data_ranges={p: store.data_range(p) for p in providers},
        configured=tuple(configured),
        previous_month_daily=store.daily_totals(prev_first, prev_last),
        fetches=store.fetches(min(period.prev_start, prev_first), max(period.end, today)),
        cost_gaps=store.cost_gaps(min(period.prev_start, period.start), period.end),
    )
    report = build_report(inputs, period, now=now, budget=budget_usd)
    return dataclasses.replace(report, claude_code=load_claude_code(store, period))


def build_report(inputs: ReportInputs, period: Period, *, now: datetime, budget: Decimal | None) -> Report:
    """The report for `period` from the store's numbers. Pure: no I/O, no clock."""
    total_nano = sum(inputs.daily.values())
    previous_nano = sum(inputs.previous_daily.values())
    total, previous = nano_to_usd(total_nano), nano_to_usd(previous_nano)
    providers = _provider_lines(inputs, now)
    listed = [p.provider for p in providers if p.status != "not_configured"]
    today = report_today(period)
    projection, projection_note = project_month(
        inputs.month_daily,
        inputs.previous_month_daily,
        inputs.fetches,
        today=today,
        now=now,
        configured=inputs.configured,
    )
    tokens = inputs.tokens
    ratio = None if tokens.input == 0 else (Decimal(tokens.cache_read) / tokens.input).quantize(_RATIO, ROUND_HALF_EVEN)

    notes = _notes(inputs, period, providers, today, now)
    final, previous_final, unfinished = _finality(inputs, period, today)
    comparison = {u.day for u in unfinished if period.prev_start <= u.day <= period.prev_end}
    notes += not_final_notes(unfinished, today=today, comparison=comparison)
    notes += never_fetched_notes(unfinished, inputs.fetches, today=today, comparison=comparison)
    notes += _cost_gap_notes(inputs.cost_gaps, period)
    if projection_note and (period.name == "month" or (budget is not None and budget > 0)):
        notes.append(projection_note)
    parts = {"models": inputs.models.values(), "workspaces": inputs.workspaces.values()}
    for what, values in parts.items():
        if sum(values) != total_nano:
            notes.append(
                f"Spend by {what} ({_usd_text(sum(values))}) does not add up to the total ({_usd_text(total_nano)}); "
                "run `aispend sync` to rebuild the stored figures."
            )
    return Report(
        period=period,
        previous_total=previous,
        total=total,
        change_pct=pct_change(total, previous),
        providers=providers,
        models=_sorted(
            (ModelLine(p, m, nano_to_usd(n)) for (p, m), n in inputs.models.items()), lambda m: (m.name, m.provider)
        ),
        workspaces=_sorted(
            (_workspace_line(p, w, n, inputs.labels) for (p, w), n in inputs.workspaces.items()),
            lambda w: (w.name, w.provider),
        ),
        daily=_daily(inputs.daily, period, listed),
        tokens=tokens,
        cache_hit_ratio=ratio,
        notes=notes,
        month=projection if period.name == "month" else None,
        budget=_budget(budget, projection),
        generated_at=now,
        final=final,
        previous_final=previous_final,
        freshness=_freshness(inputs, listed),
        not_final=tuple(sorted({u.day for u in unfinished if u.fetched_at is not None})),
    )


_Line = TypeVar("_Line", ModelLine, WorkspaceLine)


def _sorted(lines: Iterable[_Line], name: Callable[[_Line], tuple[str, str]]) -> list[_Line]:
    return sorted(lines, key=lambda line: (-line.total, *name(line)))


def _usd_text(nano: int) -> str:
    return fmt_usd(nano_to_usd(nano))


def _has_data(provider: str, inputs: ReportInputs) -> bool:
    return inputs.data_ranges.get(provider) is not None or any(p == provider for _, p in inputs.daily)


def _stuck(state: SyncState, now: datetime) -> bool:
    """A sync logged as running for longer than any real one takes: its process died (killed, host restarted)."""
    try:
        started = datetime.fromisoformat(state.started_at)
    except ValueError:
        return True
    if started.tzinfo is None or now.tzinfo is None:  # the log is UTC; compare like with like
        started, now = started.replace(tzinfo=None), now.replace(tzinfo=None)
    return now - started > STUCK_SYNC


def _provider_lines(inputs: ReportInputs, now: datetime) -> list[ProviderLine]:
    totals: dict[str, int] = defaultdict(int)
    for (_, provider), nano in inputs.daily.items():
        totals[provider] += nano
    names = set(KNOWN_PROVIDERS) | set(inputs.configured) | set(totals) | set(inputs.sync_states)
    names |= {p for p, r in inputs.data_ranges.items() if r is not None}
    lines = []
    for provider in names:
        state = inputs.sync_states.get(provider)
        synced = state.last_success_at if state else None
        total = nano_to_usd(totals.get(provider, 0))
        if provider not in inputs.configured and not _has_data(provider, inputs):
            lines.append(ProviderLine(provider, total, "not_configured", synced))
        elif state is not None and state.status == "error":
            lines.append(ProviderLine(provider, total, "error", synced, _one_line(state.error or "unknown error")))
        elif synced is None and not _has_data(provider, inputs):
            running = state is not None and state.status == "running"
            reason = "the first sync is still running" if running else "never synced; run `aispend sync`"
            if state is not None and running and _stuck(state, now):
                reason = f"the first sync, started at {state.started_at}, never finished; run `aispend sync`"
            lines.append(ProviderLine(provider, total, "error", None, reason))
        else:
            lines.append(ProviderLine(provider, total, "ok", synced))
    return sorted(lines, key=lambda line: (-line.total, line.provider))


def _one_line(text: str) -> str:
    """Error text fit for a parenthesis or a status column: one line, no closing period."""
    return " ".join(text.split()).rstrip(".")


def _workspace_line(
    provider: str, workspace_id: str, nano: int, labels: Mapping[tuple[str, str], Label]
) -> WorkspaceLine:
    if workspace_id == NO_WORKSPACE:
        return WorkspaceLine(provider, None, DEFAULT_WORKSPACE_NAMES.get(provider, "Default"), False, nano_to_usd(nano))
    label = labels.get((provider, workspace_id))
    if label is None:
        return WorkspaceLine(provider, workspace_id, workspace_id, False, nano_to_usd(nano))
    return WorkspaceLine(provider, workspace_id, label.name or workspace_id, label.archived, nano_to_usd(nano))


def _daily(daily: DayProvider, period: Period, providers: Sequence[str]) -> list[DayLine]:
    # providers with spend on each day, gathered once: scanning `daily` per day was quadratic (issue 6)
    present: dict[date, set[str]] = defaultdict(set)
    for d, p in daily:
        present[d].add(p)
    lines = []
    for day in period.dates():
        by_provider = {p: daily.get((day, p), 0) for p in sorted({*providers, *present.get(day, ())})}
        lines.append(
            DayLine(day, nano_to_usd(sum(by_provider.values())), {p: nano_to_usd(n) for p, n in by_provider.items()})
        )
    return lines


def _notes(
    inputs: ReportInputs, period: Period, providers: list[ProviderLine], today: date, now: datetime
) -> list[str]:
    notes = []
    if period.includes_partial_today:
        notes.append(f"Today ({today.isoformat()}) is partial: it shows the spend reported so far.")
    for line in sorted(providers, key=lambda p: p.provider):
        name = provider_name(line.provider)
        state = inputs.sync_states.get(line.provider)
        if line.status == "error" and state is not None and state.status == "error":
            if _has_data(line.provider, inputs):
                notes.append(f"{name}: the last sync failed ({line.error}); figures may be stale.")
            else:
                notes.append(f"{name}: the last sync failed ({line.error}); nothing has been synced yet.")
        elif line.status == "error" and state is not None and state.status == "running":
            if _stuck(state, now):
                notes.append(
                    f"{name}: the first sync, started at {state.started_at}, never finished (the bot was probably "
                    "stopped during it), so its spend is not shown; run `aispend sync`."
                )
            else:
                notes.append(f"{name}: the first sync is still running, so its spend is not shown yet.")
        elif state is not None and state.status == "running":
            # never let an unfinished sync pass for a finished one: the figures are those of an earlier sync
            if _stuck(state, now):
                notes.append(
                    f"{name}: a sync started at {state.started_at} never finished (the bot was probably stopped "
                    "during it), so the figures may be out of date; run `aispend sync`."
                )
            else:
                notes.append(
                    f"{name}: a sync started at {state.started_at} is still running; the figures are from before it."
                )
        elif line.status == "error":
            notes.append(f"{name} has never been synced, so its spend is not shown; run `aispend sync`.")
        if line.status != "not_configured" and line.provider not in inputs.configured:
            key = KEY_VARIABLES.get(line.provider, "its admin key")
            notes.append(
                f"{name} has no key configured, so its figures stop at the last sync; set {key} to update them."
            )
        span = inputs.data_ranges.get(line.provider)
        if span is None or line.status == "not_configured":
            continue
        first, last = span
        if period.start < first:
            notes.append(
                f"No data before {first.isoformat()} has been synced for {name}; "
                "this period and the previous one are incomplete."
            )
        elif period.prev_start < first:
            notes.append(
                f"No data before {first.isoformat()} has been synced for {name}; the previous period is incomplete."
            )
        if last < period.end:
            notes.append(
                f"No data after {last.isoformat()} has been synced for {name}; "
                "run `aispend sync` to bring it up to date."
            )
    tier = sorted({d for d, p in inputs.tier_days if p == "anthropic" and period.start <= d <= period.end})
    if tier:
        notes.append(f"Priority Tier usage on {date_list(tier)} is not included in Anthropic's cost report.")
    return notes


def _finality(inputs: ReportInputs, period: Period, today: date) -> tuple[bool, bool, list[Unfinished]]:
    """Whether the period and its comparison are final, and their unfinished days other than a partial today."""
    fetches, configured = inputs.fetches, inputs.configured
    current = unfinished_days(fetches, period.start, period.end, configured=configured)
    previous = unfinished_days(fetches, period.prev_start, period.prev_end, configured=configured)
    # a configured provider with nothing synced yet has none of these days
    unsynced = any(p not in fetches for p in configured)
    final = not (period.includes_partial_today or current or unsynced)
    previous_final = not (previous or unsynced)
    shown = [u for u in current if not (period.includes_partial_today and u.day == today)]
    seen = {(u.day, u.provider) for u in shown}
    return final, previous_final, shown + [u for u in previous if (u.day, u.provider) not in seen]


def _cost_gap_notes(gaps: Mapping[tuple[date, str], int], period: Period) -> list[str]:
    """One note per provider that sent cost rows without an amount in the period, and one for the comparison
    (its total and the change are understated as well): they were counted as $0."""
    notes = []
    spans = ((period.start, period.end, ""), (period.prev_start, period.prev_end, " (in the comparison)"))
    for start, end, label in spans:
        notes += _gap_notes(gaps, start, end, label)
    return notes


def _gap_notes(gaps: Mapping[tuple[date, str], int], start: date, end: date, label: str) -> list[str]:
    notes = []
    for provider in sorted({p for _, p in gaps}):
        days = sorted(d for d, p in gaps if p == provider and start <= d <= end)
        rows = sum(gaps[(d, provider)] for d in days)
        if not rows:
            continue
        name = provider_name(provider)
        where = USAGE_DASHBOARDS.get(provider, "its usage page")
        plural = rows != 1
        notes.append(
            f"{rows} {name} cost row{'s' if plural else ''} on {date_list(days)}{label} had no amount; "
            f"{'they are' if plural else 'it is'} counted as $0, so {name}'s spend may be understated: "
            f"check the {name} usage dashboard ({where})."
        )
    return notes


def _freshness(inputs: ReportInputs, listed: Sequence[str]) -> tuple[FreshnessLine, ...]:
    lines = []
    for provider in sorted(set(listed) | set(inputs.fetches)):
        info = inputs.fetches.get(provider)
        if info is None:
            lines.append(FreshnessLine(provider, None, None))
        else:
            lines.append(FreshnessLine(provider, info.complete_through, info.fetched_at))
    return tuple(lines)


def _budget(budget: Decimal | None, projection: MonthProjection) -> BudgetStatus | None:
    if budget is None or budget <= 0:
        return None
    mtd, projected = projection.month_to_date, projection.projected_total
    projected_pct = None if projected is None else _pct(projected, budget)
    return BudgetStatus(budget, mtd, _pct(mtd, budget), projected, projected_pct)


def _pct(part: Decimal, whole: Decimal) -> Decimal:
    return (part * 100 / whole).quantize(_PCT, ROUND_HALF_EVEN)
