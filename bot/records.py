"""Normalized records: the one shape every provider module produces and the store consumes.

Provider quirks (cents vs dollars, nested cache fields, null ids) end at the provider module; past this
point a record means the same thing whichever API it came from.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

# Workspace/project id used for spend with no id: Anthropic's Default Workspace and OpenAI org-level costs.
# Stored as "" so it can sit in a primary key; shown as None (JSON null) by the report.
NO_WORKSPACE = ""
# Model "" marks a cost that belongs to no model (web search, code execution, storage...).
NO_MODEL = ""
# How people read the provider ids, in reports, notes and alerts alike.
PROVIDER_NAMES = {"anthropic": "Anthropic", "openai": "OpenAI"}


def provider_name(provider: str) -> str:
    return PROVIDER_NAMES.get(provider, provider.capitalize())


@dataclass(frozen=True, slots=True)
class CostRecord:
    """Billed cost for one UTC day at the finest grain the report needs."""

    provider: str
    day: date
    workspace_id: str  # NO_WORKSPACE for the Default Workspace / org-level cost
    model: str  # NO_MODEL for non-model costs
    item: str  # Anthropic "cost_type/token_type" or "description"; OpenAI raw line_item
    service_tier: str  # "" when the provider does not say
    amount_nano: int  # 1e-9 USD, see bot.money


@dataclass(frozen=True, slots=True)
class UsageRecord:
    """Token usage for one UTC day. input_tokens counts every input token, cached or not."""

    provider: str
    day: date
    workspace_id: str
    model: str
    service_tier: str
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    requests: int = 0


@dataclass(frozen=True, slots=True)
class CostGap:
    """Cost rows a provider sent for one day without an amount (OpenAI's schema allows it): counted as $0, and
    the report says so."""

    provider: str
    day: date
    rows: int


@dataclass(frozen=True, slots=True)
class Label:
    """The display name of a workspace (Anthropic) or project (OpenAI); archived ones are kept."""

    provider: str
    id: str
    name: str
    archived: bool = False


@dataclass(slots=True)
class ProviderData:
    """Everything one sync fetched from one provider for the days [start, end) (end exclusive).

    The store replaces exactly those days for that provider, so a day the provider revised or emptied
    leaves no stale rows behind.
    """

    provider: str
    start: date
    end: date
    costs: list[CostRecord] = field(default_factory=list)
    usage: list[UsageRecord] = field(default_factory=list)
    labels: list[Label] = field(default_factory=list)
    requests: int = 0  # HTTP requests made, for the sync-cost benchmark
    warnings: list[str] = field(default_factory=list)  # degraded but usable, e.g. project names unreadable
    cost_gaps: list[CostGap] = field(default_factory=list)  # days with cost rows that had no amount


@dataclass(frozen=True, slots=True)
class TokenTotals:
    input: int = 0  # every input token, cached or not
    output: int = 0
    cache_read: int = 0
    cache_write: int = 0


@dataclass(frozen=True, slots=True)
class SyncState:
    """The latest sync of one provider, as the sync log records it."""

    provider: str
    status: str  # "ok", "error" or "running"
    started_at: str  # ISO 8601 UTC, "2026-11-21T08:00:04Z"
    finished_at: str | None
    error: str | None  # one-line reason, no secrets
    last_success_at: str | None  # finished_at of the latest sync that succeeded
    rows: int = 0
