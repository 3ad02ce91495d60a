"""The report's usage by kind (JSON `usage`): each usage kind's quantity in its unit, with its split by model,
service tier, batch and the kind's own dimensions. Quantities only, never dollars: billed cost stays in the totals,
and the cost lines keep naming their line items. Pure: built from the store's sums.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bot.records import provider_name
from bot.usage_kinds import KINDS, ORDER, TOKEN_KINDS, UNIT_WORDS, Kind, KindSum, quantity_of

_TENTH = Decimal("0.1")


@dataclass(frozen=True, slots=True)
class UsageSplit:
    model: str  # "" when the kind has no model
    service_tier: str  # "" when not reported
    batch: bool | None  # None when not reported
    detail: str
    quantity: Decimal
    requests: int | None  # None when the kind counts no requests


@dataclass(frozen=True, slots=True)
class KindLine:
    provider: str
    kind: str
    label: str
    unit: str
    quantity: Decimal  # exact: whole units, GB-days as bytes / 10^9
    requests: int | None
    metrics: dict[str, int]  # every metric as the API names it, summed
    splits: tuple[UsageSplit, ...]  # largest first


def build_usage(sums: Sequence[KindSum]) -> tuple[KindLine, ...]:
    """One line per (provider, kind) with any usage, by provider in the catalog's order; unknown kinds are skipped."""
    by_kind: dict[tuple[str, str], list[KindSum]] = {}
    for row in sums:
        if (row.provider, row.kind) in KINDS:
            by_kind.setdefault((row.provider, row.kind), []).append(row)
    lines = []
    for key in sorted(by_kind, key=lambda k: (k[0], ORDER[k])):
        kind = KINDS[key]
        metrics: dict[str, int] = {}
        grains: dict[tuple[str, str, bool | None, str], dict[str, int]] = {}
        for row in by_kind[key]:
            metrics[row.metric] = metrics.get(row.metric, 0) + row.quantity
            grain = grains.setdefault((row.model, row.service_tier, row.batch, row.detail), {})
            grain[row.metric] = grain.get(row.metric, 0) + row.quantity
        splits = [
            UsageSplit(model, tier, batch, detail, quantity_of(kind, counts), _requests(kind, counts))
            for (model, tier, batch, detail), counts in grains.items()
        ]
        splits.sort(key=lambda s: (-s.quantity, s.model, s.service_tier, s.detail))
        total = quantity_of(kind, metrics)
        lines.append(
            KindLine(
                kind.provider, kind.name, kind.label, kind.unit, total, _requests(kind, metrics), metrics, tuple(splits)
            )
        )
    return tuple(lines)


def _requests(kind: Kind, counts: Mapping[str, int]) -> int | None:
    return counts.get(kind.requests, 0) if kind.requests else None


def usage_json(lines: Sequence[KindLine]) -> list[dict[str, Any]]:
    """JSON `usage`: `[{"provider", "kind", "unit", "quantity", "requests", "metrics", "lines": [...]}]`."""
    return [
        {
            "provider": line.provider,
            "kind": line.kind,
            "unit": line.unit,
            "quantity": line.quantity,
            "requests": line.requests,
            "metrics": dict(sorted(line.metrics.items())),
            "lines": [
                {
                    "model": s.model or None,
                    "service_tier": s.service_tier or None,
                    "batch": s.batch,
                    "detail": s.detail or None,
                    "quantity": s.quantity,
                    "requests": s.requests,
                }
                for s in line.splits
            ],
        }
        for line in lines
    ]


def fmt_quantity(quantity: Decimal, unit: str) -> str:
    """3.6K images, 84.2 GB-days, 950 sessions."""
    if unit == "gb_days":
        return f"{quantity.quantize(_TENTH)} GB-days"
    number = int(quantity)
    for size, suffix in ((10**9, "B"), (10**6, "M"), (10**3, "K")):
        if number >= size:
            return f"{Decimal(number) / size:.1f}{suffix} {UNIT_WORDS[unit]}"
    return f"{number} {UNIT_WORDS[unit]}"


def kind_text(line: KindLine) -> str:
    """ "3.6K images", "1.4M characters (speech)": the quantity, and the kind when the unit does not name it."""
    amount = fmt_quantity(line.quantity, line.unit)
    return amount if line.label == UNIT_WORDS[line.unit] else f"{amount} ({line.label})"


def unpriced_usage(sums: Sequence[KindSum]) -> list[tuple[str, str, str]]:
    """(provider, kind label, amount text) of each kind besides tokens with any usage in `sums`."""
    lines = build_usage(sums)
    return [
        (x.provider, x.label, kind_text(x)) for x in lines if (x.provider, x.kind) not in TOKEN_KINDS and x.quantity
    ]


def usage_summary(lines: Sequence[KindLine]) -> str:
    """One line of the usage the token counts do not cover, per provider; "" when there is none. Our words only."""
    parts = []
    for provider in sorted({line.provider for line in lines}):
        shown = [kind_text(x) for x in lines if x.provider == provider and (x.provider, x.kind) not in TOKEN_KINDS]
        if shown:
            parts.append(f"{provider_name(provider)} {', '.join(shown)}")
    return "; ".join(parts)


def top_models(line: KindLine, n: int = 3) -> list[tuple[str, Decimal]]:
    """The kind's `n` largest models by quantity (summed over tiers and dimensions); none for a kind without models."""
    by_model: dict[str, Decimal] = {}
    for split in line.splits:
        if split.model:
            by_model[split.model] = by_model.get(split.model, Decimal(0)) + split.quantity
    return sorted(by_model.items(), key=lambda kv: (-kv[1], kv[0]))[:n]


def unavailable_notes(unavailable: Mapping[tuple[str, str], str]) -> list[str]:
    """The last sync's sentence for each kind it could not read (once per sentence)."""
    return list(dict.fromkeys(why for _, why in sorted(unavailable.items())))
