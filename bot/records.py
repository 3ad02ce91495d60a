"""Normalized records: the one shape every provider module produces and the store consumes.

Provider quirks (cents vs dollars, nested cache fields, null ids) end at the provider module; past this
point a record means the same thing whichever API it came from.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from bot import spill
from bot.spill import RecordSpill

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
class KindUsage:
    """One metric of one usage kind (bot.usage_kinds) for one UTC day: OpenAI's images, audio, embeddings, vector
    storage…, completions by service tier and batch; Anthropic's tokens by context window and inference geo."""

    provider: str
    day: date
    kind: str  # a bot.usage_kinds name: "images", "vector_stores", "messages", "web_search"…
    workspace_id: str  # NO_WORKSPACE as for UsageRecord
    model: str  # NO_MODEL when the endpoint has no model
    service_tier: str  # "" when the endpoint does not report it
    batch: bool | None  # None when the endpoint does not report it
    detail: str  # the kind's own dimensions, "size=1024x1024; source=image.generation"; "" when none
    metric: str  # the count as the API names it: "images", "usage_bytes", "num_model_requests"…
    quantity: int


@dataclass(frozen=True, slots=True)
class PricedUsage:
    """Usage of one UTC day at the grain a price list needs (issue 14): model, service tier, batch, context window,
    inference geo and every token type a price applies to. The estimates (bot.estimates) price these rows; they are
    never billed cost.

    OpenAI has no context window or geo here ("") and its cache writes are `cache_write_5m` (its short retention).
    """

    provider: str
    day: date
    model: str
    service_tier: str  # "" when the provider does not say
    batch: bool  # Anthropic: service_tier "batch"; OpenAI: the usage row's `batch`
    context_window: str  # Anthropic "0-200k" / "200k-1M"; "" when not reported
    inference_geo: str  # Anthropic "global" / "us" / "not_available"; "" when not reported
    uncached_input: int  # input tokens neither read from nor written to the cache
    cache_read: int
    cache_write_5m: int
    cache_write_1h: int
    output: int
    web_searches: int = 0
    requests: int = 0


@dataclass(frozen=True, slots=True)
class CostGap:
    """Cost rows a provider sent for one day without an amount (OpenAI's schema allows it): counted as $0, and
    the report says so."""

    provider: str
    day: date
    rows: int


# Spender kinds (issue 11: who spent it). A key is an API key; a user is a person; a service account owns keys.
KEY = "key"
USER = "user"
SERVICE_ACCOUNT = "service_account"
# Spender id for usage with no key: Anthropic's Console / Workbench (api_key_id null). Shown as "Console / Workbench".
NO_KEY = ""
# How a spender's dollars were found (CONTRACT §4 `basis`): the provider's cost endpoint grouped by the spender,
# or the billed total split by the spender's share of tokens (never a billed figure; labelled everywhere).
BILLED = "billed"
TOKEN_SHARE = "token_share"


@dataclass(frozen=True, slots=True)
class SpenderUsage:
    """Token usage of one spender (an API key or a user) for one UTC day, workspace/project and model."""

    provider: str
    day: date
    kind: str  # KEY or USER
    spender_id: str  # NO_KEY for Anthropic's Console / Workbench usage
    workspace_id: str  # NO_WORKSPACE as for UsageRecord
    model: str
    input_tokens: int  # every input token, cached or not, as UsageRecord
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int
    requests: int = 0


@dataclass(frozen=True, slots=True)
class SpenderCost:
    """Billed cost of one spender for one UTC day, from a cost endpoint that groups by the spender.

    Only produced when the provider's cost endpoint itself gives the figure (Anthropic's analytics cost API,
    OpenAI costs grouped by api_key_id); never an estimate.
    """

    provider: str
    day: date
    kind: str  # KEY or USER
    spender_id: str
    workspace_id: str
    model: str  # NO_MODEL when the endpoint does not split by model
    amount_nano: int


