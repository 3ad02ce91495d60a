"""Accumulates parsed rows into records, summing rows that share a grain key within a day.

A provider can split one grain over several rows (e.g. OpenAI line items that map to the same model, or
a day that arrives on two pages); records are unique per key, which is what the store expects.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import date
from itertools import pairwise
from typing import TypeVar

from bot.providers.kinds import KindSums
from bot.providers.priced import Priced
from bot.records import (
    KEY,
    USER,
    CostGap,
    CostRecord,
    Label,
    ProviderData,
    SpenderBasis,
    SpenderCost,
    SpenderLabel,
    SpenderUsage,
    UsageRecord,
)
from bot.spill import COSTS, SPENDER_USAGE, USAGE, RecordSpill, spender_costs

MAX_COUNT = 10**15
CostKey = tuple[date, str, str, str, str]  # day, workspace_id, model, item, service_tier
UsageKey = tuple[date, str, str, str]  # day, workspace_id, model, service_tier
SpenderKey = tuple[date, str, str, str, str]  # day, kind (KEY/USER), spender_id, workspace_id, model
_Spent = TypeVar("_Spent", SpenderUsage, SpenderCost)


@dataclass(slots=True)
class Tokens:
    input: int = 0
    output: int = 0
    cache_read: int = 0
    cache_write: int = 0
    requests: int = 0

    def add(self, other: Tokens) -> None:
        self.input += other.input
        self.output += other.output
        self.cache_read += other.cache_read
        self.cache_write += other.cache_write
        self.requests += other.requests


@dataclass(slots=True)
class Spenders:
    """Who spent it (issue 11): spender rows summed per grain key, with the labels and per-kind basis a fetch
    found. Apart from the cost/usage sums so a provider adds spender data without touching those.

    Like Collected, the sums of a part become records when it is sealed (a usage bucket or an analytics chunk
    ends, each covering whole days), so a 2,000-key backfill keeps one compact copy instead of sums and records
    at once; records come out in key order either way."""

    usage: dict[SpenderKey, Tokens] = field(default_factory=dict)
    costs: dict[SpenderKey, int] = field(default_factory=dict)
    usage_records: list[SpenderUsage] = field(default_factory=list)
    cost_records: list[SpenderCost] = field(default_factory=list)
    labels: dict[tuple[str, str], SpenderLabel] = field(default_factory=dict)
    basis: dict[str, SpenderBasis] = field(default_factory=dict)
    # kinds whose cost endpoint refused this fetch (in any chunk): their cost rows are dropped, the refusal's basis
    # stands, so chunks fetched concurrently reach one answer for the whole window
    refused: set[str] = field(default_factory=set)

    def add_usage(self, key: SpenderKey, tokens: Tokens) -> None:
        self.usage.setdefault(_interned(key), Tokens()).add(tokens)

    def add_cost(self, key: SpenderKey, amount_nano: int) -> None:
        key = _interned(key)
        self.costs[key] = self.costs.get(key, 0) + amount_nano

    def add_label(self, label: SpenderLabel) -> None:
        self.labels[(label.kind, label.id)] = label

    def set_basis(self, basis: SpenderBasis, *, refused: bool = False) -> None:
        if refused:
            self.refused.add(basis.kind)
        if refused or basis.kind not in self.refused:
            self.basis[basis.kind] = basis

    def seal(self, provider: str, spill: RecordSpill | None = None) -> None:
        """Move the sums into records, in key order, and drop the sums: the days summed so far are complete.
        With a spill, the records go there instead of into the lists (issue 11 §7)."""
        usage = [
            SpenderUsage(provider, d, kind, who, ws, model, t.input, t.output, t.cache_read, t.cache_write, t.requests)
            for (d, kind, who, ws, model), t in sorted(self.usage.items(), key=lambda kv: kv[0])
        ]
        costs = [
            SpenderCost(provider, d, kind, who, ws, model, amount)
            for (d, kind, who, ws, model), amount in sorted(self.costs.items())
        ]
        self.usage, self.costs = {}, {}
        if spill is None:
            self.usage_records += usage
            self.cost_records += costs
            return
        spill.add(SPENDER_USAGE, usage)
        for kind in (KEY, USER):
            spill.add(spender_costs(kind), [c for c in costs if c.kind == kind])

    def merge(self, other: Spenders) -> None:
        for key, tokens in other.usage.items():
            self.usage.setdefault(key, Tokens()).add(tokens)
        for key, amount in other.costs.items():
            self.costs[key] = self.costs.get(key, 0) + amount
        self.usage_records += other.usage_records
        self.cost_records += other.cost_records
        self.labels.update(other.labels)
        for kind, basis in other.basis.items():
            self.set_basis(basis, refused=kind in other.refused)
        other.usage, other.costs, other.labels, other.basis, other.refused = {}, {}, {}, {}, set()
        other.usage_records, other.cost_records = [], []

    def fill(self, data: ProviderData) -> None:
        """Put the records into `data`, in key order, and drop the sums."""
        self.seal(data.provider, data.spilled)
        if data.spilled is not None:
            for kind in self.refused:
                data.spilled.discard(spender_costs(kind))
        usage, costs = self.usage_records, self.cost_records
        self.usage_records, self.cost_records = [], []
        # sealed parts cover disjoint days, oldest first, as day_chunks and the buckets give them; should a
        # provider answer out of order, sort (the records' grain keys are unique, so the order is the same)
        _in_key_order(usage)
        _in_key_order(costs)
        data.spender_usage = usage
        data.spender_costs = [c for c in costs if c.kind not in self.refused] if self.refused else costs
        data.spender_labels = [self.labels[k] for k in sorted(self.labels)]
        data.spender_basis = [self.basis[k] for k in sorted(self.basis)]


def _grain(record: SpenderUsage | SpenderCost) -> SpenderKey:
    return (record.day, record.kind, record.spender_id, record.workspace_id, record.model)


def _in_key_order(records: list[_Spent]) -> None:
    if any(_grain(a) > _grain(b) for a, b in pairwise(records)):
        records.sort(key=_grain)


@dataclass(slots=True)
class Collected:
    """Sums per grain key while a day's rows are read; `seal` turns them into records once the day is complete.

    A 400-day fetch of a large organization has ~250k keys per provider: sealing each day as its bucket ends,
    and merging records rather than sums, keeps one compact copy of the data instead of sums, keys and records
    at once (issue 6). Sealed parts must cover disjoint days, oldest first, as day_chunks and the APIs' buckets
    give them; records then come out in key order, as they did when everything was sorted at the end.
    """

    costs: dict[CostKey, int] = field(default_factory=dict)
    usage: dict[UsageKey, Tokens] = field(default_factory=dict)
    labels: dict[str, Label] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    gaps: dict[date, int] = field(default_factory=dict)  # day -> cost rows without an amount
    cost_records: list[CostRecord] = field(default_factory=list)
    usage_records: list[UsageRecord] = field(default_factory=list)
    spenders: Spenders = field(default_factory=lambda: Spenders())  # who spent it (issue 11)
    kinds: KindSums = field(default_factory=lambda: KindSums())  # usage by kind (bot.usage_kinds)
    priced: Priced = field(default_factory=lambda: Priced())  # usage at the grain estimates price (issue 14)

    def add_cost(self, key: CostKey, amount_nano: int) -> None:
        day, workspace, model, item, tier = key
        # the same few ids and names repeat on every row: one shared string each, not one per row (issue 6)
        key = (day, _intern(workspace), _intern(model), _intern(item), _intern(tier))
        self.costs[key] = self.costs.get(key, 0) + amount_nano

    def add_usage(self, key: UsageKey, tokens: Tokens) -> None:
        day, workspace, model, tier = key
        key = (day, _intern(workspace), _intern(model), _intern(tier))
        self.usage.setdefault(key, Tokens()).add(tokens)

    def add_gap(self, day: date) -> None:
        """A cost row of `day` came without an amount: it counts as no cost, and the report will say so."""
        self.gaps[day] = self.gaps.get(day, 0) + 1

    def add_label(self, label: Label) -> None:
        self.labels[label.id] = label

    def seal(self, provider: str, spill: RecordSpill | None = None) -> Collected:
        """Move the sums into records, in key order, and drop the sums; with a spill, the records go there."""
        costs = [
            CostRecord(provider, day, workspace, model, item, tier, amount)
            for (day, workspace, model, item, tier), amount in sorted(self.costs.items())
        ]
        usage = [
            UsageRecord(
                provider, day, workspace, model, tier, t.input, t.output, t.cache_read, t.cache_write, t.requests
            )
            for (day, workspace, model, tier), t in sorted(self.usage.items(), key=lambda kv: kv[0])
        ]
        self.costs, self.usage = {}, {}
        if spill is None:
            self.cost_records += costs
            self.usage_records += usage
        else:
            spill.add(COSTS, costs)
            spill.add(USAGE, usage)
        self.spenders.seal(provider, spill)
        self.kinds.seal(provider, spill)
        self.priced.seal(provider, spill)
        return self

    def merge(self, other: Collected) -> None:
        """Add `other` into this one, emptying it (its entries move rather than being copied)."""
        for cost_key, amount in other.costs.items():
            self.costs[cost_key] = self.costs.get(cost_key, 0) + amount
        for usage_key, tokens in other.usage.items():
            self.usage.setdefault(usage_key, Tokens()).add(tokens)
        self.cost_records += other.cost_records
        self.usage_records += other.usage_records
        other.costs, other.usage, other.cost_records, other.usage_records = {}, {}, [], []
        self.labels.update(other.labels)
        self.spenders.merge(other.spenders)
        self.kinds.merge(other.kinds)
        self.priced.merge(other.priced)
        self.warnings.extend(other.warnings)
        for day, rows in other.gaps.items():
            self.gaps[day] = self.gaps.get(day, 0) + rows

    def to_data(
        self, provider: str, start: date, end: date, requests: int, spill: RecordSpill | None = None
    ) -> ProviderData:
        """The fetch as ProviderData; with `spill`, what is left goes there too and the data reads it back."""
        self.seal(provider, spill)
        labels = [self.labels[key] for key in sorted(self.labels)]
        costs, usage = self.cost_records, self.usage_records
        self.cost_records, self.usage_records = [], []
        gaps = [CostGap(provider, day, rows) for day, rows in sorted(self.gaps.items())]
        data = ProviderData(provider, start, end, costs, usage, labels, requests, list(self.warnings), gaps)
        data.spilled = spill
        self.spenders.fill(data)
        self.kinds.fill(data)
        data.priced_refused = self.priced.refused
        data.priced_usage = self.priced.take(provider, spill)
        return data


def opt_text(value: object) -> str | None:
    """A group key as text: null becomes "" (Default Workspace, org-level, no model); None if not a string."""
    if value is None:
        return ""
    return value if isinstance(value, str) else None


def count(value: object) -> int | None:
    """A token or request count: missing/null is 0; None if it is not a non-negative integer."""
    if value is None:
        return 0
    # the bound keeps garbage out of SQLite's 64-bit integers (and their sums); no day has 10^15 tokens
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < MAX_COUNT:
        return value
    return None


_intern = sys.intern


def _interned(key: SpenderKey) -> SpenderKey:
    day, kind, who, ws, model = key
    return (day, _intern(kind), _intern(who), _intern(ws), _intern(model))
