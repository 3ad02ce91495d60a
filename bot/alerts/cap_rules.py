"""The cap rule (contract §5): a provider spend limit the month's forecast reaches before month end, once per cap
per month. Caps are urgent: past one, that scope's requests are refused, so they post through quiet hours.

The forecast is bot.caps' (bot.projection's rule on the cap's own scope); a cap fires when it is enforced and
already reached, or reached before month end at this month's own rate. Its identity is (cap, scope, month):
the alert ledger's covered-scope check makes it once per cap per month. It waits, like the budget, until the
month's complete days are synced and final for the providers that have caps. Amounts are nano-dollars.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from bot.caps import CapForecast, alerting, forecast_caps
from bot.config import Settings
from bot.freshness import wait_reasons
from bot.periods import month_days
from bot.records import SpendCap
from bot.store import Store

CAP = "cap"
VERSION = 1


@dataclass(frozen=True, slots=True)
class CapAlert:
    forecast: CapForecast

    @property
    def scope(self) -> str:
        c = self.forecast.cap
        return f"cap:{c.provider}:{c.scope}:{c.scope_id}"


@dataclass(frozen=True, slots=True)
class CapReport:
    month: str  # "2026-11"
    today: date
    alerts: tuple[CapAlert, ...]

    @property
    def month_end(self) -> date:
        return self.today.replace(day=month_days(self.today))

    def only(self, alerts: Iterable[CapAlert]) -> CapReport:
        return replace(self, alerts=tuple(alerts))


def evaluate_caps(forecasts: Sequence[CapForecast], today: date) -> CapReport:
    month = f"{today.year:04d}-{today.month:02d}"
    return CapReport(month, today, tuple(CapAlert(f) for f in alerting(forecasts)))


def cap_wait(store: Store, settings: Settings, today: date, providers: Iterable[str]) -> str | None:
    """Why cap alerts must wait, or None: this month's complete days are synced and final for `providers`."""
    having = set(providers)
    if not having:
        return None
    start, end = today.replace(day=1), today - timedelta(days=1)
    fetches = {p: f for p, f in store.fetches(start, max(start, end)).items() if p in having}
    configured = [p for p in settings.configured_providers if p in having]
    reasons = wait_reasons(fetches, start, end, configured=configured, states=store.sync_states())
    if not reasons:
        return None
    said = "; ".join(reasons)
    return f"Cap alerts for {today:%B} wait for complete data: {said}. They are evaluated again after the next sync."


def caps_or_wait(store: Store, settings: Settings, today: date, now: datetime) -> tuple[CapReport | None, str | None]:
    forecasts = forecast_caps(store, today=today, now=now)
    if not forecasts:
        return None, None
    waits = cap_wait(store, settings, today, {f.cap.provider for f in forecasts})
    if waits is not None:
        return None, waits
    return evaluate_caps(forecasts, today), None


# --- payload ---------------------------------------------------------------------------------------------------


def dumps(report: CapReport) -> str:
    alerts = []
    for a in report.alerts:
        f, c = a.forecast, a.forecast.cap
        alerts.append(
            {
                "cap": [c.provider, c.scope, c.scope_id, c.limit_nano, c.period, c.enforced, c.cap_id],
                "name": f.name,
                "month_to_date": f.month_to_date,
                "rate": f.rate,
                "basis": f.basis,
                "forecast_hit": f.forecast_hit.isoformat() if f.forecast_hit else None,
            }
        )
    data = {"version": VERSION, "kind": CAP, "month": report.month, "today": report.today.isoformat(), "alerts": alerts}
    return json.dumps(data, sort_keys=True, separators=(",", ":"))


def loads(text: str) -> CapReport:
    data: dict[str, Any] = json.loads(text)
    if not isinstance(data, dict) or data.get("version") != VERSION or data.get("kind") != CAP:
        raise ValueError("not an aispend cap alert payload of version 1")
    alerts = []
    for a in data["alerts"]:
        p, scope, scope_id, limit, period, enforced, cap_id = a["cap"]
        cap = SpendCap(str(p), str(scope), str(scope_id), int(limit), str(period), bool(enforced), str(cap_id))
        hit = date.fromisoformat(a["forecast_hit"]) if a["forecast_hit"] else None
        rate = None if a["rate"] is None else int(a["rate"])
        forecast = CapForecast(cap, str(a["name"]), int(a["month_to_date"]), rate, str(a["basis"]), hit)
        alerts.append(CapAlert(forecast))
    return CapReport(str(data["month"]), date.fromisoformat(data["today"]), tuple(alerts))