@dataclass(frozen=True, slots=True)
class SpenderLabel:
    """The name of an API key, user or service account; like workspace labels, archived ones keep their name.

    `email` is personal data: stored for the people who may see it (CONTRACT §2), never logged.
    """

    provider: str
    kind: str  # KEY, USER or SERVICE_ACCOUNT
    id: str
    name: str
    workspace_id: str = NO_WORKSPACE  # a key's workspace (Anthropic) or project (OpenAI)
    owner_kind: str = ""  # a key's owner: USER, SERVICE_ACCOUNT or "" when unknown
    owner_id: str = ""
    email: str | None = None
    status: str = ""  # as the provider says: active, archived, expired, inactive, deleted...


@dataclass(frozen=True, slots=True)
class SpenderBasis:
    """Whether this sync's window has billed per-spender cost for `kind`, and why not when it has not.

    `basis` is BILLED when SpenderCost rows for `kind` cover the window (zero rows then mean zero cost), else
    TOKEN_SHARE with `reason`, the one sentence the report and doctor show (e.g. the beta API was refused).
    """

    provider: str
    kind: str
    basis: str
    reason: str | None = None


# Claude Code actors (Anthropic's Claude Code Analytics API): a person by email, or an API key by its name.
USER_ACTOR = "user_actor"
API_ACTOR = "api_actor"


@dataclass(frozen=True, slots=True)
class ClaudeCodeModel:
    """One model's share of a Claude Code day: tokens and Anthropic's *estimated* cost (never billed cost)."""

    model: str
    input_tokens: int
    output_tokens: int
    cache_read_tokens: int
    cache_write_tokens: int  # the API's `cache_creation`
    estimated_cost_nano: int


@dataclass(frozen=True, slots=True)
class ClaudeCodeDay:
    """One actor's Claude Code activity on one UTC day (Anthropic's Claude Code Analytics API).

    `actor` is an email address for USER_ACTOR (personal data: shown only to those who may see people, never
    logged) or an API key's name for API_ACTOR. The estimates in `models` never enter a billed total.
    """

    provider: str
    day: date
    actor_type: str  # USER_ACTOR or API_ACTOR
    actor: str
    customer_type: str  # "api" or "subscription"
    terminal_type: str
    sessions: int
    lines_added: int
    lines_removed: int
    commits: int
    pull_requests: int
    edits_accepted: int  # every file-editing tool's proposals (edit, multi-edit, write, notebook edit)
    edits_rejected: int
    models: tuple[ClaudeCodeModel, ...] = ()


@dataclass(frozen=True, slots=True)
class ClaudeCodeActorSums:
    """One actor's activity summed over a range of days, with Anthropic's estimated cost."""

    provider: str
    actor_type: str
    actor: str
    sessions: int
    lines_added: int
    lines_removed: int
    commits: int
    pull_requests: int
    edits_accepted: int
    edits_rejected: int
    estimated_nano: int


