"""Accumulates parsed rows into records, summing rows that share a grain key within a day.

A provider can split one grain over several rows (e.g. OpenAI line items that map to the same model, or
a day that arrives on two pages); records are unique per key, which is what the store expects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from bot.records import CostRecord, Label, ProviderData, UsageRecord

MAX_COUNT = 10**15
CostKey = tuple[date, str, str, str, str]  # day, workspace_id, model, item, service_tier
UsageKey = tuple[date, str, str, str]  # day, workspace_id, model, service_tier


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
class Collected:
    costs: dict[CostKey, int] = field(default_factory=dict)
    usage: dict[UsageKey, Tokens] = field(default_factory=dict)
    labels: dict[str, Label] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def add_cost(self, key: CostKey, amount_nano: int) -> None:
        self.costs[key] = self.costs.get(key, 0) + amount_nano

    def add_usage(self, key: UsageKey, tokens: Tokens) -> None:
        self.usage.setdefault(key, Tokens()).add(tokens)

    def add_label(self, label: Label) -> None:
        self.labels[label.id] = label

    def merge(self, other: Collected) -> None:
        for cost_key, amount in other.costs.items():
            self.add_cost(cost_key, amount)
        for usage_key, tokens in other.usage.items():
            self.add_usage(usage_key, tokens)
        self.labels.update(other.labels)
        self.warnings.extend(other.warnings)

    def to_data(self, provider: str, start: date, end: date, requests: int) -> ProviderData:
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
        labels = [self.labels[key] for key in sorted(self.labels)]
        return ProviderData(provider, start, end, costs, usage, labels, requests, list(self.warnings))


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
