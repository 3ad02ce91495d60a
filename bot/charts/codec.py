"""A DailyChart as JSON and back, so the weekly digest's record carries the exact numbers of its picture.

Money is a decimal string (exact), days are ISO dates; anything else is refused with ValueError.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from bot.charts.model import DailyChart, Stack


def _amounts(values: tuple[Decimal, ...]) -> list[str]:
    return [str(v) for v in values]


def _read(values: Any) -> tuple[Decimal, ...]:
    if not isinstance(values, list):
        raise ValueError("not a list of amounts")
    return tuple(Decimal(str(v)) for v in values)


def _maybe(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def daily_to_dict(chart: DailyChart) -> dict[str, Any]:
    return {
        "title": chart.title,
        "days": [d.isoformat() for d in chart.days],
        "bucket_days": chart.bucket_days,
        "stacks": [{"provider": s.provider, "label": s.label, "amounts": _amounts(s.amounts)} for s in chart.stacks],
        "previous": None if chart.previous is None else _amounts(chart.previous),
        "previous_label": chart.previous_label,
        "budget_pace": _maybe(chart.budget_pace),
        "total": str(chart.total),
        "previous_total": str(chart.previous_total),
        "change_pct": _maybe(chart.change_pct),
    }


def daily_from_dict(data: Any) -> DailyChart:
    if not isinstance(data, dict):
        raise ValueError("not a chart object")
    return DailyChart(
        title=str(data["title"]),
        days=tuple(date.fromisoformat(d) for d in data["days"]),
        bucket_days=int(data["bucket_days"]),
        stacks=tuple(Stack(str(s["provider"]), str(s["label"]), _read(s["amounts"])) for s in data["stacks"]),
        previous=None if data["previous"] is None else _read(data["previous"]),
        previous_label=str(data["previous_label"]),
        budget_pace=None if data["budget_pace"] is None else Decimal(data["budget_pace"]),
        total=Decimal(data["total"]),
        previous_total=Decimal(data["previous_total"]),
        change_pct=None if data["change_pct"] is None else Decimal(data["change_pct"]),
    )
