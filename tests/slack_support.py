"""Shared pieces of the Slack tests: a known database, settings, signed requests and an App on a fake Slack.

The database is hand-made so every number in a reply can be checked by hand (see `fill_store`).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from slack_bolt import App
from slack_sdk.signature import SignatureVerifier

from bot.config import Secret, Settings
from bot.money import usd_to_nano
from bot.records import CostRecord, Label, ProviderData, UsageRecord
from bot.slack.app import Pools, create_app
from bot.slack.charts import ChartUploads
from bot.slack.client import build_client
from bot.slack.listener import AlertsView
from bot.store import Store
from tests.fake_slack import FakeSlack

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
TODAY = NOW.date()
SECRET = "test-signing-secret"
ADMIN, READER, STRANGER = "UADMIN", "UREADER", "USTRANGER"
CHANNEL = "C0SPEND"


def settings(**overrides: Any) -> Settings:
    base: dict[str, Any] = {
        "anthropic_admin_key": Secret("sk-ant-admin01-test"),
        "openai_admin_key": Secret("sk-admin-test"),
        "slack_bot_token": Secret("xoxb-test-token"),
        "slack_signing_secret": Secret(SECRET),
        "host": "127.0.0.1",
        "admin_users": frozenset({ADMIN}),
    }
    base.update(overrides)
    return Settings(**base)


def _days(first: date, end: date) -> Iterator[date]:
    day = first
    while day < end:
        yield day
        day += timedelta(days=1)


def _usd(text: str) -> int:
    return usd_to_nano(Decimal(text))


def fill_store(store: Store, *, openai_failed: bool = False, now: datetime = NOW) -> None:
    """Nov 1-22 2026 (22nd partial), every day (another `now` moves it all: the 1st is today - 21 days):

    anthropic  production  claude-sonnet-4-6  $20 + $5 x (day % 3)
               Default     (web search)       $0.50
               batch-jobs  claude-opus-4-8    $60 from Nov 15 (the spike)
    openai     web-app     gpt-5.5            $10
               (org)       (no model)         $1.25
    week Nov 15-21: anthropic 593.50, openai 78.75, total 672.25; previous week 262.25 (+156.34 %).
    Tokens per day: anthropic 1M in (600K cache read, 50K cache write) 100K out; openai 2M in (500K read) 200K out.
    """
    today = now.date()
    first, end = today - timedelta(days=21), today + timedelta(days=1)
    anthropic = ProviderData("anthropic", first, end)
    openai = ProviderData("openai", first, end)
    for day in _days(first, end):
        sonnet = str(20 + 5 * (((day - first).days + 1) % 3))  # day.day % 3 in Nov 2026
        anthropic.costs += [
            CostRecord("anthropic", day, "wrkspc_prod", "claude-sonnet-4-6", "tokens/input", "standard", _usd(sonnet)),
            CostRecord("anthropic", day, "", "", "web_search", "", _usd("0.50")),
        ]
        if day >= today - timedelta(days=7):
            anthropic.costs.append(
                CostRecord("anthropic", day, "wrkspc_batch", "claude-opus-4-8", "tokens/output", "batch", _usd("60"))
            )
        anthropic.usage.append(
            UsageRecord(
                "anthropic",
                day,
                "wrkspc_prod",
                "claude-sonnet-4-6",
                "standard",
                1_000_000,
                100_000,
                600_000,
                50_000,
                10,
            )
        )
        openai.costs += [
            CostRecord("openai", day, "proj_web", "gpt-5.5", "gpt-5.5, input", "", _usd("10")),
            CostRecord("openai", day, "", "", "web search tool calls", "", _usd("1.25")),
        ]
        openai.usage.append(UsageRecord("openai", day, "proj_web", "gpt-5.5", "", 2_000_000, 200_000, 500_000, 0, 20))
    anthropic.labels = [
        Label("anthropic", "wrkspc_prod", "production"),
        Label("anthropic", "wrkspc_batch", "batch <jobs> & co"),
    ]
    openai.labels = [Label("openai", "proj_web", "web-app")]
    # synced after yesterday ended, so its days are final even when `now` is just after midnight
    midnight = datetime.combine(today, clock_time(0, 0, 1), tzinfo=UTC)
    _synced(store, anthropic, max(now - timedelta(minutes=12), midnight))
    _synced(store, openai, max(now - timedelta(hours=4), midnight))
    if openai_failed:
        sync_id = store.begin_sync("openai", now - timedelta(minutes=10), (today - timedelta(days=2), end))
        store.finish_sync(sync_id, now - timedelta(minutes=9), "error", "OpenAI answered HTTP 503 three times", 0)


def _synced(store: Store, data: ProviderData, at: datetime) -> None:
    sync_id = store.begin_sync(data.provider, at - timedelta(seconds=5), (data.start, data.end))
    rows = store.replace_provider_data(data, at)
    store.finish_sync(sync_id, at, "ok", None, rows)


def slash_form(text: str, *, user: str = READER, channel: str = CHANNEL, response_url: str) -> dict[str, str]:
    return {
        "token": "legacy-verification-token",
        "team_id": "T1",
        "team_domain": "acme",
        "channel_id": channel,
        "channel_name": "spend",
        "user_id": user,
        "user_name": "someone",
        "command": "/aispend",
        "text": text,
        "api_app_id": "A1",
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": "123.456.abc",
    }


def signed(body: str, *, secret: str = SECRET, ts: int | None = None) -> dict[str, str | Sequence[str]]:
    """Headers Slack sends with `body`, signed with `secret` at `ts` (default: now)."""
    stamp = str(int(time.time()) if ts is None else ts)
    signature = SignatureVerifier(secret).generate_signature(timestamp=stamp, body=body)
    return {
        "content-type": "application/x-www-form-urlencoded",
        "x-slack-request-timestamp": stamp,
        "x-slack-signature": signature or "",
    }


def form_body(form: dict[str, str]) -> str:
    return urlencode(form)


def action_body(action_id: str, response_url: str) -> str:
    payload = {
        "type": "block_actions",
        "team": {"id": "T1", "domain": "acme"},
        "user": {"id": READER, "team_id": "T1"},
        "api_app_id": "A1",
        "token": "legacy-verification-token",
        "trigger_id": "123.456.abc",
        "channel": {"id": CHANNEL, "name": "spend"},
        "container": {"type": "message", "message_ts": "1.2", "channel_id": CHANNEL},
        "response_url": response_url,
        "actions": [{"action_id": action_id, "block_id": "b1", "type": "button", "value": "v", "action_ts": "1.3"}],
    }
    return urlencode({"payload": json.dumps(payload)})


@contextmanager
def running_app(
    fake: FakeSlack,
    store: Store,
    conf: Settings,
    *,
    sync_now: Callable[[], str] | None = None,
    registrars: tuple[Callable[[App], None], ...] = (),
    now: Callable[[], datetime] = lambda: NOW,
    alerts: AlertsView | None = None,
    pools: Pools | None = None,
    charts: ChartUploads | None = None,
) -> Iterator[App]:
    """The App as `aispend run` builds it; pass `pools` to share its ack gate with an HttpServer (shut down here)."""
    pools = pools or Pools(work=8)
    app = create_app(
        client=build_client("xoxb-test-token", fake.api_url),
        store=store,
        settings=conf,
        signing_secret=SECRET,
        now=now,
        sync_now=sync_now,
        alerts=alerts,
        registrars=registrars,
        pools=pools,
        charts=charts,
    )
    try:
        yield app
    finally:
        pools.shutdown()


def store_at(path: Path, **kwargs: Any) -> Store:
    store = Store(path)
    fill_store(store, **kwargs)
    return store


# --- the `/aispend week` reply for the database above --------------------------------------------------------

WEEK_TEXT = (
    "AI spend, last 7 days: 2026-11-15 to 2026-11-21 (UTC): $672.25, ▲ 156.3% vs the previous 7 days ($262.25). "
    "Anthropic $593.50, OpenAI $78.75. Top model: claude-opus-4-8 $420.00. "
    "Top workspace: batch &lt;jobs&gt; &amp; co $420.00."
)
MODELS_TABLE = (
    "```claude-opus-4-8 · Anthropic                     $420.00  ██████████\n"
    "claude-sonnet-4-6 · Anthropic                   $170.00  ████\n"
    "gpt-5.5 · OpenAI                                 $70.00  █▋\n"
    "other (web search, tools, storage) · OpenAI       $8.75  ▎\n"
    "other (web search, tools, storage) · Anthropic    $3.50  ▏```"
)
WORKSPACES_TABLE = (
    "```batch &lt;jobs&gt; &amp; co · Anthropic       $420.00  ██████████\n"
    "production · Anthropic              $170.00  ████\n"
    "web-app · OpenAI                     $70.00  █▋\n"
    "Organization (no project) · OpenAI    $8.75  ▎\n"
    "Default · Anthropic                   $3.50  ▏```"
)
FRESHNESS = "Anthropic synced 12 min ago · OpenAI synced 4 h ago · 21.0M input / 2.1M output tokens, cache hit 37%"


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text, "verbatim": True}}


WEEK_BLOCKS = [
    {
        "type": "header",
        "text": {"type": "plain_text", "text": "AI spend, last 7 days: 2026-11-15 to 2026-11-21 (UTC)", "emoji": True},
    },
    mrkdwn("*$672.25*   ▲ 156.3% (+$410.00) vs the previous 7 days ($262.25)"),
    {
        "type": "section",
        "fields": [
            {"type": "mrkdwn", "text": "*Anthropic*\n$593.50 (88%) · synced 12 min ago", "verbatim": True},
            {"type": "mrkdwn", "text": "*OpenAI*\n$78.75 (12%) · synced 4 h ago", "verbatim": True},
        ],
    },
    mrkdwn("*Top models*\n" + MODELS_TABLE),
    mrkdwn("*Top workspaces and projects*\n" + WORKSPACES_TABLE),
    mrkdwn("*Daily*  `▁▅█▁▅█▁`\nlow $91.75 on Sun Nov 15, high $101.75 on Tue Nov 17"),
    {"type": "context", "elements": [{"type": "mrkdwn", "text": FRESHNESS, "verbatim": True}]},
]


def simulator_store(
    path: Path, now: datetime, *, backfill_days: int = 60, configure: Callable[[Any], object] | None = None
) -> Store:
    """A database synced from the bundled provider simulator (as `aispend sync` would fill it) on `now`;
    `configure(sim)` sets the simulated organization up first (e.g. `sim.org.openai_key_costs = False`)."""
    from bot.providers import build_providers
    from bot.simulator import ANTHROPIC_KEY, OPENAI_KEY, Simulator
    from bot.sync import sync_providers

    store = Store(path)
    with Simulator(today=now.date()) as sim:
        if configure is not None:
            configure(sim)
        conf = settings(
            anthropic_admin_key=Secret(ANTHROPIC_KEY),
            openai_admin_key=Secret(OPENAI_KEY),
            anthropic_base_url=sim.anthropic_url,
            openai_base_url=sim.openai_url,
        )
        providers = build_providers(conf)
        try:
            results = sync_providers(store, providers, now=now, backfill_days=backfill_days)
        finally:
            for provider in providers:
                provider.close()
    assert [(r.provider, r.ok) for r in results] == [("anthropic", True), ("openai", True)], results
    return store
