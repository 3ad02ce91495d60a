"""Drawing the charts as PNG with matplotlib's Agg backend: the only module that imports matplotlib.

matplotlib is imported inside `render`, on the first chart, so start-up, `aispend report` and every command
that draws nothing never load it (about a second and 40 MB). Each chart is its own `Figure` on its own Agg
canvas (no pyplot, so no global figure state); a lock keeps two answers from drawing at once, since
matplotlib's font and text caches are not documented as thread-safe.

Sized for Slack's preview: 800×400 px, 11 pt text, titles, a y axis in dollars, dates as "Nov 24", a legend
above the plot, and Okabe–Ito colours (bot.charts.model). Mathtext is off, so a `$` in a name is a dollar sign.
Bars are drawn without anti-aliasing, so each is crisp at the preview's scale (and countable by pixel in tests).
"""

from __future__ import annotations

import io
import math
import threading
from datetime import timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bot.charts.alt import daily_alt, month_alt, spike_alt
from bot.charts.model import (
    ACTUAL_COLOUR,
    BUDGET_COLOUR,
    FALL_COLOUR,
    PREVIOUS_COLOUR,
    PROJECTION_COLOUR,
    RISE_COLOUR,
    Chart,
    ChartImage,
    DailyChart,
    MonthChart,
    SpikeChart,
    provider_colour,
)
from bot.money import fmt_usd

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

WIDTH, HEIGHT, DPI = 8.0, 4.0, 100
MAX_TICKS = 8
GRID = "#dddddd"
_lock = threading.Lock()


def render(chart: Chart) -> ChartImage:
    """The chart as PNG bytes with its alt text."""
    import matplotlib

    # the stubs type rc keys as a Literal of every rc name, which a dict of some of them is not
    with _lock, matplotlib.rc_context(_STYLE):  # type: ignore[arg-type]
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI)
        FigureCanvasAgg(fig)
        ax = fig.add_subplot()
        if isinstance(chart, DailyChart):
            _daily(fig, ax, chart)
            alt, name = daily_alt(chart), "aispend-daily.png"
        elif isinstance(chart, MonthChart):
            _month(fig, ax, chart)
            alt, name = month_alt(chart), "aispend-month.png"
        else:
            _spike(fig, ax, chart)
            alt, name = spike_alt(chart), "aispend-spike.png"
        out = io.BytesIO()
        # zlib level 1: quicker to encode than the default 6, and flat colours compress well either way
        fig.savefig(out, format="png", dpi=DPI, pil_kwargs={"compress_level": 1})
    return ChartImage(out.getvalue(), alt, chart.title, name)


_STYLE: dict[str, Any] = {
    "text.parse_math": False,  # names come from providers: "$" is money, never math
    "font.size": 11,
    "axes.titlesize": 13,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "legend.fontsize": 10,
    "savefig.facecolor": "white",
}


def _f(value: Decimal) -> float:
    return float(value)  # drawing only: every figure printed anywhere comes from the exact Decimal


def _dollars(top: float) -> Any:
    from matplotlib.ticker import FuncFormatter

    cents = top < 10

    def fmt(value: float, _pos: int) -> str:
        sign = "-" if value < 0 else ""
        return f"{sign}${abs(value):,.2f}" if cents else f"{sign}${abs(value):,.0f}"

    return FuncFormatter(fmt)


def _signed_dollars(top: float) -> Any:
    from matplotlib.ticker import FuncFormatter

    cents = top < 10

    def fmt(value: float, _pos: int) -> str:
        sign = "+" if value > 0 else "-" if value < 0 else ""
        return f"{sign}${abs(value):,.2f}" if cents else f"{sign}${abs(value):,.0f}"

    return FuncFormatter(fmt)


# fixed margins instead of tight_layout, which draws the whole figure once more to measure it (a third of the time)
MARGINS = {"left": 0.12, "right": 0.98, "top": 0.82, "bottom": 0.10}
LABEL_CHAR = 0.0096  # share of the width one 11 pt character of a spike label takes


def _finish(fig: Figure, ax: Axes, title: str, handles: list[Any] | None = None) -> None:
    if handles is not None:
        ax.set_title(title, loc="left", pad=26)
        if handles:
            ax.legend(
                handles=handles, loc="lower left", bbox_to_anchor=(0, 1.0), ncol=4, borderaxespad=0.1, handlelength=1.6
            )
        fig.subplots_adjust(**MARGINS)
    else:  # long scope labels push the axes right: the title starts at the figure's edge instead
        fig.suptitle(title, x=0.015, ha="left", fontsize=13)


def _day_label(day: Any) -> str:
    return f"{day:%b} {day.day}"


def _bars(ax: Axes, rects: list[tuple[float, float, float, float]], colours: str | list[str]) -> None:
    """Rectangles (x0, y0, x1, y1) as one collection: one artist for all the bars, not one patch per bar."""
    from matplotlib.collections import PolyCollection

    verts = [[(x0, y0), (x0, y1), (x1, y1), (x1, y0)] for x0, y0, x1, y1 in rects]
    ax.add_collection(PolyCollection(verts, facecolors=colours, edgecolors="none", antialiaseds=False, zorder=2))


