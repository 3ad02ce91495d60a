"""Alert evaluation, recording and delivery against a real SQLite file and the fake Slack Web API.

Delivery loses nothing and repeats nothing: Slack down then up posts once, a re-evaluation posts nothing, two
threads or two processes post once, a snooze is respected, budget thresholds fire once a month.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.alerts import payload
from bot.alerts.messages import spike_message
from bot.alerts.model import AlertRun, Delivery, FoundAlert
from bot.alerts.overview import format_alerts_text
from bot.alerts.rules import week_for
from bot.alerts.service import alerts_overview, delivery_problems, describe_spike, run_alerts, spike_report
from bot.config import Settings
from bot.errors import ConfigError
from bot.money import nano_to_usd
from bot.slack.client import build_client
from bot.store import Store
from bot.store.alerts import AlertStore
from tests.alert_support import (
    ADMIN,
    CHANNEL,
    NOW,
    SHORT_NOTE,
    SPIKE_ID,
    SPIKE_TEXT,
    TODAY,
    alert_settings,
    filled_store,
    provider_data,
    table_rows,
    write,
)
from tests.fake_slack import FakeSlack

POST = "/api/chat.postMessage"
TOKEN = "xoxb-alert-test-token"
SPIKE_SCOPES = (
    "org",
    "provider:anthropic",
    "workspace:anthropic:wrk_batch",
    "model:anthropic:claude-opus-4-8",
)
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _quiet_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKIP_SLACK_SDK_WARNING", "1")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = filled_store(tmp_path / "aispend.db")
    yield store
    store.close()


def client(fake: FakeSlack) -> WebClient:
    return build_client(TOKEN, fake.api_url)


def run(store: Store, slack: WebClient | None, *, settings: Settings | None = None, **kw: Any) -> AlertRun:
    kw.setdefault("today", TODAY)
    kw.setdefault("now", NOW)
    kw.setdefault("dry_run", False)
    return run_alerts(store, slack, settings=settings or alert_settings(), pace=0, **kw)


def posts(fake: FakeSlack, count: int) -> list[Any]:
    """Exactly `count` posts (the fake records a request just after answering it, so wait for the last one)."""
    if count:
        fake.wait_for(POST, count)
    received = fake.received(POST)
    assert len(received) == count
    return received


def alert_rows(store: Store) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k != "payload"} for row in table_rows(store, "alerts")]


def row(identity: str, state: str, **kw: Any) -> dict[str, Any]:
    base = {
        "identity": identity,
        "kind": identity.split("|")[0],
        "period": identity.split("|")[1],
        "state": state,
        "summary": "AI spend spike: +$631.40 (+60%) week over week",
        "channel": CHANNEL,
        "ts": "1700000000.000100",
        "attempts": 1,
        "last_error": None,
        "created_at": "2026-11-22T09:00:00Z",
        "posted_at": "2026-11-22T09:00:00Z",
        "acked_by": None,
        "acked_at": None,
        "attempt_at": None,
    }
    return base | kw


def test_a_spike_is_recorded_posted_once_and_a_re_evaluation_posts_nothing(store: Store, fake: FakeSlack) -> None:
    first = run(store, client(fake))
    assert first == AlertRun(
        TODAY, False, (FoundAlert(SPIKE_ID, "spike", SPIKE_TEXT, SPIKE_SCOPES),), (Delivery(SPIKE_ID, "posted"),)
    )
    [post] = posts(fake, 1)
    expected = spike_message(spike_report(store, alert_settings(), TODAY), SPIKE_ID)
    assert post.body == {
        "channel": CHANNEL,
        "text": SPIKE_TEXT,
        "blocks": expected.blocks,
        "unfurl_links": False,
        "unfurl_media": False,
        # what finds the message again when the answer to this post is lost
        "metadata": {"event_type": "aispend_alert", "event_payload": {"identity": SPIKE_ID}},
    }
    assert post.headers["authorization"] == f"Bearer {TOKEN}"
    assert alert_rows(store) == [row(SPIKE_ID, "posted")]
    assert payload.loads(table_rows(store, "alerts")[0]["payload"]) == spike_report(store, alert_settings(), TODAY)
    assert [(r["key"], r["message"], r["period_end"]) for r in table_rows(store, "alert_scopes")] == [
        (f"spike|{scope}|2026-11-15..2026-11-21", SPIKE_ID, "2026-11-21") for scope in SPIKE_SCOPES
    ]

    later = NOW + timedelta(hours=1)
    assert run(store, client(fake), now=later) == AlertRun(TODAY, False)
    # the next day's window overlaps: the same event is not alerted again
    assert run(store, client(fake), today=TODAY + timedelta(days=1), now=later + timedelta(days=1)).found == ()
    posts(fake, 1)


def test_slack_down_then_up_posts_exactly_once(store: Store, fake: FakeSlack) -> None:
    # a 500 may follow a post Slack made, so each evaluation looks in the channel before posting again
    fake.responses[POST] = (500, {}, {"ok": False, "error": "internal_error"})
    down = run(store, client(fake))
    assert down.deliveries == (Delivery(SPIKE_ID, "posting", "internal_error"),)
    again = run(store, client(fake), now=NOW + timedelta(hours=1))
    assert again.found == ()
    assert again.deliveries == (Delivery(SPIKE_ID, "posting", "internal_error"),)
    assert alert_rows(store) == [
        row(
            SPIKE_ID,
            "posting",
            ts=None,
            attempts=2,
            last_error="internal_error",
            posted_at=None,
            attempt_at="2026-11-22T10:00:00Z",
        )
    ]

    del fake.responses[POST]
    up = run(store, client(fake), now=NOW + timedelta(hours=2))
    assert up.deliveries == (Delivery(SPIKE_ID, "posted"),)
    assert run(store, client(fake), now=NOW + timedelta(hours=3)).deliveries == ()
    assert [p.body["text"] for p in posts(fake, 3)] == [SPIKE_TEXT] * 3  # two refused, one accepted, nothing after
    assert len(fake.received("/api/conversations.history")) == 2  # before the second and the third post
    assert alert_rows(store) == [row(SPIKE_ID, "posted", attempts=3, posted_at="2026-11-22T11:00:00Z")]


def test_a_rate_limited_post_is_retried_by_the_client_itself(store: Store, fake: FakeSlack) -> None:
    fake.responses[POST] = [
        (429, {"Retry-After": "0"}, {"ok": False, "error": "ratelimited"}),
        (200, {}, {"ok": True, "channel": CHANNEL, "ts": "5.000500"}),
    ]
    result = run(store, client(fake))
    assert result.deliveries == (Delivery(SPIKE_ID, "posted"),)
    posts(fake, 2)
    assert alert_rows(store) == [row(SPIKE_ID, "posted", ts="5.000500")]


def test_an_unknown_slack_error_is_retried_not_given_up(store: Store, fake: FakeSlack) -> None:
    fake.responses[POST] = (200, {}, {"ok": False, "error": "something_new"})
    assert run(store, client(fake)).deliveries == (Delivery(SPIKE_ID, "pending", "something_new"),)
    del fake.responses[POST]
    assert run(store, client(fake), now=NOW + timedelta(hours=1)).posted == [SPIKE_ID]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_network_failure_leaves_the_alert_pending_for_the_next_evaluation(store: Store, fake: FakeSlack) -> None:
    unreachable = WebClient(token=TOKEN, base_url=f"http://127.0.0.1:{_closed_port()}/api/", retry_handlers=[])
    down = run(store, unreachable)
    [delivery] = down.deliveries
    assert (delivery.identity, delivery.state) == (SPIKE_ID, "pending")
    assert delivery.error is not None and delivery.error.startswith("URLError: ")
    assert TOKEN not in delivery.error

    assert run(store, client(fake), now=NOW + timedelta(hours=1)).deliveries == (Delivery(SPIKE_ID, "posted"),)
    posts(fake, 1)


def test_a_permanent_refusal_is_logged_with_the_fix_shown_to_admins_and_resent_by_hand(
    store: Store, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    fake.responses[POST] = (200, {}, {"ok": False, "error": "not_in_channel"})
    with caplog.at_level(logging.ERROR, logger="aispend.alerts"):
        failed = run(store, client(fake), retry_failed=False)
    [delivery] = failed.deliveries
    assert delivery == Delivery(
        SPIKE_ID,
        "failed_permanent",
        "not_in_channel",
        "the bot is not in the alert channel: /invite the bot there (or add the chat:write.public scope for a "
        "public channel and reinstall the app); then run `aispend alerts` to resend.",
    )
    assert [r.getMessage() for r in caplog.records] == [
        f"alert {SPIKE_ID} was NOT posted to {CHANNEL}: Slack said not_in_channel; {delivery.fix}"
    ]
    alert_store = AlertStore(store)
    problems = (
        "*Alerts that could not be posted*\n"
        "• 2026-11-22 spike: AI spend spike: +$631.40 (+60%) week over week — "
        f"Slack said not_in_channel: {delivery.fix}"
    )
    assert delivery_problems(store) == problems
    assert alerts_overview(store, NOW, admin=True).endswith("\n\n" + problems)
    assert "could not be posted" not in alerts_overview(store, NOW, admin=False)
    # scheduled evaluations do not hammer Slack with a refusal that will not change by itself
    assert run(store, client(fake), now=NOW + timedelta(hours=1), retry_failed=False).deliveries == ()
    posts(fake, 1)

    del fake.responses[POST]  # the bot was invited; the admin runs `aispend alerts`
    assert run(store, client(fake), now=NOW + timedelta(hours=2)).deliveries == (Delivery(SPIKE_ID, "posted"),)
    assert alert_store.failures() == []
    posts(fake, 2)


def test_budget_thresholds_fire_once_per_month(store: Store, fake: FakeSlack) -> None:
    conf = alert_settings(monthly_budget_usd=Decimal(2000), spike_min_usd=Decimal(100000))
    found = {}
    for day in (10, 11, 12, 14, 20):
        today = date(2026, 11, day)
        result = run(store, client(fake), settings=conf, today=today, now=NOW.replace(day=day))
        found[day] = [(f.identity, f.scopes) for f in result.found]
    for provider in ("anthropic", "openai"):  # the sync of Dec 2 fetched Dec 1 after it ended
        write(store, provider_data(provider), at=NOW.replace(month=12, day=2))
    december = run(store, client(fake), settings=conf, today=date(2026, 12, 2), now=NOW.replace(month=12, day=2))
    assert found == {
        10: [("budget|2026-11", ("budget:50", "budget:projected"))],  # $1,501.00 = 75 %
        11: [("budget|2026-11|2", ("budget:80",))],  # $1,651.10 = 83 %
        12: [],  # $1,801.20 = 90 %
        14: [("budget|2026-11|3", ("budget:100",))],  # $2,101.40 = 105 %
        20: [],
    }
    assert [(f.identity, f.scopes) for f in december.found] == [("budget|2026-12", ("budget:projected",))]
    texts = [p.body["text"] for p in posts(fake, 4)]
    assert texts[0] == (
        "50% of the $2,000.00 monthly budget used (75% now). $1,501.00 of the $2,000.00 budget spent in November "
        "through Nov 10 (75%). At this pace: $4,503.00 by Nov 30 (225% of the budget, $2,503.00 over); "
        "the budget runs out around Nov 13. Crossed: 50%, projected month end above budget."
    )
    assert texts[2].startswith("Over budget: 105% of the $2,000.00 monthly budget used.")


def test_a_runtime_budget_set_from_slack_wins_over_the_environment(store: Store, fake: FakeSlack) -> None:
    store.set_setting("budget_usd", "1000")
    conf = alert_settings(monthly_budget_usd=Decimal(100000), spike_min_usd=Decimal(100000))
    result = run(store, client(fake), settings=conf, today=date(2026, 11, 10), now=NOW.replace(day=10))
    assert [f.scopes for f in result.found] == [("budget:50", "budget:80", "budget:100", "budget:projected")]


def test_a_snoozed_scope_is_not_alerted_until_the_snooze_ends(store: Store, fake: FakeSlack) -> None:
    alert_store = AlertStore(store)
    alert_store.snooze(
        [("workspace:anthropic:wrk_batch", "workspace batch-jobs (anthropic)"), ("budget", "budget warnings")],
        until=NOW + timedelta(days=7),
        by=ADMIN,
        now=NOW,
    )
    conf = alert_settings(monthly_budget_usd=Decimal(1000))
    muted = run(store, client(fake), settings=conf)
    assert [(f.identity, f.scopes) for f in muted.found] == [
        (SPIKE_ID, ("org", "provider:anthropic", "model:anthropic:claude-opus-4-8"))
    ]
    assert "workspace batch-jobs" not in posts(fake, 1)[0].body["text"]

    expired = run(store, client(fake), settings=conf, now=NOW + timedelta(days=7, seconds=1))
    assert [(f.identity, f.scopes) for f in expired.found] == [
        (f"{SPIKE_ID}|2", ("workspace:anthropic:wrk_batch",)),
        ("budget|2026-11", ("budget:50", "budget:80", "budget:100", "budget:projected")),
    ]


def test_a_scope_that_fires_later_the_same_week_gets_a_follow_up_with_only_that_scope(
    store: Store, fake: FakeSlack
) -> None:
    run(store, client(fake))
    # the provider revises web-app's last week upwards: +60 % now
    write(store, provider_data("openai", date(2026, 11, 15), date(2026, 11, 22), web_app="80"))
    follow = run(store, client(fake), now=NOW + timedelta(hours=1))
    assert [(f.identity, f.scopes) for f in follow.found] == [
        (f"{SPIKE_ID}|2", ("provider:openai", "workspace:openai:proj_web", "model:openai:gpt-5.5"))
    ]
    assert follow.found[0].text == (
        "More spend spikes this week: provider openai +$211.40 (+60%) (Nov 15–21 vs Nov 8–14). "
        "Organization $1,050.70 → $1,822.10 (+$771.40, +73%). "
        "Drivers: 99% from openai / web-app / gpt-5.5, +$210.00; other 1%, +$1.40. "
        "Also fired: project web-app (openai) +$210.00 (+60%); model gpt-5.5 (openai) +$210.00 (+60%)."
    )
    posts(fake, 2)


def test_a_dry_run_prints_the_alerts_and_records_and_posts_nothing(store: Store, fake: FakeSlack) -> None:
    result = run(store, None, dry_run=True)
    found = (FoundAlert(SPIKE_ID, "spike", SPIKE_TEXT, SPIKE_SCOPES),)
    assert result == AlertRun(TODAY, True, found, notes=(SHORT_NOTE,))
    assert format_alerts_text(result) == (
        "Alerts as of 2026-11-22 (dry run: nothing posted, nothing recorded)\n"
        f"- [spike] {SPIKE_TEXT}\nNote: {SHORT_NOTE}"
    )
    assert table_rows(store, "alerts") == []
    assert table_rows(store, "alert_scopes") == []
    assert fake.requests == []


def test_posting_needs_slack_and_a_channel(store: Store) -> None:
    with pytest.raises(ConfigError, match="AISPEND_ALERT_CHANNEL"):
        run(store, None)


def test_describe_spike_is_what_the_demo_prints(store: Store) -> None:
    assert describe_spike(store, TODAY, alert_settings()) == SPIKE_TEXT
    assert describe_spike(store, date(2026, 12, 3), alert_settings()) is None


def test_a_held_lease_makes_another_evaluation_skip_until_it_expires(store: Store, fake: FakeSlack) -> None:
    alert_store = AlertStore(store)
    assert alert_store.acquire_lease("alerts", "other-process", NOW, NOW + timedelta(minutes=10))
    skipped = run(store, client(fake), lease_wait=0)
    assert skipped == AlertRun(
        TODAY, False, skipped="another aispend process is evaluating alerts right now; it posts them"
    )
    assert fake.requests == []
    assert run(store, client(fake), now=NOW + timedelta(minutes=10), lease_wait=0).posted == [SPIKE_ID]


def test_a_restart_re_posts_nothing(tmp_path: Path, fake: FakeSlack) -> None:
    first = filled_store(tmp_path / "aispend.db")
    run(first, client(fake))
    first.close()
    with Store(tmp_path / "aispend.db") as reopened:
        assert run(reopened, client(fake), now=NOW + timedelta(minutes=5)) == AlertRun(TODAY, False)
    posts(fake, 1)


def test_two_threads_evaluating_at_once_post_once(store: Store, fake: FakeSlack) -> None:
    AlertStore(store)  # tables first, so both threads race on the alerts themselves
    barrier = threading.Barrier(4)
    results: list[AlertRun] = []

    def evaluate() -> None:
        barrier.wait()
        results.append(run(store, client(fake), settings=alert_settings(monthly_budget_usd=Decimal(5000))))

    threads = [threading.Thread(target=evaluate) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(p for r in results for p in r.posted) == ["budget|2026-11", SPIKE_ID]
    assert sorted(p.body["text"][:14] for p in posts(fake, 2)) == ["80% of the $5,", "AI spend spike"]


_CHILD = """
import sys
from decimal import Decimal
from bot.alerts.service import run_alerts
from bot.slack.client import build_client
from bot.store import Store
from tests.alert_support import NOW, TODAY, alert_settings
db, api = sys.argv[1], sys.argv[2]
print("ready", flush=True)
sys.stdin.readline()
with Store(db) as store:
    run = run_alerts(store, build_client("xoxb-alert-test-token", api), today=TODAY, now=NOW, dry_run=False, pace=0,
                     settings=alert_settings(monthly_budget_usd=Decimal(5000)))
