"""The scheduled jobs: plain functions called with a fixed `now`, and the APScheduler wiring around them."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.alerts.model import AlertRun, Delivery, FoundAlert
from bot.config import Secret
from bot.errors import ConfigError
from bot.jobs import DigestSchedule, build_scheduler, digest_job, parse_digest_at, sync_and_alert
from bot.providers import build_providers
from bot.simulator import ANTHROPIC_KEY, OPENAI_KEY, Simulator
from bot.slack.client import build_client
from bot.store import Store
from tests.alert_support import CHANNEL, alert_settings, filled_store, provider_data, table_rows, write
from tests.fake_slack import FakeSlack

POST = "/api/chat.postMessage"
MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
DIGEST_ID = "digest|2026-11-16..2026-11-22"
DIGEST_TEXT = (
    "Weekly AI spend, Nov 16–22: $1,682.10 (▲ 47.4% vs $1,140.90 the week before). "
    "Anthropic $1,260.00, OpenAI $422.10. "
    "Top workspaces and projects: production (Anthropic) $700.00, batch-jobs (Anthropic) $560.00, "
    "web-app (OpenAI) $420.00, small (OpenAI) $2.10. "
    "Top models: claude-sonnet-4-6 (Anthropic) $700.00, claude-opus-4-8 (Anthropic) $560.00, "
    "gpt-5.5 (OpenAI) $420.00, gpt-4o-mini (OpenAI) $2.10. "
    "Budget: $4,264.10 of $5,000.00 used this month (85%), projected $5,487.00 (110%)."
)
MONDAYS_9AM = DigestSchedule(frozenset({0}), 9, 0)
ONE = timedelta(days=1)


@pytest.fixture(autouse=True)
def _quiet_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKIP_SLACK_SDK_WARNING", "1")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = filled_store(tmp_path / "aispend.db", at=MONDAY)  # synced after the digest's week ended
    yield store
    store.close()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("mon 09:00", DigestSchedule(frozenset({0}), 9, 0)),
        ("Monday 9:30", DigestSchedule(frozenset({0}), 9, 30)),
        ("mon,thu 08:05 UTC", DigestSchedule(frozenset({0, 3}), 8, 5)),
        ("mon-fri 17:00", DigestSchedule(frozenset(range(5)), 17, 0)),
        ("sat-mon 07:00", DigestSchedule(frozenset({5, 6, 0}), 7, 0)),
        ("daily 00:00", DigestSchedule(frozenset(range(7)), 0, 0)),
    ],
)
def test_the_digest_time_accepts_days_and_a_utc_time(text: str, expected: DigestSchedule) -> None:
    assert parse_digest_at(text) == expected


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("monday", "it is 'monday'"),
        ("funday 09:00", "'funday' in 'funday 09:00' is not a day"),
        ("mo 09:00", "'mo' in 'mo 09:00' is not a day"),
        ("mon 24:00", "'mon 24:00' is not a time of day"),
    ],
)
def test_a_malformed_digest_time_says_what_to_write(text: str, problem: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_digest_at(text)
    assert str(err.value) == (
        "AISPEND_DIGEST_AT must be days and a UTC time such as 'mon 09:00', 'mon,thu 08:30', 'mon-fri 17:00' or "
        f"'daily 09:00'; {problem}."
    )


def test_the_latest_slot_is_the_most_recent_scheduled_moment() -> None:
    assert MONDAYS_9AM.latest_slot(MONDAY) == MONDAY
    assert MONDAYS_9AM.latest_slot(MONDAY + timedelta(hours=3)) == MONDAY
    assert MONDAYS_9AM.latest_slot(MONDAY - timedelta(minutes=1)) == MONDAY - timedelta(days=7)
    assert MONDAYS_9AM.latest_slot(MONDAY + timedelta(days=3)) == MONDAY


def test_the_weekly_digest_is_posted_once_even_across_a_restart(tmp_path: Path, fake: FakeSlack) -> None:
    conf = alert_settings(monthly_budget_usd=Decimal(5000))
    slack = build_client("xoxb-t", fake.api_url)
    with filled_store(tmp_path / "a.db", at=MONDAY) as store:
        first = digest_job(store, slack, conf, now=MONDAY, schedule=MONDAYS_9AM, pace=0)
    assert first == AlertRun(
        date(2026, 11, 23),
        False,
        (FoundAlert(DIGEST_ID, "digest", DIGEST_TEXT, ("digest",)),),
        (Delivery(DIGEST_ID, "posted"),),
    )
    [post] = fake.wait_for(POST)
    assert (post.body["channel"], post.body["text"]) == (CHANNEL, DIGEST_TEXT)
    assert post.body["blocks"][0]["text"]["text"] == ":calendar: Weekly AI spend: Nov 16–22"
    with Store(tmp_path / "a.db") as reopened:  # the process restarted an hour later
        again = digest_job(reopened, slack, conf, now=MONDAY + timedelta(hours=1), schedule=MONDAYS_9AM, pace=0)
        assert again == AlertRun(date(2026, 11, 23), False)
        assert [r["identity"] for r in table_rows(reopened, "alerts")] == [DIGEST_ID]
    assert len(fake.received(POST)) == 1


@pytest.mark.dates
def test_the_digest_reports_the_seven_days_before_its_slot(tmp_path: Path, fake: FakeSlack, now: datetime) -> None:
    # a slot on today's weekday at most a minute before `now` (00:00 UTC on New Year's Day for 00:00:05)
    schedule = DigestSchedule(frozenset({now.weekday()}), now.hour, now.minute)
    today = now.date()
    identity = f"digest|{today - 7 * ONE}..{today - ONE}"
    slack = build_client("xoxb-t", fake.api_url)
    with Store(tmp_path / "a.db") as store:
        for provider in ("anthropic", "openai"):
            # the alert_support days, moved: the new spend starts on the first day of the digest's week
            write(store, provider_data(provider, today - 21 * ONE, today + ONE, spike_day=today - 7 * ONE), at=now)
        posted = digest_job(store, slack, alert_settings(), now=now, schedule=schedule, pace=0)
        again = digest_job(store, slack, alert_settings(), now=now + timedelta(hours=1), schedule=schedule, pace=0)
        assert [r["identity"] for r in table_rows(store, "alerts")] == [identity]
    assert posted is not None and (posted.today, posted.posted) == (today, [identity])
    assert again == AlertRun(today, False)  # the ledger has this week's digest
    [post] = fake.wait_for(POST)
    # 7 x $240.30 against 7 x $150.10; no budget is set, so no budget line
    assert post.body["text"].endswith(
        ": $1,682.10 (▲ 60.1% vs $1,050.70 the week before). Anthropic $1,260.00, OpenAI $422.10. "
        "Top workspaces and projects: production (Anthropic) $700.00, batch-jobs (Anthropic) $560.00, "
        "web-app (OpenAI) $420.00, small (OpenAI) $2.10. "
        "Top models: claude-sonnet-4-6 (Anthropic) $700.00, claude-opus-4-8 (Anthropic) $560.00, "
        "gpt-5.5 (OpenAI) $420.00, gpt-4o-mini (OpenAI) $2.10."
    )
    assert len(fake.received(POST)) == 1


def test_a_digest_missed_by_more_than_the_grace_is_not_posted_late(store: Store, fake: FakeSlack) -> None:
    slack = build_client("xoxb-t", fake.api_url)
    late = MONDAY + timedelta(hours=12, seconds=1)
    assert digest_job(store, slack, alert_settings(), now=late, schedule=MONDAYS_9AM) is None
    assert digest_job(store, None, alert_settings(), now=MONDAY, schedule=MONDAYS_9AM) is None  # Slack is off
    assert fake.requests == []


@pytest.mark.dates
def test_a_sync_round_syncs_every_provider_then_posts_new_alerts_once(
    tmp_path: Path, fake: FakeSlack, now: datetime
) -> None:
    with Simulator(today=now.date()) as sim, Store(tmp_path / "sim.db") as store:
        conf = alert_settings(
            anthropic_admin_key=Secret(ANTHROPIC_KEY),
            openai_admin_key=Secret(OPENAI_KEY),
            anthropic_base_url=sim.anthropic_url,
            openai_base_url=sim.openai_url,
            backfill_days=21,
        )
        slack = build_client("xoxb-t", fake.api_url)
        rounds = []
        for hours in (0, 1):
            providers = build_providers(conf)
            try:
                rounds.append(sync_and_alert(store, providers, slack, conf, now=now + timedelta(hours=hours), pace=0))
            finally:
                for provider in providers:
                    provider.close()
    assert [[(r.provider, r.ok) for r in rnd.results] for rnd in rounds] == [
        [("anthropic", True), ("openai", True)]
    ] * 2
    week = f"{now.date() - timedelta(days=7)}..{now.date() - timedelta(days=1)}"
    # the simulator's spike is a level shift: on some dates its last day is also an unusual day (the daily rule)
    assert rounds[0].alerts is not None and rounds[0].alerts.posted[0] == f"spike|{week}"
    assert rounds[0].alerts.posted[1:] in ([], [f"anomaly|{now.date() - timedelta(days=1)}"])
    # with 21 days of history the month may start before the data does: cap alerts then wait, and say so
    assert rounds[1].alerts is not None
    assert rounds[1].alerts == AlertRun(now.date(), False, notes=rounds[1].alerts.notes)
    assert all(note.startswith("Cap alerts for ") for note in rounds[1].alerts.notes)
    posts = fake.wait_for(POST, len(rounds[0].alerts.posted))
    assert posts[0].body["text"].startswith("AI spend spike: +$")
    assert len(fake.received(POST)) == len(rounds[0].alerts.posted)


def test_without_slack_a_sync_round_only_syncs(store: Store) -> None:
    result = sync_and_alert(store, [], None, alert_settings(), now=MONDAY)
    assert (result.results, result.alerts, result.notes) == (
        [],
        None,
        ["alerts are off: set SLACK_BOT_TOKEN and AISPEND_ALERT_CHANNEL"],
    )


def test_the_scheduler_has_a_coalesced_interval_sync_and_a_weekly_digest(store: Store) -> None:
    conf = alert_settings(sync_interval_minutes=15, digest_cron="fri 16:30")
    scheduler = build_scheduler(
        store=store, client=None, settings=conf, providers_factory=list, clock=lambda: MONDAY, run_now=True
    )
    scheduler.start(paused=True)
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert sorted(jobs) == ["digest", "sync"]
        sync, digest = jobs["sync"], jobs["digest"]
        # each runs once at start (a DateTrigger: the scheduler's own "now"), then on its schedule
        assert all(isinstance(j.trigger, OrTrigger) for j in (sync, digest))
        (at_start, interval), (digest_at_start, cron) = sync.trigger.triggers, digest.trigger.triggers
        assert isinstance(at_start, DateTrigger) and isinstance(digest_at_start, DateTrigger)
        assert isinstance(interval, IntervalTrigger)
        assert interval.interval == timedelta(minutes=15)
        assert isinstance(cron, CronTrigger)
        assert str(cron) == "cron[day_of_week='fri', hour='16', minute='30']"
        assert str(cron.timezone) == "UTC"
        assert [(j.coalesce, j.max_instances, j.misfire_grace_time) for j in (sync, digest)] == [
            (True, 1, 450),
            (True, 1, 43200),
        ]
        assert (sync.next_run_time, digest.next_run_time) == (at_start.run_date, digest_at_start.run_date)
        first = at_start.run_date  # after the run at start, the interval counts from it
        assert sync.trigger.get_next_fire_time(first, first) == first + timedelta(minutes=15)
    finally:
        scheduler.shutdown(wait=False)


def test_without_run_now_the_jobs_wait_for_their_schedule(store: Store) -> None:
    conf = alert_settings(digest_cron="fri 16:30")
    scheduler = build_scheduler(
        store=store, client=None, settings=conf, providers_factory=list, clock=lambda: MONDAY, run_now=False
    )
    scheduler.start(paused=True)
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert isinstance(jobs["sync"].trigger, IntervalTrigger) and isinstance(jobs["digest"].trigger, CronTrigger)
        digest_at = jobs["digest"].next_run_time
        assert (digest_at.weekday(), digest_at.hour, digest_at.minute) == (4, 16, 30)
    finally:
        scheduler.shutdown(wait=False)


def test_the_started_scheduler_runs_the_jobs_which_post_the_spike_and_the_digest(store: Store, fake: FakeSlack) -> None:
    conf = alert_settings(monthly_budget_usd=Decimal(5000), spike_min_usd=Decimal(10))
    scheduler = build_scheduler(
        store=store,
        client=build_client("xoxb-t", fake.api_url),
        settings=conf,
        providers_factory=list,
        clock=lambda: MONDAY,
    )
    scheduler.start()
    try:
        fake.wait_until(lambda: len(fake.received(POST)) >= 3, 20, POST)
    finally:
        scheduler.shutdown(wait=True)
    assert sorted((r["identity"], r["state"]) for r in table_rows(store, "alerts")) == [
        ("budget|2026-11", "posted"),
        (DIGEST_ID, "posted"),
        ("spike|2026-11-16..2026-11-22", "posted"),
    ]
    assert len(fake.received(POST)) == 3
