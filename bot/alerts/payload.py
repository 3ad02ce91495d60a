"""Alert reports <-> JSON, so a recorded alert can be posted, retried, re-rendered and explained later.

The payload is what the alerts table stores: the report restricted to the alerts of one message. Money stays
integer nano-dollars (JSON integers are exact in Python), thresholds are decimal strings, days ISO dates.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any

from bot.alerts.anomaly import AnomalyReport
from bot.alerts.budget_rules import BudgetAlert, BudgetReport
from bot.alerts.drops import DropReport
from bot.alerts.rules import (
    Driver,
    ScopeChange,
    SpikeAlert,
    SpikeReport,
    Week,
)
from bot.alerts.spender_drivers import SpenderDriver

VERSION = 1
AlertReport = SpikeReport | BudgetReport | AnomalyReport | DropReport


def dumps(report: AlertReport) -> str:
    return json.dumps(to_dict(report), sort_keys=True, separators=(",", ":"))


def loads(text: str) -> AlertReport:
    data = json.loads(text)
    if not isinstance(data, dict) or data.get("version") != VERSION:
        raise ValueError("not an aispend alert payload of version 1")
    return from_dict(data)


def to_dict(report: AlertReport) -> dict[str, Any]:
    if isinstance(report, AnomalyReport | DropReport):
        from bot.alerts import anomaly_payload  # it reuses this module's codecs

        return {"version": VERSION, **anomaly_payload.to_dict(report)}
    if isinstance(report, SpikeReport):
        w = report.week
        return {
            "version": VERSION,
            "kind": "spike",
            "week": [w.start.isoformat(), w.end.isoformat(), w.prev_start.isoformat(), w.prev_end.isoformat()],
            "org": _change(report.org),
            "alerts": [
                {
                    "change": _change(a.change),
                    "new_spender": a.new_spender,
                    "drivers": [_driver(d) for d in a.drivers],
                    "other": a.other,
                }
                for a in report.alerts
            ],
            "breakdown": [_driver(d) for d in report.breakdown],
            "rest_count": report.rest_count,
            "rest": report.rest,
            "pct": str(report.pct),
            "min_usd": str(report.min_usd),
            "excluded": list(report.excluded),
            "spenders": [_spender(d) for d in report.spenders],
        }
    return {
        "version": VERSION,
        "kind": "budget",
        "month": report.month,
        "today": report.today.isoformat(),
        "budget": report.budget,
        "month_to_date": report.month_to_date,
        "projected": report.projected,
        "rate": report.rate,
        "month_end": report.month_end.isoformat(),
        "reach_day": report.reach_day.isoformat() if report.reach_day else None,
        "thresholds": [a.threshold for a in report.alerts],
    }


def from_dict(data: dict[str, Any]) -> AlertReport:
    if data["kind"] in ("anomaly", "drop"):
        from bot.alerts import anomaly_payload

        return anomaly_payload.from_dict(data)
    if data["kind"] == "spike":
        week = Week(*(date.fromisoformat(d) for d in data["week"]))
        alerts = tuple(
            SpikeAlert(
                period=week.key,
                change=_read_change(a["change"]),
                new_spender=bool(a["new_spender"]),
                drivers=tuple(_read_driver(d) for d in a["drivers"]),
                other=int(a["other"]),
            )
            for a in data["alerts"]
        )
        return SpikeReport(
            week=week,
            org=_read_change(data["org"]),
            alerts=alerts,
            breakdown=tuple(_read_driver(d) for d in data["breakdown"]),
            rest_count=int(data["rest_count"]),
            rest=int(data["rest"]),
            pct=Decimal(data["pct"]),
            min_usd=Decimal(data["min_usd"]),
            excluded=tuple(data["excluded"]),
            spenders=tuple(_read_spender(d) for d in data.get("spenders", [])),  # absent before issue 11
        )
    if data["kind"] == "budget":
        month = str(data["month"])
        return BudgetReport(
            month=month,
            today=date.fromisoformat(data["today"]),
            budget=int(data["budget"]),
            month_to_date=int(data["month_to_date"]),
            projected=int(data["projected"]),
            rate=int(data["rate"]),
            month_end=date.fromisoformat(data["month_end"]),
            reach_day=date.fromisoformat(data["reach_day"]) if data["reach_day"] else None,
            alerts=tuple(BudgetAlert(month, str(t)) for t in data["thresholds"]),
        )
    raise ValueError(f"unknown alert kind {data['kind']!r}")


def _change(c: ScopeChange) -> dict[str, Any]:
    return {
        "scope": c.scope,
        "level": c.level,
        "provider": c.provider,
        "name": c.name,
        "archived": c.archived,
        "current": c.current,
        "previous": c.previous,
        "basis": c.basis,
    }


def _read_change(d: dict[str, Any]) -> ScopeChange:
    return ScopeChange(
        scope=str(d["scope"]),
        level=str(d["level"]),
        provider=str(d["provider"]),
        name=str(d["name"]),
        archived=bool(d["archived"]),
        current=int(d["current"]),
        previous=int(d["previous"]),
        basis=str(d.get("basis", "")),
    )


def _driver(d: Driver) -> list[Any]:
    return [d.provider, d.workspace_id, d.workspace, d.archived, d.model, d.current, d.previous]


def _read_driver(row: list[Any]) -> Driver:
    provider, workspace_id, workspace, archived, model, current, previous = row
    return Driver(
        str(provider), str(workspace_id), str(workspace), bool(archived), str(model), int(current), int(previous)
    )


def _spender(d: SpenderDriver) -> list[Any]:
    return [d.provider, d.kind, d.id, d.name, d.basis, d.where, d.current, d.previous, d.is_new]


def _read_spender(row: list[Any]) -> SpenderDriver:
    provider, kind, spender, name, basis, where, current, previous, is_new = row
    return SpenderDriver(
        str(provider),
        str(kind),
        str(spender),
        str(name),
        str(basis),
        str(where),
        int(current),
        int(previous),
        bool(is_new),
    )