print(",".join(run.posted), flush=True)
"""


@pytest.mark.slow
def test_two_processes_on_the_same_database_post_once(tmp_path: Path, fake: FakeSlack) -> None:
    db = tmp_path / "aispend.db"
    filled_store(db).close()  # the alert tables do not exist yet: the two processes also race to create them
    env = {**os.environ, "SKIP_SLACK_SDK_WARNING": "1"}
    children = [
        subprocess.Popen(
            [sys.executable, "-c", _CHILD, str(db), fake.api_url],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for child in children:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
    for child in children:
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
    outputs = [child.communicate(timeout=60) for child in children]
    assert [child.returncode for child in children] == [0, 0], [err for _, err in outputs]
    posted = sorted(p for out, _ in outputs for p in out.strip().split(",") if p)
    assert posted == ["budget|2026-11", SPIKE_ID]
    posts(fake, 2)
    with Store(db) as store:
        assert [(r["identity"], r["state"]) for r in table_rows(store, "alerts")] == [
            (SPIKE_ID, "posted"),
            ("budget|2026-11", "posted"),
        ]


@pytest.mark.dates
def test_the_simulators_spike_is_found_and_explained(tmp_path: Path, fake: FakeSlack, now: datetime) -> None:
    from bot.providers import build_providers
    from bot.simulator import ANTHROPIC_KEY, OPENAI_KEY, Simulator
    from bot.sync import sync_providers

    today = now.date()
    with Simulator(today=today) as sim, Store(tmp_path / "sim.db") as store:
        conf = alert_settings(
            anthropic_admin_key=_secret(ANTHROPIC_KEY),
            openai_admin_key=_secret(OPENAI_KEY),
            anthropic_base_url=sim.anthropic_url,
            openai_base_url=sim.openai_url,
        )
        providers = build_providers(conf)
        try:
            results = sync_providers(store, providers, now=now, backfill_days=30)
        finally:
            for provider in providers:
                provider.close()
        assert [r.ok for r in results] == [True, True]
        week = week_for(today)
        totals = [
            sum(sim.org.expected_cost_nano(p, start, end + timedelta(days=1)) for p in ("anthropic", "openai"))
            for start, end in ((week.start, week.end), (week.prev_start, week.prev_end))
        ]
        result = run(store, client(fake), settings=conf, today=today, now=now)
    found = result.found[0]  # the simulator's daily rhythm may add a daily anomaly after it
    assert found.identity == f"spike|{today - timedelta(days=7)}..{today - timedelta(days=1)}"
    increase = nano_to_usd(totals[0] - totals[1])
    assert found.text.startswith(f"AI spend spike: +${increase:,.2f} (+")
    assert "Drivers: " in found.text
    drivers = found.text.split("Drivers: ", 1)[1]
    assert " from anthropic / batch-jobs / claude-opus-4-8 (new this week), +$" in drivers.split(";")[0]
    assert "workspace batch-jobs (anthropic) +$" in found.text and "(new spender)" in found.text
    assert result.posted[0] == found.identity
    assert posts(fake, len(result.posted))[0].body["text"] == found.text


def _secret(value: str) -> Any:
    from bot.config import Secret

    return Secret(value)
