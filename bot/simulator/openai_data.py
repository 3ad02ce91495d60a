"""One UTC day of the synthetic OpenAI organization: completions usage rows and cost line items.

Usage rows are at the finest grain (project, model, API key, user); cost rows at (project, line item), as the
existing report reads them, plus `key_costs`, the same amounts split by API key in whole nano-dollars, so the
per-key costs sum exactly to each (project, line item) amount a client reads. Every split is a largest-
remainder split of an integer, so no grouping loses or invents a token or a nano-dollar.

The underlying truth is Decimal (tokens x price), but what the live API serves is a float with noise and now
and then a numeric string, so each cost row keeps the value exactly as served plus its nano-dollar reading
(`usd_to_nano(parse_decimal(value))`, computed on demand). Summing those nanos is the reconciliation reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from bot.money import parse_decimal, usd_to_nano
from bot.simulator.anthropic_data import day_permille, scaled
from bot.simulator.catalog import FlatLine, ModelLine, Project, digest
from bot.simulator.openai_people import People, Spender

_MILLION = Decimal(1_000_000)
_CENT = Decimal("0.01")
_ITEM_SLOT = {"input": 0, "cached input": 1, "output": 2}


@dataclass(frozen=True, slots=True)
class CostRow:
    project_id: str | None
    line_item: str
    value: float | str  # amount.value exactly as served
    quantity: int | None
    quantity_unit: str | None

    def nano(self) -> int:
        """The served value as a client reads it: Decimal(str(value)) quantized to nano-dollars."""
        return usd_to_nano(parse_decimal(self.value))


@dataclass(frozen=True, slots=True)
class UsageRow:
    project_id: str | None
    model: str
    batch: bool
    service_tier: str
    input_tokens: int  # includes cached
    input_cached_tokens: int
    output_tokens: int
    num_model_requests: int
    api_key_id: str | None = None  # None: Playground (or no key)
    user_id: str | None = None  # None: a service account's key


@dataclass(frozen=True, slots=True)
class KeyCostRow:
    """The share of one (project, line item) cost row spent by one API key (None: no key)."""

    project_id: str | None
    line_item: str
    api_key_id: str | None
    value: float | str
    quantity: int | None
    quantity_unit: str | None
    nano_value: int

    def nano(self) -> int:
        return self.nano_value


@dataclass(frozen=True, slots=True)
class OpenAIDay:
    costs: tuple[CostRow, ...]
    usage: tuple[UsageRow, ...]
    key_costs: tuple[KeyCostRow, ...] = ()


def _served(truth: Decimal, raw: bytes, slot: int) -> float | str:
    """The float the API would send: float arithmetic noise in the last digits, sometimes a numeric string."""
    noisy = float(truth) * (1.0 + (1 + raw[20 + slot] % 9) * 1e-13)
    return repr(noisy) if raw[28 + slot] % 25 == 0 else noisy


def _row(project_id: str | None, item: str, value: float | str, qty: int | None, unit: str | None) -> CostRow:
    return CostRow(project_id, item, value, qty, unit)


def _model_rows(
    project: Project, line: ModelLine, seed: int, day: date, offset: int, factor: Decimal
) -> tuple[UsageRow | None, list[CostRow]]:
    key = ("openai", project.name, line.usage_model, line.prefix)
    permille, raw = day_permille(seed, day, offset, key, line.weekend_dip)
    total_in = scaled(line.input, permille, raw, 0, factor)
    cached = min(scaled(line.cached, permille, raw, 1, factor), total_in)
    output = scaled(line.output, permille, raw, 2, factor)
    if not total_in and not output:
        return None, []
    requests = max(1, (total_in + output) // 2500)
    usage = UsageRow(project.id, line.usage_model, line.batch, "default", total_in, cached, output, requests)
    tokens = {"input": total_in - cached, "cached input": cached, "output": output}
    costs = []
    for item in line.items:
        slot = _ITEM_SLOT[item]
        count = tokens[item]
        truth = Decimal(count) * line.prices[slot] / _MILLION
        if truth:
            label = f"{line.prefix}{line.line_model}, {item}"
            costs.append(_row(project.id, label, _served(truth, raw, slot), count, "tokens"))
    return usage, costs


def _flat_row(project: Project, flat: FlatLine, seed: int, day: date, offset: int, factor: Decimal) -> CostRow | None:
    permille, raw = day_permille(seed, day, offset, ("openai", project.name, flat.line_item), True)
    quantity = scaled(flat.quantity, permille, raw, 0, factor)
    truth = quantity * flat.unit_price
    if not truth:
        return None
    value: float | str = str(truth.quantize(_CENT)) if flat.as_string else _served(truth, raw, 3)
    return _row(project.id, flat.line_item, value, quantity, None)


def split(total: int, weights: list[int]) -> list[int]:
    """`total` in whole units over `weights` (largest remainder, ties to the earlier one); sums to `total`."""
    if total < 0:
        return [-part for part in split(-total, weights)]
    weights = weights if sum(weights) > 0 else [1] * len(weights)
    whole = sum(weights)
    parts = [total * w // whole for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return parts


def _key_value(nano: int, seed: int, key: tuple[object, ...]) -> float:
    """The float the API would send for a per-key share: a little noise, never enough to change its nano."""
    exact = float(Decimal(nano) / 1_000_000_000)
    noisy = exact * (1.0 + (1 + digest(seed, "key-noise", *key)[0] % 9) * 1e-15)
    return noisy if usd_to_nano(parse_decimal(noisy)) == nano else exact


@dataclass(slots=True)
class _Split:
    """One project's day being split over its active spenders."""

    spenders: tuple[Spender, ...]
    seed: int
    day: date
    usage: list[UsageRow]
    key_costs: list[KeyCostRow]
    requests: list[int]

    def line(self, row: UsageRow, costs: list[CostRow]) -> None:
        weights = [s.weight for s in self.spenders]
        cached = split(row.input_cached_tokens, weights)
        uncached = split(row.input_tokens - row.input_cached_tokens, weights)
        output = split(row.output_tokens, weights)
        requests = split(row.num_model_requests, weights)
        for i, spender in enumerate(self.spenders):
            self.requests[i] += requests[i]
            if uncached[i] or cached[i] or output[i]:
                self.usage.append(
                    UsageRow(
                        row.project_id,
                        row.model,
                        row.batch,
                        row.service_tier,
                        uncached[i] + cached[i],
                        cached[i],
                        output[i],
                        requests[i],
                        spender.key_id,
                        spender.user_id,
                    )
                )
        tokens = {"input": uncached, "cached input": cached, "output": output}
        for cost in costs:
            shares = tokens[cost.line_item.rsplit(", ", 1)[1]]
            self.cost(cost, shares, shares)

    def cost(self, cost: CostRow, weights: list[int], quantities: list[int] | None) -> None:
        nanos = split(cost.nano(), weights)
        for i, spender in enumerate(self.spenders):
            if not nanos[i]:
                continue
            coords = (self.day.isoformat(), cost.project_id, cost.line_item, spender.key_id)
            self.key_costs.append(
                KeyCostRow(
                    cost.project_id,
                    cost.line_item,
                    spender.key_id,
                    _key_value(nanos[i], self.seed, coords),
                    None if quantities is None else quantities[i],
                    cost.quantity_unit,
                    nanos[i],
                )
            )


