"""Shared pieces of the alert tests: a hand-made database whose every alert number can be checked by hand.

Days Nov 1 - Dec 3 2026, every day:
    anthropic  production (wrk_prod)   claude-sonnet-4-6  $100
               batch-jobs (wrk_batch)  claude-opus-4-8    $80 from Nov 15 (the new spender)
    openai     web-app (proj_web)      gpt-5.5            $50, $60 from Nov 15 (+20 %: below the 25 % threshold)
               small (proj_small)      gpt-4o-mini        $0.10, $0.30 from Nov 15 (+200 % but only +$1.40)
Evaluated as of Nov 22: week Nov 15-21 $1,682.10 vs Nov 8-14 $1,050.70, +$631.40 (+60 %).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.config import Secret, Settings
from bot.money import usd_to_nano
from bot.records import CostRecord, Label, ProviderData
from bot.store import Store

NOW = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
TODAY = NOW.date()
FIRST_DAY = date(2026, 11, 1)
END = date(2026, 12, 4)  # exclusive
CHANNEL = "C0ALERTS"
ADMIN = "UADMIN"
SPIKE_ID = "spike|2026-11-15..2026-11-21"

SPIKE_TEXT = (
    "AI spend spike: +$631.40 (+60%) week over week (Nov 15–21 vs Nov 8–14). "
    "Organization $1,050.70 → $1,682.10 (+$631.40, +60%). "
    "Drivers: 89% from anthropic / batch-jobs / claude-opus-4-8 (new this week), +$560.00; "
    "11% from openai / web-app / gpt-5.5, +$70.00; other 0%, +$1.40. "
    "Also fired: provider anthropic +$560.00 (+80%); workspace batch-jobs (anthropic) +$560.00 (new spender); "
    "model claude-opus-4-8 (anthropic) +$560.00 (new spender)."
)

# batch-jobs began on Nov 15: on Nov 21 its scopes have 7 days of history, too few for the daily anomaly rule
SHORT_NOTE = (
    "Daily anomalies are not evaluated for workspace batch-jobs (anthropic), model claude-opus-4-8 (anthropic): "
    "under 14 days of history (a scope needs two of each weekday before its days can be judged)."
)


def usd(text: str) -> int:
    return usd_to_nano(Decimal(text))


def alert_settings(**overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "slack_bot_token": Secret("xoxb-alert-test-token"),
        "alert_channel": CHANNEL,
        "admin_users": frozenset({ADMIN}),
        "db_path": "unused",
    }
    base.update(overrides)
    return Settings(**base)


def _days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=i) for i in range((end - start).days)]


def provider_data(
    provider: str,
    start: date = FIRST_DAY,
    end: date = END,
    *,
    web_app: str = "60",
    spike_day: date = date(2026, 11, 15),
) -> ProviderData:
    """That provider's rows for [start, end); `web_app` is web-app's daily spend from `spike_day` (Nov 15) on."""
    data = ProviderData(provider, start, end)
    for day in _days(start, end):
        late = day >= spike_day
        if provider == "anthropic":
            data.costs.append(CostRecord(provider, day, "wrk_prod", "claude-sonnet-4-6", "tokens", "", usd("100")))
            if late:
                data.costs.append(CostRecord(provider, day, "wrk_batch", "claude-opus-4-8", "tokens", "", usd("80")))
        else:
            web = web_app if late else "50"
            small = "0.30" if late else "0.10"
            data.costs.append(CostRecord(provider, day, "proj_web", "gpt-5.5", "gpt-5.5, input", "", usd(web)))
            data.costs.append(CostRecord(provider, day, "proj_small", "gpt-4o-mini", "mini, input", "", usd(small)))
    if provider == "anthropic":
        data.labels = [Label(provider, "wrk_prod", "production"), Label(provider, "wrk_batch", "batch-jobs")]
    else:
        data.labels = [Label(provider, "proj_web", "web-app"), Label(provider, "proj_small", "small", archived=False)]
    return data


def write(store: Store, data: ProviderData, at: datetime = NOW) -> None:
    sync_id = store.begin_sync(data.provider, at, (data.start, data.end))
    rows = store.replace_provider_data(data, at)
    store.finish_sync(sync_id, at, "ok", None, rows)


def filled_store(path: Path, at: datetime = NOW) -> Store:
    """Both providers' data, as a sync at `at` fetched it (days that had not ended by then are not final)."""
    store = Store(path)
    for provider in ("anthropic", "openai"):
        write(store, provider_data(provider), at)
    return store


def table_rows(store: Store, table: str) -> list[dict[str, Any]]:
    with store.reading() as db:
        return [dict(row) for row in db[table].rows]
