"""Daily anomaly and drop reports <-> JSON, for the ledger (bot.alerts.payload owns the format and the version)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from bot.alerts.anomaly import AnomalyAlert, AnomalyReport
from bot.alerts.drops import DropAlert, DropReport
from bot.alerts.payload import _change, _driver, _read_change, _read_driver


def to_dict(report: AnomalyReport | DropReport) -> dict[str, Any]:
    if isinstance(report, DropReport):
        return {
            "kind": "drop",
            "day": report.day.isoformat(),
            "min_usd": str(report.min_usd),
            "alerts": [
                [a.provider, a.first_zero.isoformat(), a.last_zero.isoformat(), a.before] for a in report.alerts
            ],
        }
    return {
        "kind": "anomaly",
        "day": report.day.isoformat(),
        "min_usd": str(report.min_usd),
        "short": list(report.short),
        "alerts": [
            {
                "change": _change(a.change),
                "low": a.low,
                "high": a.high,
                "weeks": a.weeks,
                "drivers": [_driver(d) for d in a.drivers],
                "other": a.other,
            }
            for a in report.alerts
        ],
    }


def from_dict(data: dict[str, Any]) -> AnomalyReport | DropReport:
    day, min_usd = date.fromisoformat(data["day"]), Decimal(data["min_usd"])
    if data["kind"] == "drop":
        alerts = tuple(
            DropAlert(str(p), date.fromisoformat(first), date.fromisoformat(last), int(before))
            for p, first, last, before in data["alerts"]
        )
        return DropReport(day, alerts, min_usd)
    anomalies = tuple(
        AnomalyAlert(
            change=_read_change(a["change"]),
            low=int(a["low"]),
            high=int(a["high"]),
            weeks=int(a["weeks"]),
            drivers=tuple(_read_driver(d) for d in a["drivers"]),
            other=int(a["other"]),
        )
        for a in data["alerts"]
    )
    return AnomalyReport(day, anomalies, min_usd, tuple(data.get("short", [])))
