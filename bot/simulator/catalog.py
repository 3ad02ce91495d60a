"""The shape of the synthetic organization: workspaces, projects, models, prices and traffic streams.

Nothing here depends on a day: this module says *who* spends on *what* and how much on a typical day.
Day-by-day numbers are drawn from it by anthropic_data and openai_data. Offsets are days before `today`
(offset 0 is today), so the spike and the archived spenders sit in the same place whatever `today` is.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

SPIKE_OFFSET = 7  # the new spender starts on today-7: the first day of the last 7 complete days
PRIORITY_OFFSET = 4  # Priority Tier usage in "production" on today-4 only
RESEARCH_ARCHIVED_OFFSET = 60  # Anthropic "research" archived on today-60, spend only before that
LEGACY_ARCHIVED_OFFSET = 45  # OpenAI "legacy-bot" archived on today-45


def digest(seed: int, *parts: object) -> bytes:
    """The one source of randomness: a hash of the seed and the coordinates of a number."""
    text = "|".join(map(str, (seed, *parts)))
    return hashlib.sha256(text.encode()).digest()


def b62(seed: int, length: int, *parts: object) -> str:
    number = int.from_bytes(digest(seed, "id", *parts), "big")
    chars = []
    for _ in range(length):
        number, rem = divmod(number, 62)
        chars.append(_B62[rem])
    return "".join(chars)


@dataclass(frozen=True, slots=True)
class Stream:
    """One Anthropic traffic stream (workspace x model x tier): typical weekday token counts."""

    model: str
    tier: str  # standard | batch | priority
    output: int
    uncached: int
    cache_read: int = 0
    cache_5m: int = 0
    cache_1h: int = 0
    web_search: int = 0
    long_context_permille: int = 0  # share of traffic in the 200k-1M context window
    first_offset: int | None = None  # active from today-first_offset on; None = forever
    last_offset: int | None = None  # active until today-last_offset; None = up to today


@dataclass(frozen=True, slots=True)
class Workspace:
    id: str | None  # None: the Default Workspace, which reports show as null
    name: str
    created_at: str
    archived_at: str | None
    geo: str  # inference_geo of its traffic for models that support it
    streams: tuple[Stream, ...]
    code_execution_cents: int = 0  # typical daily code-execution cost (cost report only)


@dataclass(frozen=True, slots=True)
class ModelLine:
    """One OpenAI model stream in a project: line items in the cost report and a usage row."""

    usage_model: str  # the model as the usage endpoint names it (ft: form for fine-tunes)
    line_model: str  # the model as line items name it (ft- form for fine-tunes)
    prices: tuple[Decimal, Decimal, Decimal]  # USD per MTok: input, cached input, output
    input: int  # all input tokens, cached included
    cached: int
    output: int
    items: tuple[str, ...] = ("input", "cached input", "output")
    prefix: str = ""  # "evals | " and similar product qualifiers
    batch: bool = False
    weekend_dip: bool = True


@dataclass(frozen=True, slots=True)
class FlatLine:
    """An OpenAI line item that is not per-token: tool calls, file search, free-text items."""

    line_item: str
    quantity: int  # typical daily units
    unit_price: Decimal  # USD per unit
    as_string: bool = False  # served as a numeric string, like the live "Text tokens" rows


@dataclass(frozen=True, slots=True)
class Project:
    id: str | None  # None: org-level cost (no project)
    name: str
    created_at: int
    archived_at: int | None
    last_offset: int | None  # archived projects stop spending on this offset
    models: tuple[ModelLine, ...]
    flats: tuple[FlatLine, ...] = ()


# Billed amounts are the providers' published list prices, written here by hand: never taken from the price
# database the estimates use (genai-prices), so comparing estimate and bill on this organization is a real test.
#
# Anthropic, https://platform.claude.com/docs/en/about-claude/pricing (read 2026-08, reference
# anthropic-admin-api.md §7; Mythos 5 from Anthropic's Fable 5 / Mythos 5 platform notes, 2026-06-09): US cents per
# million (uncached) input tokens; output is 5x, cache read 0.1x, 5-minute / 1-hour cache writes 1.25x / 2x, batch
# half of everything, US-only inference (inference_geo "us") 1.1x on every token category for Claude 4.6 and later.
ANTHROPIC_INPUT_CENTS = {
    "claude-opus-4-8": 500,
    "claude-sonnet-4-6": 300,
    "claude-haiku-4-5": 100,
    "claude-mythos-5": 1000,  # genai-prices 0.2.3 does not know it: the simulator's unpriced model
}
US_GEO_MODELS = frozenset({"claude-opus-4-8", "claude-sonnet-4-6", "claude-mythos-5"})  # Claude 4.6 and later
US_GEO_PERMILLE = 1100
NO_GEO_MODELS = frozenset({"claude-haiku-4-5"})  # models without inference_geo support report not_available
MYTHOS = "claude-mythos-5"

# OpenAI, https://developers.openai.com/api/docs/pricing (as third-party copies of it read in 2026-06): USD per
# million tokens (input, cached input, output) in each ModelLine; the Batch API is half of input and output.
GPT55 = "gpt-5.5-2026-04-23"
MINI = "gpt-4o-mini-2024-07-18"
FT4O = "gpt-4o-2024-08-06"
_P = Decimal


def input_cents(model: str) -> int:
    known = ANTHROPIC_INPUT_CENTS.get(model)
    if known is not None:
        return known
    return (80, 100, 300, 500, 1500)[int(model.rsplit("-", 1)[-1]) % 5]


def iso_at(day: date, seed: int, name: str) -> str:
    micros = int.from_bytes(digest(seed, "created", name)[:4], "big") % 86_400_000_000
    seconds, micro = divmod(micros, 1_000_000)
    return f"{day.isoformat()}T{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}.{micro:06d}Z"


def unix_at(day: date) -> int:
    return (day - date(1970, 1, 1)).days * 86_400 + 37_517


def demo_workspaces(today: date, seed: int) -> tuple[Workspace, ...]:
    old = date(2024, 10, 30)
    opus, sonnet, haiku = "claude-opus-4-8", "claude-sonnet-4-6", "claude-haiku-4-5"
    archived = today - timedelta(days=RESEARCH_ARCHIVED_OFFSET)
    return (
        Workspace(
            None,
            "Default",
            iso_at(old, seed, "default"),
            None,
            "global",
            (
                Stream(haiku, "standard", output=300_000, uncached=1_000_000),
                Stream(sonnet, "standard", output=200_000, uncached=800_000, cache_read=2_000_000),
            ),
        ),
        Workspace(
            "wrkspc_01" + b62(seed, 22, "ws", "production"),
            "production",
            iso_at(old + timedelta(days=3), seed, "production"),
            None,
            "us",
            (
                Stream(
                    sonnet,
                    "standard",
                    output=2_000_000,
                    uncached=6_000_000,
                    cache_read=30_000_000,
                    cache_5m=2_000_000,
                    cache_1h=500_000,
                    web_search=300,
                    long_context_permille=100,
                ),
                Stream(
                    haiku, "standard", output=3_000_000, uncached=10_000_000, cache_read=20_000_000, cache_5m=1_000_000
                ),
                Stream(MYTHOS, "standard", output=50_000, uncached=200_000),
                Stream(
                    sonnet,
                    "priority",
                    output=1_500_000,
                    uncached=4_000_000,
                    cache_read=10_000_000,
                    first_offset=PRIORITY_OFFSET,
                    last_offset=PRIORITY_OFFSET,
                ),
            ),
            code_execution_cents=80,
        ),
        Workspace(
            "wrkspc_01" + b62(seed, 22, "ws", "batch-jobs"),
            "batch-jobs",
            iso_at(today - timedelta(days=SPIKE_OFFSET + 2), seed, "batch-jobs"),
            None,
            "global",
            (
                Stream(opus, "batch", output=3_000_000, uncached=12_000_000, first_offset=SPIKE_OFFSET),
                Stream(opus, "standard", output=200_000, uncached=1_000_000, first_offset=SPIKE_OFFSET),
            ),
        ),
        Workspace(
            "wrkspc_01" + b62(seed, 22, "ws", "research"),
            "research",
            iso_at(old + timedelta(days=40), seed, "research"),
            iso_at(archived, seed, "research-archived"),
            "global",
            (
                Stream(
                    opus,
                    "standard",
                    output=800_000,
                    uncached=2_000_000,
                    cache_read=5_000_000,
                    last_offset=RESEARCH_ARCHIVED_OFFSET + 1,
                ),
            ),
        ),
    )


def demo_projects(today: date, seed: int) -> tuple[Project, ...]:
    created = date(2024, 6, 3)
    return (
        Project(
            "proj_" + b62(seed, 24, "proj", "web-app"),
            "web-app",
            unix_at(created),
            None,
            None,
            (
                # a quarter of the tokens it had when it was priced like gpt-5: the same dollars a day
                ModelLine(GPT55, GPT55, (_P("5"), _P("0.5"), _P("30")), 2_250_000, 875_000, 750_000),
                ModelLine(MINI, MINI, (_P("0.15"), _P("0.075"), _P("0.6")), 20_000_000, 5_000_000, 5_000_000),
            ),
            (FlatLine("web search tool calls", 400, _P("0.01")),),
        ),
        Project(
            "proj_" + b62(seed, 24, "proj", "data-pipeline"),
            "data-pipeline",
            unix_at(created + timedelta(days=20)),
            None,
            None,
            (
                ModelLine(
                    f"ft:{FT4O}:acme::9xKq2Lz",
                    f"ft-{FT4O}",
                    (_P("3.75"), _P("1.875"), _P("15")),
                    3_000_000,
                    0,
                    1_000_000,
                    items=("input", "output"),
                    weekend_dip=False,
                ),
                ModelLine(  # batch: half the list price
                    MINI, MINI, (_P("0.075"), _P("0.075"), _P("0.3")), 12_000_000, 0, 0, ("input",), "evals | ", True
                ),
            ),
            (FlatLine("assistants api | file search", 500, _P("0.0025")),),
        ),
        Project(
            "proj_" + b62(seed, 24, "proj", "legacy-bot"),
            "legacy-bot",
            unix_at(created - timedelta(days=90)),
            unix_at(today - timedelta(days=LEGACY_ARCHIVED_OFFSET)),
            LEGACY_ARCHIVED_OFFSET + 1,
            (ModelLine(MINI, MINI, (_P("0.15"), _P("0.075"), _P("0.6")), 8_000_000, 1_000_000, 2_000_000),),
        ),
        Project(None, "", 0, None, None, (), (FlatLine("Text tokens", 1000, _P("0.01"), as_string=True),)),
    )
