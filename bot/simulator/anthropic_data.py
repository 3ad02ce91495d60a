"""One UTC day of the synthetic Anthropic organization: usage rows and the cost rows priced from them.

Rows here are at the finest grain (workspace x model x tier x context window x token type); the API module
groups them as the request asks. Costs are token counts times list prices, in cents quantized to 5 decimal
places, so the cost report and the usage report of a day agree the way the real ones do. Priority Tier
usage never produces a cost row, and code execution appears only in the cost report.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal

from bot.simulator.anthropic_keys import Actor, KeyBook, Share, apportion
from bot.simulator.catalog import NO_GEO_MODELS, US_GEO_MODELS, US_GEO_PERMILLE, Stream, Workspace, digest, input_cents

PARTIAL_PERMILLE = 420  # today is this share of a normal day
WEEKEND_PERMILLE = 600  # interactive (non-batch) traffic dips on Saturdays and Sundays
_FIVE_PLACES = Decimal("0.00001")
_MILLION = Decimal(1_000_000)

# token_type, description label, price as a multiple of the model's input price
TOKEN_TYPES = (
    ("uncached_input_tokens", "Input Tokens", Decimal(1)),
    ("output_tokens", "Output Tokens", Decimal(5)),
    ("cache_read_input_tokens", "Cache Read", Decimal("0.1")),
    ("cache_creation.ephemeral_5m_input_tokens", "5m Cache Write", Decimal("1.25")),
    ("cache_creation.ephemeral_1h_input_tokens", "1h Cache Write", Decimal(2)),
)


@dataclass(frozen=True, slots=True)
class CostRow:
    workspace_id: str | None
    description: str
    cost_type: str
    model: str | None
    service_tier: str | None
    token_type: str | None
    context_window: str | None
    inference_geo: str | None
    amount: str  # decimal string of cents, exactly as served


@dataclass(frozen=True, slots=True)
class UsageRow:
    workspace_id: str | None
    model: str
    service_tier: str
    context_window: str
    inference_geo: str
    uncached: int
    cache_5m: int
    cache_1h: int
    cache_read: int
    output: int
    web_search: int
    api_key_id: str | None = None  # None: Console / Workbench usage (or a row not yet split by key)

    def tokens(self) -> tuple[int, int, int, int, int]:
        """In TOKEN_TYPES order."""
        return (self.uncached, self.output, self.cache_read, self.cache_5m, self.cache_1h)


@dataclass(frozen=True, slots=True)
class KeyCost:
    """One key's (and actor's) share of a cost row, in 1e-5 cents: what the analytics cost API serves."""

    workspace_id: str | None
    api_key_id: str | None
    actor: Actor
    model: str | None
    cost_type: str
    token_type: str | None
    units: int  # 1e-5 cents

    def cents(self) -> Decimal:
        return Decimal(self.units) * _FIVE_PLACES


@dataclass(frozen=True, slots=True)
class AnthropicDay:
    costs: tuple[CostRow, ...]
    usage: tuple[UsageRow, ...]  # split by API key: summing over keys gives the legacy figures exactly
    key_costs: tuple[KeyCost, ...] = ()  # the cost rows split by key and actor, summing to them exactly


@functools.cache
def display_name(model: str) -> str:
    """claude-sonnet-4-6 -> Claude Sonnet 4.6 (the form cost-report descriptions use)."""
    words = model.split("-")
    names = [w.capitalize() for w in words if not w.isdigit()]
    numbers = [w for w in words if w.isdigit()]
    return " ".join([*names, ".".join(numbers)]) if numbers else " ".join(names)


def format_cents(cents: Decimal) -> str:
    return format(cents.quantize(_FIVE_PLACES, rounding=ROUND_HALF_EVEN).normalize(), "f")


def is_active(stream: Stream, offset: int) -> bool:
    if offset < 0:
        return False
    if stream.first_offset is not None and offset > stream.first_offset:
        return False
    return not (stream.last_offset is not None and offset < stream.last_offset)


def day_permille(seed: int, day: date, offset: int, key: tuple[object, ...], weekend_dip: bool) -> tuple[int, bytes]:
    """The day's volume multiplier in per-mille (jitter x weekend x partial today) and the hash it came from."""
    raw = digest(seed, day.isoformat(), *key)
    value = 800 + int.from_bytes(raw[:4], "big") % 400
    if weekend_dip and day.weekday() >= 5:
        value = value * WEEKEND_PERMILLE // 1000
    if offset == 0:
        value = value * PARTIAL_PERMILLE // 1000
    return value, raw


def scaled(base: int, permille: int, raw: bytes, slot: int, factor: Decimal) -> int:
    """base x day multiplier x a +-10 % per-field jitter x the revision factor, in whole tokens."""
    jitter = 900 + int.from_bytes(raw[4 + 2 * slot : 6 + 2 * slot], "big") % 200
    value = base * permille // 1000 * jitter // 1000
    return value if factor == 1 else int(Decimal(value) * factor)


