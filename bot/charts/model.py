"""What a chart is drawn from and what drawing gives back: plain, exact data in, PNG bytes and alt text out.

Amounts are exact Decimal dollars here (converted to float only inside bot.charts.draw, to place pixels), so a
chart can be built and its alt text checked without matplotlib.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

# Okabe & Ito's colour-blind-safe palette (https://jfly.uni-koeln.de/color/)
ORANGE, SKY_BLUE, GREEN, YELLOW, BLUE, VERMILLION, PURPLE, BLACK = (
    "#E69F00",
    "#56B4E9",
    "#009E73",
    "#F0E442",
    "#0072B2",
    "#D55E00",
    "#CC79A7",
    "#000000",
)
PROVIDER_COLOURS = {"anthropic": VERMILLION, "openai": BLUE}
OTHER_COLOURS = (ORANGE, SKY_BLUE, GREEN, PURPLE, YELLOW)  # further providers, in order
PREVIOUS_COLOUR = BLACK
BUDGET_COLOUR = PURPLE
ACTUAL_COLOUR = BLUE
PROJECTION_COLOUR = ORANGE
RISE_COLOUR = VERMILLION
FALL_COLOUR = GREEN


def provider_colour(provider: str, index: int) -> str:
    return PROVIDER_COLOURS.get(provider, OTHER_COLOURS[index % len(OTHER_COLOURS)])


@dataclass(frozen=True, slots=True)
class Stack:
    """One provider's layer of the daily bars."""

    provider: str  # the id ("anthropic"), which picks the colour
    label: str  # what the legend says ("Anthropic")
    amounts: tuple[Decimal, ...]  # dollars per bar, aligned with DailyChart.days


@dataclass(frozen=True, slots=True)
class DailyChart:
    """Spend per day (or per week, for long periods) stacked by provider, with the previous period as a line."""

    title: str
    days: tuple[date, ...]  # the first day of each bar
    bucket_days: int  # 1 for daily bars, 7 for weekly ones
    stacks: tuple[Stack, ...]
    previous: tuple[Decimal, ...] | None  # the previous period's spend per bar, aligned by position
    previous_label: str  # "previous 7 days"
    budget_pace: Decimal | None  # the monthly budget spread over its month, per bar; None without a budget
    total: Decimal
    previous_total: Decimal
    change_pct: Decimal | None


@dataclass(frozen=True, slots=True)
class MonthChart:
    """Month to date as a burn-up: cumulative spend per day, the projection to month end, and the budget."""

    title: str
    first: date  # the 1st of the month
    days_in_month: int
    cumulative: tuple[Decimal, ...]  # spend from the 1st through each day so far (index 0 is the 1st)
    projected_total: Decimal | None  # at month end; None when there is nothing to project from
    budget: Decimal | None
    month_to_date: Decimal


@dataclass(frozen=True, slots=True)
class Bar:
    label: str  # a clean, one-line name (bot.safe_text.clean)
    change: Decimal  # dollars, signed


@dataclass(frozen=True, slots=True)
class SpikeChart:
    """What changed, in dollars, by scope: the spike's largest drivers, largest first, then the rest net."""

    title: str
    bars: tuple[Bar, ...]
    increase: Decimal
    previous: Decimal
    current: Decimal
    change_pct: Decimal | None


Chart = DailyChart | MonthChart | SpikeChart


@dataclass(frozen=True, slots=True)
class ChartImage:
    png: bytes
    alt: str  # states the key facts: what an image block's alt_text and a screen reader say
    title: str
    filename: str