def _daily(fig: Figure, ax: Axes, chart: DailyChart) -> None:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    n = len(chart.days)
    xs = list(range(n))
    bottom = [0.0] * n
    handles: list[Any] = []
    for index, stack in enumerate(chart.stacks):
        colour = provider_colour(stack.provider, index)
        heights = [_f(v) for v in stack.amounts]
        _bars(ax, [(x - 0.4, b, x + 0.4, b + h) for x, b, h in zip(xs, bottom, heights, strict=True) if h], colour)
        handles.append(Patch(facecolor=colour, label=stack.label))
        bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
    top = max(bottom, default=0.0)
    if chart.previous is not None and chart.previous:
        prev = [_f(v) for v in chart.previous]
        (line,) = ax.plot(xs[: len(prev)], prev, color=PREVIOUS_COLOUR, linewidth=1.8, label=chart.previous_label)
        line.set_zorder(3)
        handles.append(line)
        top = max(top, *prev)
    if chart.budget_pace is not None:
        unit = "week" if chart.bucket_days == 7 else "day"
        pace = _f(chart.budget_pace)
        ax.axhline(pace, color=BUDGET_COLOUR, linestyle="--", linewidth=1.6, zorder=3)
        label = f"budget pace {fmt_usd(chart.budget_pace)}/{unit}"
        handles.append(Line2D([], [], color=BUDGET_COLOUR, linestyle="--", linewidth=1.6, label=label))
        top = max(top, pace)
    step = max(1, math.ceil(n / MAX_TICKS))
    ax.set_xticks(xs[::step], [_day_label(d) for d in chart.days[::step]])
    ax.set_xlim(-0.6, n - 0.4)
    ax.set_ylim(0, (top or 1.0) * 1.08)
    ax.yaxis.set_major_formatter(_dollars(top))
    ax.set_ylabel("US dollars per week" if chart.bucket_days == 7 else "US dollars per day")
    ax.grid(axis="y", color=GRID, zorder=0)
    ax.set_axisbelow(True)
    _finish(fig, ax, chart.title, handles)


def _month(fig: Figure, ax: Axes, chart: MonthChart) -> None:
    days = [i + 1 for i in range(len(chart.cumulative))]
    spent = [_f(v) for v in chart.cumulative]
    top = max(spent, default=0.0)
    ax.fill_between(days, spent, color=ACTUAL_COLOUR, alpha=0.25, linewidth=0, zorder=2)
    handles: list[Any] = ax.plot(
        days, spent, color=ACTUAL_COLOUR, linewidth=2.2, label=f"spent {fmt_usd(chart.month_to_date)}", zorder=3
    )
    if chart.projected_total is not None and days:
        end = _f(chart.projected_total)
        handles += ax.plot(
            [days[-1], chart.days_in_month],
            [spent[-1], end],
            color=PROJECTION_COLOUR,
            linestyle="--",
            linewidth=2.2,
            label=f"projected {fmt_usd(chart.projected_total)}",
            zorder=3,
        )
        top = max(top, end)
    if chart.budget is not None:
        handles.append(
            ax.axhline(_f(chart.budget), color=BUDGET_COLOUR, linewidth=1.8, label=f"budget {fmt_usd(chart.budget)}")
        )
        top = max(top, _f(chart.budget))
    ticks = [1, *range(8, chart.days_in_month + 1, 7)]
    if chart.days_in_month - ticks[-1] >= 3:
        ticks.append(chart.days_in_month)
    ax.set_xticks(ticks, [_day_label(chart.first + timedelta(days=t - 1)) for t in ticks])
    ax.set_xlim(1, chart.days_in_month)
    ax.set_ylim(0, (top or 1.0) * 1.08)
    ax.yaxis.set_major_formatter(_dollars(top))
    ax.set_ylabel("US dollars, month to date")
    ax.grid(axis="y", color=GRID, zorder=0)
    ax.set_axisbelow(True)
    _finish(fig, ax, chart.title, handles)


def _spike(fig: Figure, ax: Axes, chart: SpikeChart) -> None:
    from matplotlib.ticker import MaxNLocator

    ys = list(range(len(chart.bars)))
    values = [_f(b.change) for b in chart.bars]
    colours = [RISE_COLOUR if v >= 0 else FALL_COLOUR for v in values]
    _bars(ax, [(min(0.0, v), y - 0.35, max(0.0, v), y + 0.35) for y, v in zip(ys, values, strict=True)], colours)
    ax.set_ylim(len(ys) - 0.5, -0.5)  # the largest driver on top
    ax.set_yticks(ys, [b.label for b in chart.bars])
    span = max((abs(v) for v in values), default=1.0) or 1.0
    low, high = min(0.0, *values), max(0.0, *values)
    # room beside the bars for their values
    ax.set_xlim(low - 0.3 * span if low < 0 else 0, high + 0.3 * span if high > 0 else 0)
    for y, bar in zip(ys, chart.bars, strict=True):
        sign = "+" if bar.change >= 0 else ""
        ax.annotate(
            f"{sign}{fmt_usd(bar.change)}",
            (_f(bar.change), y),
            xytext=(4 if bar.change >= 0 else -4, 0),
            textcoords="offset points",
            ha="left" if bar.change >= 0 else "right",
            va="center",
            fontsize=10,
        )
    ax.axvline(0, color="#555555", linewidth=0.8, zorder=3)
    ax.xaxis.set_major_locator(MaxNLocator(5))
    ax.xaxis.set_major_formatter(_signed_dollars(span))
    ax.set_xlabel("change in US dollars, week over week")
    ax.grid(axis="x", color=GRID, zorder=0)
    ax.set_axisbelow(True)
    _finish(fig, ax, chart.title)
    longest = max((len(b.label) for b in chart.bars), default=0)
    fig.subplots_adjust(left=min(0.5, 0.04 + longest * LABEL_CHAR), right=0.97, top=0.88, bottom=0.14)
