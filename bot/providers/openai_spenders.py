"""Who spent it on OpenAI: usage by API key and user, billed cost by key, and the names of keys, service
accounts and users, turned into the shared spender records (bot.records).

One usage request grouped by `api_key_id` and `user_id` (with `project_id` and `model`) gives rows per
(key, user) that sum to both views, and to the existing UsageRecords, exactly (tokens are integers). Cost by
key comes from costs `group_by=api_key_id` (with `line_item` and `project_id`, so each key's cost has its
model); where the organization refuses that grouping (HTTP 400), per-key figures are token shares. OpenAI's
costs never group by user, so users are always token shares.

Null ids keep a name of their own: `api_key_id: null` (Playground use, and costs no key spent, such as
org-level items) is "No API key"; `user_id: null` (usage of a service account's key, which names no person)
is "No user". The names of keys, service accounts and users are read by openai_names.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import date

from bot.providers.collect import Collected, Tokens
from bot.records import (
    BILLED,
    KEY,
    NO_KEY,
    TOKEN_SHARE,
    USER,
    ProviderData,
    SpenderBasis,
    SpenderCost,
    SpenderLabel,
    SpenderUsage,
)
from bot.spill import SPENDER_USAGE, RecordSpill, spender_costs

NO_USER = ""
NO_KEY_NAME = "No API key"
NO_USER_NAME = "No user"
KEY_COST_REFUSED = (
    "OpenAI refused cost by API key for this organization (HTTP {status}), so per-key figures are token shares "
    "of the billed total, not billed cost."
)
USER_COST_NONE = (
    "OpenAI's cost API does not split cost by user, so per-user figures are token shares of the billed total, "
    "not billed cost."
)
_intern = sys.intern
UsageKey = tuple[date, str, str, str, str]  # day, kind, spender id, project, model
CostKey = tuple[date, str, str, str]  # day, key id, project, model


@dataclass(slots=True)
class Spenders:
    """Spender sums of one job while a day is read, sealed into records when its bucket ends (as Collected
    does: a 2,000-key backfill keeps one compact copy, not sums and records at once); merged once per fetch.
    Sealed parts cover disjoint days, oldest first, so the records come out in key order."""

    usage: dict[UsageKey, Tokens] = field(default_factory=dict)
    costs: dict[CostKey, int] = field(default_factory=dict)
    usage_records: list[SpenderUsage] = field(default_factory=list)
    cost_records: list[SpenderCost] = field(default_factory=list)
    key_projects: set[str] = field(default_factory=set)  # projects whose keys spent in the window
    labels: dict[tuple[str, str], SpenderLabel] = field(default_factory=dict)
    null_key: bool = False  # some usage or cost had api_key_id null
    null_user: bool = False  # some usage had user_id null

    def add_usage(self, day: date, key: str, user: str, project: str, model: str, tokens: Tokens) -> None:
        # the same ids repeat on every row: one shared string each, not one per row (issue 6)
        key, user, project, model = _intern(key), _intern(user), _intern(project), _intern(model)
        for kind, spender in ((KEY, key), (USER, user)):
            self.usage.setdefault((day, kind, spender, project, model), Tokens()).add(tokens)
        self.null_key |= key == NO_KEY
        self.null_user |= user == NO_USER
        if key and project:
            self.key_projects.add(project)

    def add_cost(self, day: date, key: str, project: str, model: str, amount_nano: int) -> None:
        key, project, model = _intern(key), _intern(project), _intern(model)
        self.costs[(day, key, project, model)] = self.costs.get((day, key, project, model), 0) + amount_nano
        self.null_key |= key == NO_KEY
        if key and project:
            self.key_projects.add(project)

    def add_label(self, label: SpenderLabel) -> None:
        self.labels[(label.kind, label.id)] = label

    def seal(self, provider: str, spill: RecordSpill | None = None) -> None:
        """Move the sums into records, in key order, and drop the sums; with a spill, the records go there."""
        usage = [
            SpenderUsage(provider, day, kind, spender, project, model, t.input, t.output, t.cache_read,
                         t.cache_write, t.requests)
            for (day, kind, spender, project, model), t in sorted(self.usage.items())
        ]  # fmt: skip
        costs = [
            SpenderCost(provider, day, KEY, key, project, model, amount)
            for (day, key, project, model), amount in sorted(self.costs.items())
        ]
        self.usage, self.costs = {}, {}
        if spill is None:
            self.usage_records += usage
            self.cost_records += costs
        else:
            spill.add(SPENDER_USAGE, usage)
            spill.add(spender_costs(KEY), costs)

    def merge(self, other: Spenders) -> None:
        """Add a sealed `other` into this one (its records move rather than being copied)."""
        self.usage_records += other.usage_records
        self.cost_records += other.cost_records
        other.usage_records, other.cost_records = [], []
        self.key_projects |= other.key_projects
        self.labels.update(other.labels)
        self.null_key |= other.null_key
        self.null_user |= other.null_user

    def fill(self, data: ProviderData, key_costs: bool | None, refused_status: int | None) -> None:
        """Put the records into `data`; `key_costs` is whether costs grouped by key were read (None: no cost
        request was made), `refused_status` the HTTP status that refused them."""
        provider = data.provider
        self.seal(provider, data.spilled)
        if self.null_key:
            self.add_label(SpenderLabel(provider, KEY, NO_KEY, NO_KEY_NAME))
        if self.null_user:
            self.add_label(SpenderLabel(provider, USER, NO_USER, NO_USER_NAME))
        data.spender_usage, data.spender_costs = self.usage_records, self.cost_records
        self.usage_records, self.cost_records = [], []
        data.spender_labels = [self.labels[k] for k in sorted(self.labels)]
        if key_costs is not None:
            reason = None if key_costs else KEY_COST_REFUSED.format(status=refused_status)
            data.spender_basis.append(SpenderBasis(provider, KEY, BILLED if key_costs else TOKEN_SHARE, reason))
        if data.start < data.end:
            data.spender_basis.append(SpenderBasis(provider, USER, TOKEN_SHARE, USER_COST_NONE))


@dataclass(slots=True)
class Part:
    """What one fetch job read."""

    collected: Collected = field(default_factory=Collected)
    spenders: Spenders = field(default_factory=Spenders)
