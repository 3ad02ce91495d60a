"""The report's model: the lines and `Report` it is made of, the builder's `ReportInputs`, and their constants."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from bot.caps import CapForecast
from bot.claude_code import ClaudeCodeReport
from bot.estimates import Estimates
from bot.freshness import ProviderFetches
from bot.periods import Period
from bot.projection import MonthProjection
from bot.records import NO_MODEL, Label, SyncState, TokenTotals
from bot.report.usage import KindLine

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
    usage: tuple[KindLine, ...] = ()  # usage by kind, quantities only (bot.report.usage)
    caps: tuple[CapForecast, ...] = ()  # provider spend caps against this month (bot.caps), whatever the period
    cap_notes: tuple[str, ...] = ()  # why a provider's caps could not be read at its last sync
    estimates: Estimates | None = None  # usage at list price where the bill has no figure yet (bot.estimates)


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
