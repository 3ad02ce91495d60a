"""The contract §4 JSON of a Report, written with Decimals as exact JSON numbers (never through float)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from bot.caps import caps_json
from bot.claude_code import claude_code_json
from bot.estimates import estimates_json
from bot.report import ProviderLine, Report
from bot.report.usage import usage_json
from bot.spenders import SpenderView
from bot.spenders_json import spenders_json


def report_to_json(report: Report, keys: SpenderView | None = None, users: SpenderView | None = None) -> dict[str, Any]:
    """The contract §4 object; money and ratios stay Decimal (write it with `dumps_report`).

    `keys` and `users` are bot.spenders views of the same period, [] when not given or hidden from the caller.
    """
    p = report.period
    out: dict[str, Any] = {
        "period": {
            "name": p.name,
            "start": p.start.isoformat(),
            "end": p.end.isoformat(),
            "includes_partial_today": p.includes_partial_today,
            "final": report.final,
        },
        "previous": {
            "start": p.prev_start.isoformat(),
            "end": p.prev_end.isoformat(),
            "total_usd": report.previous_total,
            "final": report.previous_final,
        },
        "total_usd": report.total,
        "change_pct": _tidy(report.change_pct),
        "providers": [_provider_json(line) for line in report.providers],
        "models": [{"provider": m.provider, "model": m.name, "total_usd": m.total} for m in report.models],
        "workspaces": [
            {"provider": w.provider, "id": w.id, "name": w.name, "total_usd": w.total} for w in report.workspaces
        ],
        "daily": [
            {"date": d.date.isoformat(), "total_usd": d.total, "by_provider": dict(d.by_provider)} for d in report.daily
        ],
        "tokens": {
            "input": report.tokens.input,
            "output": report.tokens.output,
            "cache_read": report.tokens.cache_read,
            "cache_write": report.tokens.cache_write,
        },
        "cache_hit_ratio": _tidy(report.cache_hit_ratio),
        "freshness": {
            f.provider: {
                "complete_through": f.complete_through.isoformat() if f.complete_through else None,
                "fetched_at": to_z(f.fetched_at) if f.fetched_at else None,
            }
            for f in report.freshness
        },
        "keys": spenders_json(keys),
        "users": spenders_json(users),
        "notes": [*report.notes, *report.cap_notes],
        "caps": caps_json(report.caps),  # provider spend limits against this month (read only)
        "claude_code": claude_code_json(report.claude_code),  # Anthropic's estimates: never part of total_usd
        "usage": usage_json(report.usage),  # usage by kind: quantities, never dollars
        "estimates": estimates_json(report.estimates),  # usage at list price: never part of any total
    }
    if report.month is not None:
        m = report.month
        out["month"] = {
            "month_to_date_usd": m.month_to_date,
            "projected_usd": m.projected_total,
            "burn_rate_per_day_usd": m.burn_rate_per_day,
            "days_in_month": m.days_in_month,
            "basis_days": m.basis_days,
            "basis": m.basis,
        }
    if report.budget is not None:
        b = report.budget
        out["budget"] = {
            "monthly_budget_usd": b.monthly_budget,
            "month_to_date_usd": b.month_to_date,
            "pct_used": _tidy(b.pct_used),
            "projected_usd": b.projected_total,
            "projected_pct": _tidy(b.projected_pct),
        }
    return out


def to_z(moment: datetime) -> str:
    """'2026-11-21T08:00:04Z', as the providers' `last_synced_at`."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _tidy(value: Decimal | None) -> Decimal | None:
    """34.50 -> 34.5 and 0.8100 -> 0.81, as the contract shows them (the same numbers)."""
    return None if value is None else value.normalize() if value else Decimal(0)


def _provider_json(line: ProviderLine) -> dict[str, Any]:
    out: dict[str, Any] = {
        "provider": line.provider,
        "total_usd": line.total,
        "status": line.status,
        "last_synced_at": line.last_synced_at,
    }
    if line.status == "error":
        out["error"] = line.error
    return out


def dumps_report(
    report: Report, indent: int | None = 2, keys: SpenderView | None = None, users: SpenderView | None = None
) -> str:
    return dumps_json(report_to_json(report, keys, users), indent)


def dumps_json(value: Any, indent: int | None = 2) -> str:
    """JSON text in which Decimals are written as exact numbers (json.dumps would need floats).

    Read it back exactly with `json.loads(text, parse_float=Decimal)`.
    """

    def encode(item: Any, level: int) -> str:
        if isinstance(item, Decimal):
            if not item.is_finite():
                raise ValueError(f"not a finite amount: {item}")
            return format(item, "f")
        if isinstance(item, dict):
            pairs = [f"{json.dumps(str(k))}: {encode(v, level + 1)}" for k, v in item.items()]
            return _join(pairs, "{", "}", level)
        if isinstance(item, list | tuple):
            return _join([encode(v, level + 1) for v in item], "[", "]", level)
        return json.dumps(item)

    def _join(parts: list[str], start: str, end: str, level: int) -> str:
        if not parts:
            return start + end
        if indent is None:
            return start + ", ".join(parts) + end
        pad, inner = " " * (indent * level), " " * (indent * (level + 1))
        return start + "\n" + ",\n".join(inner + part for part in parts) + "\n" + pad + end

    return encode(value, 0)
