"""The alert rules (contract §5), as pure functions from the store's numbers to alert objects.

- Spike: the last 7 complete days against the 7 before, for the organization, each provider, each
  workspace/project and each model. It fires when the increase is at least `pct` percent AND at least
  `min_usd` dollars; a scope with no spend the week before and at least `min_usd` this week is a new spender.
- Budget: month to date crossing 50, 80 and 100 % of the budget, and a projected month end above it. The
  projection is bot.projection's; the projected warning fires only from this month's complete days, never from
  last month's rate or a few hours of data (which stand in for it at the start of a month). It lives in
  bot.alerts.budget_rules; the kind names and thresholds shared by both stay here.

Every alert has a stable identity (kind, scope, period), so the service can record it once and never post it
twice. Amounts are integer nano-dollars throughout; comparisons with the thresholds are exact.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import ClassVar

from bot.alerts.drivers import TOP_DRIVERS as TOP_DRIVERS
from bot.alerts.drivers import leading
from bot.alerts.spender_drivers import SpenderDriver
from bot.money import nano_to_usd, pct_change, usd_to_nano
from bot.periods import parse_period
from bot.records import NO_MODEL, NO_WORKSPACE, TOKEN_SHARE, Label
from bot.report import DEFAULT_WORKSPACE_NAMES, NON_MODEL_LABEL
from bot.safe_text import clean

SPIKE = "spike"
BUDGET = "budget"
BUDGET_THRESHOLDS = (50, 80, 100)
PROJECTED = "projected"
BREAKDOWN_ROWS = 25  # combinations kept for the Details thread; the rest is summed into one line
LEVELS = ("org", "provider", "workspace", "model", "key", "user")  # key and user: new spenders (spender_rules)

Combo = tuple[str, str, str]  # (provider, workspace_id, model), as store.scope_totals returns it


@dataclass(frozen=True, slots=True)
class Week:
    """The 7 most recent complete days and the 7 before them (inclusive UTC days)."""

    start: date
    end: date
    prev_start: date
    prev_end: date

    @property
    def key(self) -> str:
        return f"{self.start.isoformat()}..{self.end.isoformat()}"


def week_for(today: date) -> Week:
    period = parse_period("week", today)
    return Week(period.start, period.end, period.prev_start, period.prev_end)


@dataclass(frozen=True, slots=True)
class Driver:
    """One (provider, workspace, model) combination and what it spent in each week."""

    provider: str
    workspace_id: str
    workspace: str  # display name; archived workspaces keep their last name
    archived: bool
    model: str  # as stored: NO_MODEL ("") for spend that belongs to no model
    current: int
    previous: int

    @property
    def model_name(self) -> str:
        return model_name(self.model)

    @property
    def contribution(self) -> int:
        return self.current - self.previous

    @property
    def is_new(self) -> bool:
        return self.previous <= 0 < self.current

    @property
    def label(self) -> str:
        """'anthropic / batch-jobs / claude-opus-4-8': the provider's names in their clean one-line form."""
        archived = " (archived)" if self.archived else ""
        return f"{self.provider} / {clean(self.workspace)}{archived} / {clean(self.model_name)}"


@dataclass(frozen=True, slots=True)
class ScopeChange:
    """Week-over-week spend of one scope: the organization, a provider, a workspace/project or a model."""

    scope: str  # "org", "provider:openai", "workspace:anthropic:wrkspc_1", "model:anthropic:claude-opus-4-8"
    level: str  # one of LEVELS
    provider: str  # "" for the organization
    name: str  # display name
    archived: bool
    current: int
    previous: int
    basis: str = ""  # a key's or user's scope: BILLED or TOKEN_SHARE; "" for the billed scopes

    @property
    def increase(self) -> int:
        return self.current - self.previous

    @property
    def pct(self) -> Decimal | None:
        return pct_change(nano_to_usd(self.current), nano_to_usd(self.previous))

    @property
    def title(self) -> str:
        """'organization', 'provider openai', 'workspace batch-jobs (anthropic)', 'model gpt-5.5 (openai)'.

        Plain text with the name in its clean one-line form (bot.safe_text): each sink escapes it for itself."""
        if self.level == "org":
            return "organization"
        if self.level == "provider":
            return f"provider {clean(self.name)}"
        archived = ", archived" if self.archived else ""
        share = ", token share" if self.basis == TOKEN_SHARE else ""
        noun = "project" if self.level == "workspace" and self.provider == "openai" else self.level
        return f"{noun} {clean(self.name)} ({self.provider}{archived}{share})"


@dataclass(frozen=True, slots=True)
class SpikeAlert:
    kind: ClassVar[str] = SPIKE
    period: str  # Week.key
    change: ScopeChange
    new_spender: bool
    drivers: tuple[Driver, ...]  # the top contributions to this scope's increase, largest first
    other: int  # the rest of the increase (nano): everything not in `drivers`, net

    @property
    def scope(self) -> str:
        return self.change.scope

    @property
    def identity(self) -> tuple[str, str, str]:
        return (self.kind, self.scope, self.period)

    @property
    def mute_scope(self) -> str:
        return self.scope


