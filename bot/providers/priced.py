"""Usage summed at the grain a price list needs (issue 14), beside the report's usage sums in `Collected`.

The report's usage is per (workspace, model, tier) with cache writes summed; a price needs the model, service
tier, batch, context window, inference geo and 5-minute vs 1-hour cache writes instead, and no workspace. The
rows are summed per that grain within a day and become PricedUsage records when the day's bucket is sealed.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import date

from bot.records import PricedUsage
from bot.spill import PRICED_USAGE, RecordSpill

# day, model, service_tier, batch, context_window, inference_geo
PricedKey = tuple[date, str, str, bool, str, str]
# uncached input, cache read, 5m write, 1h write, output, web searches, requests
_FIELDS = 7


@dataclass(slots=True)
class Priced:
    sums: dict[PricedKey, list[int]] = field(default_factory=dict)
    records: list[PricedUsage] = field(default_factory=list)
    refused: bool = False  # the provider refused the request they come from: the store keeps its earlier rows

    def add(
        self,
        key: PricedKey,
        *,
        uncached: int,
        cache_read: int,
        write_5m: int,
        write_1h: int,
        output: int,
        web_searches: int = 0,
        requests: int = 0,
    ) -> None:
        day, model, tier, batch, window, geo = key
        key = (day, sys.intern(model), sys.intern(tier), batch, sys.intern(window), sys.intern(geo))
        counts = self.sums.setdefault(key, [0] * _FIELDS)
        for i, value in enumerate((uncached, cache_read, write_5m, write_1h, output, web_searches, requests)):
            counts[i] += value

    def seal(self, provider: str, spill: RecordSpill | None = None) -> None:
        """Move the sums into records and drop the sums; with a spill, the records go there (issue 11 §7)."""
        records = [PricedUsage(provider, *key, *counts) for key, counts in sorted(self.sums.items())]
        self.sums = {}
        if spill is None:
            self.records += records
        else:
            spill.add(PRICED_USAGE, records)

    def merge(self, other: Priced) -> None:
        for key, counts in other.sums.items():
            mine = self.sums.setdefault(key, [0] * _FIELDS)
            for i, value in enumerate(counts):
                mine[i] += value
        self.records += other.records
        self.refused |= other.refused
        other.sums, other.records = {}, []

    def take(self, provider: str, spill: RecordSpill | None = None) -> list[PricedUsage]:
        """Every record held, in day order (parts cover disjoint days but may come in any order). A refusal in any
        part voids the window's records, set aside ones included: the store keeps its earlier rows for the whole
        window rather than adding a partial window to them."""
        self.seal(provider, spill)
        if self.refused:
            if spill is not None:
                spill.discard(PRICED_USAGE)
            self.records = []
        out = sorted(self.records, key=lambda r: (r.day, r.model, r.service_tier, r.batch, r.context_window))
        self.records = []
        return out
