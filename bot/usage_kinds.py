"""Usage kinds: what each provider usage endpoint counts, in which unit, and how the report sums it.

A kind is one usage endpoint's family (OpenAI `usage/images`, `usage/vector_stores`…; Anthropic's messages split by
context window and inference geo, and its web search requests). Its metrics are the counts the endpoint reports,
named as the API names them; the report shows one quantity per kind in the kind's unit (tokens, images,
characters, seconds, GB-days, sessions, calls). Pure data: imported by the providers, the store and the report.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

GB = Decimal(1_000_000_000)  # OpenAI prices vector storage per GB (10^9 bytes) per day


@dataclass(frozen=True, slots=True)
class KindSum:
    """One metric of one kind summed over a range of days and every workspace, as the store reads it."""

    provider: str
    kind: str
    model: str
    service_tier: str
    batch: bool | None
    detail: str
    metric: str
    quantity: int


@dataclass(frozen=True, slots=True)
class Kind:
    provider: str
    name: str  # as stored and in JSON: the endpoint's path segment (OpenAI), "messages"/"web_search" (Anthropic)
    label: str  # how people read it: "images", "vector storage"
    unit: str  # the unit of `quantity`: tokens, images, characters, seconds, gb_days, sessions, calls
    quantity: tuple[str, ...]  # the metrics whose sum is the quantity (usage_bytes: bytes per day → GB-days)
    requests: str = ""  # the metric that counts requests, "" when the endpoint has none


_ANTHROPIC_TOKENS = (
    "uncached_input_tokens",
    "cache_read_input_tokens",
    "cache_write_5m_input_tokens",
    "cache_write_1h_input_tokens",
    "output_tokens",
)
OPENAI_KINDS = (
    Kind("openai", "completions", "completions", "tokens", ("input_tokens", "output_tokens"), "num_model_requests"),
    Kind("openai", "embeddings", "embeddings", "tokens", ("input_tokens",), "num_model_requests"),
    Kind("openai", "moderations", "moderations", "tokens", ("input_tokens",), "num_model_requests"),
    Kind("openai", "images", "images", "images", ("images",), "num_model_requests"),
    Kind("openai", "audio_speeches", "speech", "characters", ("characters",), "num_model_requests"),
    Kind("openai", "audio_transcriptions", "transcription", "seconds", ("seconds",), "num_model_requests"),
    Kind("openai", "vector_stores", "vector storage", "gb_days", ("usage_bytes",)),
    Kind("openai", "code_interpreter_sessions", "code interpreter", "sessions", ("num_sessions",)),
    Kind("openai", "file_search_calls", "file search", "calls", ("num_requests",)),
    Kind("openai", "web_search_calls", "web search", "calls", ("num_requests",), "num_model_requests"),
)
ANTHROPIC_KINDS = (
    Kind(
        "anthropic",
        "messages",
        "messages",
        "tokens",
        _ANTHROPIC_TOKENS,
    ),
    Kind("anthropic", "web_search", "web search", "calls", ("web_search_requests",)),
)
KINDS = {(k.provider, k.name): k for k in (*OPENAI_KINDS, *ANTHROPIC_KINDS)}
ORDER = {key: i for i, key in enumerate(KINDS)}
# the kinds whose tokens the report's `tokens` already counts; listed by kind only for their tier/batch/window split
TOKEN_KINDS = frozenset({("openai", "completions"), ("anthropic", "messages")})
UNIT_WORDS = {
    "tokens": "tokens",
    "images": "images",
    "characters": "characters",
    "seconds": "seconds",
    "gb_days": "GB-days",
    "sessions": "sessions",
    "calls": "calls",
}


def quantity_of(kind: Kind, metrics: dict[str, int]) -> Decimal:
    """The kind's quantity from its summed metrics: exact (GB-days as a Decimal of bytes / 10^9)."""
    total = sum(metrics.get(m, 0) for m in kind.quantity)
    return Decimal(total) / GB if kind.unit == "gb_days" else Decimal(total)