@dataclass(frozen=True, slots=True)
class SpikeReport:
    """One spike evaluation: the organization's change, the scopes that fired and the full breakdown."""

    week: Week
    org: ScopeChange
    alerts: tuple[SpikeAlert, ...]  # organization first (when it fired), then by dollar increase
    breakdown: tuple[Driver, ...]  # the largest changes by combination, for the Details thread
    rest_count: int  # combinations not in `breakdown` that changed
    rest: int  # their net change (nano)
    pct: Decimal
    min_usd: Decimal
    excluded: tuple[str, ...] = ()  # providers left out: their synced data does not reach back two weeks
    spenders: tuple[SpenderDriver, ...] = ()  # the keys (and people, where allowed) whose spend rose most

    def only(self, alerts: Iterable[SpikeAlert]) -> SpikeReport:
        """The same evaluation holding just `alerts` (a follow-up message for scopes that fired later)."""
        return replace(self, alerts=tuple(alerts))


def evaluate_spikes(
    current: Mapping[Combo, int],
    previous: Mapping[Combo, int],
    *,
    labels: Mapping[tuple[str, str], Label],
    week: Week,
    pct: Decimal,
    min_usd: Decimal,
    excluded: Iterable[str] = (),
) -> SpikeReport:
    """Every scope whose spend rose past both thresholds, or that is a new spender, for `week`."""
    skip = set(excluded)
    min_nano = usd_to_nano(min_usd)
    combos = sorted({c for c in (*current, *previous) if c[0] not in skip})
    drivers = [_driver(c, current.get(c, 0), previous.get(c, 0), labels) for c in combos]
    changes = _scope_changes(drivers, labels)
    alerts = []
    for change, members in changes:
        new = change.previous <= 0
        fired = change.current >= min_nano if new else _is_spike(change, pct, min_nano)
        if fired:
            top, other = _top_drivers(members, change.increase)
            alerts.append(SpikeAlert(week.key, change, new, top, other))
    alerts.sort(key=lambda a: (a.change.level != "org", -a.change.increase, LEVELS.index(a.change.level), a.scope))
    moved = sorted((d for d in drivers if d.contribution != 0), key=lambda d: (-d.contribution, d.label))
    org = changes[0][0]
    return SpikeReport(
        week=week,
        org=org,
        alerts=tuple(alerts),
        breakdown=tuple(moved[:BREAKDOWN_ROWS]),
        rest_count=max(0, len(moved) - BREAKDOWN_ROWS),
        rest=sum(d.contribution for d in moved[BREAKDOWN_ROWS:]),
        pct=pct,
        min_usd=min_usd,
        excluded=tuple(sorted(skip)),
    )


def _is_spike(change: ScopeChange, pct: Decimal, min_nano: int) -> bool:
    # exact: increase / previous * 100 >= pct, without dividing
    return change.increase >= min_nano and change.increase * 100 >= pct * change.previous


def workspace_name(provider: str, workspace_id: str, labels: Mapping[tuple[str, str], Label]) -> tuple[str, bool]:
    """(display name, archived) the way the report names workspaces and projects."""
    if workspace_id == NO_WORKSPACE:
        return DEFAULT_WORKSPACE_NAMES.get(provider, "Default"), False
    label = labels.get((provider, workspace_id))
    if label is None:
        return workspace_id, False
    return label.name or workspace_id, label.archived


def model_name(model: str) -> str:
    return NON_MODEL_LABEL if model == NO_MODEL else model


def _driver(combo: Combo, current: int, previous: int, labels: Mapping[tuple[str, str], Label]) -> Driver:
    provider, workspace_id, model = combo
    name, archived = workspace_name(provider, workspace_id, labels)
    return Driver(provider, workspace_id, name, archived, model, current, previous)


def _scope_changes(
    drivers: list[Driver], labels: Mapping[tuple[str, str], Label]
) -> list[tuple[ScopeChange, list[Driver]]]:
    """Every scope at every level with the combinations inside it; the organization comes first."""
    groups: dict[tuple[str, str, str], list[Driver]] = defaultdict(list)
    for d in drivers:
        groups[("org", "", "")].append(d)
        groups[("provider", d.provider, "")].append(d)
        groups[("workspace", d.provider, d.workspace_id)].append(d)
        groups[("model", d.provider, d.model)].append(d)
    groups.setdefault(("org", "", ""), [])
    out = []
    for (level, provider, key), members in sorted(groups.items(), key=lambda kv: (LEVELS.index(kv[0][0]), kv[0])):
        name, archived, scope = "organization", False, "org"
        if level == "provider":
            name, scope = provider, f"provider:{provider}"
        elif level == "workspace":
            name, archived = workspace_name(provider, key, labels)
            scope = f"workspace:{provider}:{key}"
        elif level == "model":
            name, scope = model_name(key), f"model:{provider}:{key}"
        change = ScopeChange(
            scope=scope,
            level=level,
            provider=provider,
            name=name,
            archived=archived,
            current=sum(d.current for d in members),
            previous=sum(d.previous for d in members),
        )
        out.append((change, members))
    return out


def _top_drivers(members: list[Driver], increase: int) -> tuple[tuple[Driver, ...], int]:
    return leading(members, increase)  # drivers under 5 % of the change or $1 fold into "other"


def share_pct(part: int, whole: int) -> int:
    """Whole percent of `whole` that `part` makes up, rounded half up; 0 when there is no whole."""
    if whole == 0:
        return 0
    return math.floor(Decimal(part) * 100 / Decimal(whole) + Decimal("0.5"))
