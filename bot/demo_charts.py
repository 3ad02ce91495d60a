"""The charts `aispend demo` would post, written as PNG files: the week by day, the month's burn-up, the spike.

The same functions draw them as in Slack (bot.charts); the demo only writes the bytes where Slack would get them.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from bot.config import Settings
from bot.periods import parse_period
from bot.store import Store


def write_demo_charts(store: Store, settings: Settings, folder: Path, *, now: datetime) -> list[tuple[str, Path]]:
    """(what, path) of each chart written into `folder` (created if missing)."""
    from bot.alerts.evaluation import spike_report
    from bot.charts import daily_chart, month_chart, previous_by_day, render, spike_chart
    from bot.charts.model import Chart
    from bot.report import load_report

    today = now.date()
    budget = settings.monthly_budget_usd

    week = load_report(
        store, parse_period("week", today), now=now, configured=settings.configured_providers, budget_usd=budget
    )
    month = load_report(
        store, parse_period("month", today), now=now, configured=settings.configured_providers, budget_usd=budget
    )
    charts: list[tuple[str, str, Chart | None]] = [
        ("/aispend week", "daily.png", daily_chart(week, previous_by_day(store, week))),
        ("/aispend month", "month.png", month_chart(month)),
        ("the spike alert", "spike.png", spike_chart(spike_report(store, settings, today))),
    ]
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for what, name, chart in charts:
        if chart is None:
            continue
        path = folder / name
        path.write_bytes(render(chart).png)
        written.append((what, path))
    return written