def openai_day(
    projects: tuple[Project, ...], people: People, seed: int, today: date, day: date, factor: Decimal
) -> OpenAIDay:
    offset = (today - day).days
    costs: list[CostRow] = []
    usage: list[UsageRow] = []
    key_costs: list[KeyCostRow] = []
    if offset < 0:
        return OpenAIDay((), ())
    for project in projects:
        if project.last_offset is not None and offset < project.last_offset:
            continue
        every = people.of_project(project.id)
        active = tuple(s for s in every if s.active(seed, day)) or every[:1]
        split_day = _Split(active, seed, day, usage, key_costs, [0] * len(active))
        for line in project.models:
            row, line_costs = _model_rows(project, line, seed, day, offset, factor)
            costs.extend(line_costs)
            if row is None:
                continue
            if active:
                split_day.line(row, line_costs)
            else:
                usage.append(row)
                key_costs += [_unkeyed(c) for c in line_costs]
        for flat in project.flats:
            flat_row = _flat_row(project, flat, seed, day, offset, factor)
            if flat_row is None:
                continue
            costs.append(flat_row)
            if active:
                split_day.cost(flat_row, split_day.requests, None)
            else:
                key_costs.append(_unkeyed(flat_row))
    return OpenAIDay(tuple(costs), tuple(usage), tuple(key_costs))


def _unkeyed(cost: CostRow) -> KeyCostRow:
    """A cost no key spent (org-level): one row with api_key_id null, served exactly as the unkeyed row."""
    return KeyCostRow(cost.project_id, cost.line_item, None, cost.value, cost.quantity, cost.quantity_unit, cost.nano())
