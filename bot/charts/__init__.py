"""Charts as PNG: daily spend by provider, the month's burn-up against the budget, and a spike's drivers.

Building a chart is pure: plain exact data in (bot.charts.data, from a Report or a SpikeReport), PNG bytes and
alt text out (bot.charts.draw). This package is the only place that imports matplotlib, and only inside
`render`, so importing it costs nothing until a chart is drawn.
"""

from __future__ import annotations

from bot.charts.data import ChartStore, daily_chart, month_chart, previous_by_day, spike_chart
from bot.charts.model import Chart, ChartImage, DailyChart, MonthChart, SpikeChart
from bot.report import Report


def render(chart: Chart) -> ChartImage:
    from bot.charts.draw import render as draw

    return draw(chart)


def month_chart_image(report: Report) -> ChartImage | None:
    """The month's burn-up as a PNG for a `month` report (the App Home's chart); None for other periods."""
    chart = month_chart(report)
    return None if chart is None else render(chart)


def daily_chart_image(store: ChartStore, report: Report) -> ChartImage:
    """The period's daily spend by provider, with the previous period and the budget pace, as a PNG."""
    return render(daily_chart(report, previous_by_day(store, report)))


__all__ = [
    "Chart",
    "ChartImage",
    "ChartStore",
    "DailyChart",
    "MonthChart",
    "SpikeChart",
    "daily_chart",
    "daily_chart_image",
    "month_chart",
    "month_chart_image",
    "previous_by_day",
    "render",
    "spike_chart",
]
