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


def report_chart_image(store: ChartStore, report: Report) -> ChartImage | None:
    """The picture of a `/aispend` period reply: the burn-up for `month`, daily bars for periods of several days,
    and none for a single day (one bar says no more than the reply's first line)."""
    if report.period.name == "month":
        return month_chart_image(report)
    if report.period.days < 2:
        return None
    return daily_chart_image(store, report)


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
    "report_chart_image",
    "spike_chart",
]
