"""List prices for usage rows, from the genai-prices database (the only module that imports it; pinned ==0.2.3).

`price_usage(row)` turns one PricedUsage row into exact nano-dollars at list price, or says why it cannot. It
reads the per-million-token rates of the model at the row's date and multiplies them itself, because the
library's own `calc_price` has traps for usage summed over a day (reference anthropic-admin-api.md §7):

- Long-context tiers are a cliff judged on the input tokens passed in, so a day's sum would always cross 200k.
  Anthropic rows come per `context_window`: "0-200k" gets the base rate, "200k-1M" the tier rate (where the
  model has one). OpenAI's usage has no such split: its rows get the base rate (long requests are under-estimated).
- Batch is only priced when told `processing=batch` (Anthropic reports it as `service_tier=batch`, which the
  library silently ignores), and its batch variants only start on 2026-10-14: before that the library returns
  the full price. When the batch context changes nothing, aispend applies the documented 50 % itself.
- Anthropic's Priority Tier has no per-token price (a capacity commitment): priced at the standard list price
  and labelled so. Its flex tiers have no list price at all: unpriced.
- US-only inference (`inference_geo=us`) costs 1.1x on every token category for Claude 4.6 and later; the library
  does not model it, so aispend applies it.
- A model the library does not know, or a token type it has no price for, is unpriced: never $0.

Money is exact: the library's Decimal rates times integer tokens, kept as Decimal nano-dollars; the caller rounds
once per line.
"""

from __future__ import annotations

import functools
import re
import warnings
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal

from bot.records import PricedUsage

DATABASE = "genai-prices 0.2.3"
PRIORITY_TIERS = frozenset({"priority", "priority_on_demand"})
_ANTHROPIC_FLEX = frozenset({"flex", "flex_discount"})
_OPENAI_TIERS = frozenset({"priority", "flex"})  # service_tier variants the library has for some OpenAI models
_NANO_PER_MTOK = Decimal(1000)  # $ per million tokens x tokens x 1e9 nano / 1e6
_NANO_PER_K = Decimal(1_000_000)  # $ per thousand requests x requests x 1e9 nano / 1e3
_HALF = Decimal("0.5")
_US_GEO = Decimal("1.1")
_LONG_CONTEXT_START = 200_000  # Anthropic's "200k-1M" window
_FAMILY_VERSION = re.compile(r"^claude-(?:opus|sonnet|haiku|fable|mythos)-(\d+)(?:-(\d))?(?:-|$)")

# basis labels: what the figure is (shown beside each estimate)
LIST_PRICE = "list price"
STANDARD_FOR_PRIORITY = "standard list price (Priority Tier has no per-token price)"


@dataclass(frozen=True, slots=True)
class Price:
    """A row at list price: exact nano-dollars (Decimal, unrounded) and what the figure is."""

    nano: Decimal  # everything, web searches included
    basis: str  # LIST_PRICE or STANDARD_FOR_PRIORITY
    adjustments: tuple[str, ...] = ()  # what aispend applied that the price database lacks
    web_nano: Decimal = Decimal(0)  # the web-search part: billed apart from any model, so reconciliation drops it


@dataclass(frozen=True, slots=True)
class Unpriced:
    reason: str  # one sentence: why this row has no estimate


@dataclass(frozen=True, slots=True)
class _Rates:
    input: Decimal | None
    cache_read: Decimal | None
    cache_write_5m: Decimal | None
    cache_write_1h: Decimal | None
    output: Decimal | None
    web_searches_k: Decimal | None
    batch_applied: bool  # the price database had a batch variant (False: aispend halves the rates)
    tier_applied: bool  # the price database had the OpenAI service-tier variant asked for