@dataclass(frozen=True, slots=True)
class ClaudeCodeStatus:
    provider: str
    unavailable: str | None  # the last sync's reason it could not read the API; None when it could
    first_day: date | None  # the first day ever fetched (history is capped)
    checked_at: str


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
    # who spent it (issue 11); an empty list with no SpenderBasis for a kind means "not fetched", not zero
    spender_usage: list[SpenderUsage] = field(default_factory=list)
    spender_costs: list[SpenderCost] = field(default_factory=list)
    spender_labels: list[SpenderLabel] = field(default_factory=list)
    spender_basis: list[SpenderBasis] = field(default_factory=list)
    # Claude Code activity (Anthropic only) for the days [claude_code_start, end); claude_code_start None means
    # it was not fetched (the store then leaves what it has). `claude_code_unavailable` is the one sentence
    # saying why the API could not be read (e.g. HTTP 403); the store keeps its earlier rows then.
    claude_code: list[ClaudeCodeDay] = field(default_factory=list)
    claude_code_start: date | None = None
    claude_code_unavailable: str | None = None
    # usage by kind (bot.usage_kinds): the store replaces the window's rows of the kinds in `usage_kinds_fetched`
    # only; a kind the provider refused (a 4xx other than auth) is in `usage_kinds_unavailable` with the one
    # sentence saying why, and keeps its earlier rows
    usage_kinds: list[KindUsage] = field(default_factory=list)
    usage_kinds_fetched: tuple[str, ...] = ()
    usage_kinds_unavailable: dict[str, str] = field(default_factory=dict)
    # spend caps as they are now (issue 13), read after the window; None: not read (the store keeps its caps)
    caps: CapsFetch | None = None
    priced_usage: list[PricedUsage] = field(default_factory=list)  # usage at the grain estimates price (issue 14)
    priced_refused: bool = False  # its request was refused (a note): the store keeps the window's earlier rows

    # records a fetch given a RecordSpill set aside on disk instead of in the lists above (issue 11 §7); the
    # all_* iterators give both, which is what the store writes
    spilled: RecordSpill | None = None

    def all_costs(self) -> Iterator[CostRecord]:
        yield from self.costs
        if self.spilled is not None:
            yield from self.spilled.records(spill.COSTS, CostRecord)

    def all_usage(self) -> Iterator[UsageRecord]:
        yield from self.usage
        if self.spilled is not None:
            yield from self.spilled.records(spill.USAGE, UsageRecord)

    def all_spender_usage(self) -> Iterator[SpenderUsage]:
        yield from self.spender_usage
        if self.spilled is not None:
            yield from self.spilled.records(spill.SPENDER_USAGE, SpenderUsage)

    def all_spender_costs(self) -> Iterator[SpenderCost]:
        yield from self.spender_costs
        if self.spilled is not None:
            for kind in (KEY, USER):
                yield from self.spilled.records(spill.spender_costs(kind), SpenderCost)

    def all_usage_kinds(self) -> Iterator[KindUsage]:
        yield from self.usage_kinds
        if self.spilled is not None:
            for tag in self.spilled.tags(spill.KIND_USAGE):
                yield from self.spilled.records(tag, KindUsage)

    def all_priced_usage(self) -> Iterator[PricedUsage]:
        yield from self.priced_usage
        if self.spilled is not None:
            yield from self.spilled.records(spill.PRICED_USAGE, PricedUsage)

    def fetched_rows(self) -> int:
        """Cost and usage records fetched, in the lists and set aside."""
        spilled = 0 if self.spilled is None else self.spilled.count(spill.COSTS) + self.spilled.count(spill.USAGE)
        return len(self.costs) + len(self.usage) + spilled


# Provider spend caps (issue 13): the scopes aispend reads, and the one period it forecasts.
ORG_SCOPE = "organization"
WORKSPACE_SCOPE = "workspace"  # an Anthropic workspace or an OpenAI project
MONTHLY = "month"


@dataclass(frozen=True, slots=True)
class SpendCap:
    """A hard spend limit the provider enforces on the organization or one workspace/project (read only).

    `limit_nano` is the cap in 1e-9 USD; `enforced` is False when the provider says it does not apply now (Anthropic
    `is_enabled: false`, OpenAI `enforcement.status: inactive`). Scopes without a numeric cap are not records.
    """

    provider: str
    scope: str  # ORG_SCOPE or WORKSPACE_SCOPE
    scope_id: str  # the workspace/project id; "" for the organization
    limit_nano: int
    period: str  # MONTHLY, "week" or "day" (Anthropic's daily/weekly limits)
    enforced: bool = True
    cap_id: str = ""  # the provider's id of the limit (Anthropic `spl_…`); "" when it has none


@dataclass(frozen=True, slots=True)
class CapsFetch:
    """One read of a provider's spend caps: `caps` None means they could not be read (`note` says why, in one
    sentence); `refused` tells a refusal (the key may not read them: stored caps are dropped) from a failure
    (network, a bad answer: stored caps are kept)."""

    provider: str
    caps: tuple[SpendCap, ...] | None
    note: str | None = None
    refused: bool = False
    requests: int = 0


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