def _usage_rows(ws: Workspace, stream: Stream, seed: int, day: date, offset: int, factor: Decimal) -> list[UsageRow]:
    permille, raw = day_permille(
        seed, day, offset, ("anthropic", ws.name, stream.model, stream.tier), stream.tier != "batch"
    )
    bases = (stream.uncached, stream.cache_5m, stream.cache_1h, stream.cache_read, stream.output, stream.web_search)
    totals = [scaled(base, permille, raw, slot, factor) for slot, base in enumerate(bases)]
    geo = "not_available" if stream.model in NO_GEO_MODELS else ws.geo
    long = [t * stream.long_context_permille // 1000 for t in totals]
    long[5] = 0  # web searches are counted once, on the short-context row
    rows = []
    for window, values in (("0-200k", [t - lc for t, lc in zip(totals, long, strict=True)]), ("200k-1M", long)):
        if any(values):
            uncached, c5m, c1h, read, output, web = values
            rows.append(UsageRow(ws.id, stream.model, stream.tier, window, geo, uncached, c5m, c1h, read, output, web))
    return rows


@functools.cache
def _pricing(model: str, tier: str, geo: str = "global") -> tuple[tuple[str, str, Decimal], ...]:
    """(token_type, description, cents per token) in TOKEN_TYPES order."""
    rate = Decimal(input_cents(model)) / (2 if tier == "batch" else 1) / _MILLION
    if geo == "us" and model in US_GEO_MODELS:
        rate = rate * US_GEO_PERMILLE / 1000
    batch = " Batch" if tier == "batch" else ""
    return tuple(
        (token_type, f"{display_name(model)}{batch} Usage - {label}", rate * multiple)
        for token_type, label, multiple in TOKEN_TYPES
    )


def _token_costs(row: UsageRow) -> list[CostRow]:
    out = []
    for (token_type, description, per_token), tokens in zip(
        _pricing(row.model, row.service_tier, row.inference_geo), row.tokens(), strict=True
    ):
        if not tokens:
            continue
        amount = format_cents(tokens * per_token)
        if amount != "0":
            out.append(
                CostRow(
                    row.workspace_id,
                    description,
                    "tokens",
                    row.model,
                    row.service_tier,
                    token_type,
                    row.context_window,
                    row.inference_geo,
                    amount,
                )
            )
    return out


def split_usage(row: UsageRow, shares: list[Share]) -> list[UsageRow]:
    """The row split by key: every count apportioned by the shares' weights, so the parts sum to the row."""
    weights = [s.weight for s in shares]
    columns = [apportion(v, weights) for v in (row.uncached, row.cache_5m, row.cache_1h, row.cache_read, row.output)]
    searches = apportion(row.web_search, weights)
    out = []
    for i, share in enumerate(shares):
        uncached, c5m, c1h, read, output = (c[i] for c in columns)
        if uncached or c5m or c1h or read or output or searches[i]:
            out.append(
                UsageRow(
                    row.workspace_id,
                    row.model,
                    row.service_tier,
                    row.context_window,
                    row.inference_geo,
                    uncached,
                    c5m,
                    c1h,
                    read,
                    output,
                    searches[i],
                    share.key_id,
                )
            )
    return out


def split_cost(row: CostRow, shares: list[Share]) -> list[KeyCost]:
    units = int(Decimal(row.amount) / _FIVE_PLACES)
    token_type = row.token_type
    parts = apportion(units, [s.weight for s in shares])
    return [
        KeyCost(row.workspace_id, s.key_id, s.actor, row.model, row.cost_type, token_type, part)
        for s, part in zip(shares, parts, strict=True)
        if part
    ]


def anthropic_day(
    workspaces: tuple[Workspace, ...], seed: int, today: date, day: date, factor: Decimal, book: KeyBook
) -> AnthropicDay:
    offset = (today - day).days
    costs: list[CostRow] = []
    usage: list[UsageRow] = []
    key_costs: list[KeyCost] = []
    for ws in workspaces:
        shares = book.shares(ws.id, offset)
        first = len(costs)
        searches = 0
        for stream in ws.streams:
            if not is_active(stream, offset):
                continue
            rows = _usage_rows(ws, stream, seed, day, offset, factor)
            for row in rows:
                usage.extend(split_usage(row, shares))
            if stream.tier == "priority":
                continue  # Priority Tier is billed as a commitment, never in the cost report
            for row in rows:
                costs.extend(_token_costs(row))
                searches += row.web_search
        if searches:
            costs.append(CostRow(ws.id, "Web Search Usage", "web_search", None, None, None, None, None, str(searches)))
        if ws.code_execution_cents and offset >= 0 and ws.archived_at is None:
            permille, raw = day_permille(seed, day, offset, ("anthropic", ws.name, "code_execution"), True)
            cents = Decimal(scaled(ws.code_execution_cents * 1000, permille, raw, 0, factor)) / 1000
            if cents:
                amount = format_cents(cents)
                costs.append(
                    CostRow(ws.id, "Code Execution Usage", "code_execution", None, None, None, None, None, amount)
                )
        for cost in costs[first:]:
            key_costs.extend(split_cost(cost, shares))
    return AnthropicDay(tuple(costs), tuple(usage), tuple(key_costs))