def price_usage(row: PricedUsage) -> Price | Unpriced:
    """The row at list price, or why it cannot be priced."""
    if not row.model:
        return Unpriced("usage without a model cannot be priced")
    tier = row.service_tier
    if row.provider == "anthropic" and tier in _ANTHROPIC_FLEX:
        return Unpriced(f"Anthropic publishes no per-token price for the {tier} tier")
    openai_tier = tier if row.provider == "openai" and tier in _OPENAI_TIERS else ""
    try:
        rates = _rates(row.provider, row.model, row.day, row.batch, openai_tier, row.context_window == "200k-1M")
    except LookupError:
        return Unpriced(f"{DATABASE} does not know this model")
    adjustments = []
    factor = Decimal(1)
    if row.batch and not rates.batch_applied:
        factor *= _HALF
        adjustments.append("batch 50 % applied by aispend (the price database has no batch price for this date)")
    if row.provider == "anthropic" and row.inference_geo == "us" and _us_premium(row.model):
        factor *= _US_GEO
        adjustments.append("US-only inference 1.1x applied by aispend")
    if openai_tier and not rates.tier_applied:
        return Unpriced(f"{DATABASE} has no {openai_tier} service-tier price for this model")
    nano = Decimal(0)
    parts = (
        (row.uncached_input, rates.input, "input"),
        (row.cache_read, rates.cache_read, "cache-read"),
        (row.cache_write_5m, rates.cache_write_5m, "cache-write"),
        (row.cache_write_1h, rates.cache_write_1h, "1-hour cache-write"),
        (row.output, rates.output, "output"),
    )
    for tokens, rate, what in parts:
        if not tokens:
            continue
        if rate is None:
            return Unpriced(f"{DATABASE} has no {what} price for this model")
        nano += tokens * rate * _NANO_PER_MTOK * factor
    web = Decimal(0)
    if row.web_searches:
        if rates.web_searches_k is None:
            return Unpriced(f"{DATABASE} has no web search price for this model")
        web = row.web_searches * rates.web_searches_k * _NANO_PER_K  # not a token category: no geo premium
    basis = STANDARD_FOR_PRIORITY if row.provider == "anthropic" and tier in PRIORITY_TIERS else LIST_PRICE
    return Price(nano + web, basis, tuple(adjustments), web)


def _us_premium(model: str) -> bool:
    """Claude 4.6 and later pay 1.1x for US-only inference."""
    match = _FAMILY_VERSION.match(model)
    if match is None:
        return False
    major, minor = int(match.group(1)), int(match.group(2) or 0)
    return (major, minor) >= (4, 6)


@functools.lru_cache(maxsize=4096)
def _rates(provider: str, model: str, day: date, batch: bool, openai_tier: str, long_context: bool) -> _Rates:
    """The model's rates on `day` ($ per MTok; web searches $ per 1000); LookupError for an unknown model."""
    from genai_prices.types import TieredPrices  # imported when a price is needed, as in _model_price

    when = datetime.combine(day, time(12), UTC)
    standard = _model_price(provider, model, when, ())
    context: dict[str, str] = {}
    if batch:
        context["processing"] = "batch"
    if openai_tier:
        context["service_tier"] = openai_tier
    chosen = _model_price(provider, model, when, tuple(sorted(context.items()))) if context else standard
    batch_applied = batch and _model_price(provider, model, when, (("processing", "batch"),)) != standard
    tier_applied = (
        bool(openai_tier) and _model_price(provider, model, when, (("service_tier", openai_tier),)) != standard
    )

    def rate(name: str) -> Decimal | None:
        value = getattr(chosen, name, None)
        if isinstance(value, TieredPrices):
            if long_context:
                starts = [t.price for t in value.tiers if t.start <= _LONG_CONTEXT_START]
                return starts[-1] if starts else value.base
            return value.base
        return value if isinstance(value, Decimal) else None

    return _Rates(
        input=rate("input_mtok"),
        cache_read=rate("cache_read_mtok"),
        cache_write_5m=rate("cache_write_mtok"),
        cache_write_1h=rate("cache_write_1h_mtok"),
        output=rate("output_mtok"),
        web_searches_k=rate("web_searches_kcount"),
        batch_applied=batch_applied,
        tier_applied=tier_applied,
    )


@functools.lru_cache(maxsize=4096)
def _model_price(provider: str, model: str, when: datetime, context: tuple[tuple[str, str], ...]) -> object:
    # imported here, not at the top: it takes ~0.3 s, which every `aispend` command would pay otherwise
    from genai_prices import Usage, calc_price

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = calc_price(
            Usage(input_tokens=1),
            model,
            provider_id=provider,
            genai_request_timestamp=when,
            price_context=dict(context) or None,  # type: ignore[arg-type]
        )
    return result.model_price
