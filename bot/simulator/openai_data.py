"""One UTC day of the synthetic OpenAI organization: completions usage rows and cost line items.

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
from bot.simulator.catalog import FlatLine, ModelLine, Project

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


@dataclass(frozen=True, slots=True)
class OpenAIDay:
    costs: tuple[CostRow, ...]
    usage: tuple[UsageRow, ...]


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


def openai_day(projects: tuple[Project, ...], seed: int, today: date, day: date, factor: Decimal) -> OpenAIDay:
    offset = (today - day).days
    costs: list[CostRow] = []
    usage: list[UsageRow] = []
    if offset < 0:
        return OpenAIDay((), ())
    for project in projects:
        if project.last_offset is not None and offset < project.last_offset:
            continue
        for line in project.models:
            row, line_costs = _model_rows(project, line, seed, day, offset, factor)
            if row is not None:
                usage.append(row)
            costs.extend(line_costs)
        for flat in project.flats:
            flat_row = _flat_row(project, flat, seed, day, offset, factor)
            if flat_row is not None:
                costs.append(flat_row)
    return OpenAIDay(tuple(costs), tuple(usage))
