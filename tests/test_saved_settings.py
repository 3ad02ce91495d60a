"""Settings saved from Slack: the environment's own rules, and their effect at use time (alerts, digest, schedule)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger

from bot.budget import budget_in_force
from bot.config import load_settings
from bot.errors import ConfigError
from bot.jobs import build_scheduler, digest_job, digest_schedule, reschedule_digest, sync_and_alert
from bot.saved_settings import (
    ALERT_CHANNEL,
    BUDGET,
    BY_KEY,
    DIGEST_AT,
    SPIKE_MIN_USD,
    SPIKE_PCT,
    SettingError,
    check_value,
    effective_settings,
    save_settings,
    settings_in_force,
)
from bot.slack.client import build_client
from bot.store import Store
from tests.alert_support import alert_settings, filled_store
from tests.fake_slack import FakeSlack

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
POST = "/api/chat.postMessage"


@pytest.fixture(autouse=True)
def _quiet_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKIP_SLACK_SDK_WARNING", "1")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = filled_store(tmp_path / "aispend.db", at=MONDAY)
    yield store
    store.close()


SAMPLES = {
    BUDGET: ["500", "$1,200.50", "1200.505", "0", "-5", "1e3", "2000000000", "abc", " 750 "],
    SPIKE_PCT: ["25", "12.5%", "0", "10001", "-3", "1e2", "lots", "33.333"],
    SPIKE_MIN_USD: ["10", "$12.50", "0", "-1", "ten", "1,000"],
    ALERT_CHANNEL: ["C0123ABC", "G0PRIVATE", "#general", "<#C0123|x>", "D0DM", "c0lower"],
    DIGEST_AT: ["mon 09:00", "mon-fri 17:30", "daily 8:05 utc", "someday", "mon 25:00", "fri"],
}


@pytest.mark.parametrize("key", list(SAMPLES))
def test_the_form_accepts_exactly_what_the_environment_accepts(key: str, tmp_path: Path) -> None:
    """One set of rules: a value passes the form's check iff `aispend run` would start with it in its variable."""
    variable = BY_KEY[key].variable
    for raw in SAMPLES[key]:
        try:
            settings = load_settings({variable: raw}, tmp_path)
            if key == DIGEST_AT:
                from bot.runner import check_startup

                check_startup(settings)
            env_ok = True
        except ConfigError:
            env_ok = False
        try:
            check_value(key, raw)
            form_ok = True
        except SettingError:
            form_ok = False
        assert (raw, form_ok) == (raw, env_ok)


def test_the_budget_is_the_one_budget_set_stores(store: Store) -> None:
    env = alert_settings(monthly_budget_usd=Decimal(900))
    store.set_setting(BUDGET, "750")  # what `/aispend budget set 750` writes
    line = settings_in_force(store, env)[0]
    assert (line.shown, line.source, line.saved) == ("$750.00", "Slack", "750")
    save_settings(store, {BUDGET: check_value(BUDGET, "$1,200")})
    assert budget_in_force(store, env).amount == Decimal(1200)
    save_settings(store, {BUDGET: None})
    assert budget_in_force(store, env).amount == Decimal(900)
    assert settings_in_force(store, env)[0].source == "environment"


def test_a_saved_value_that_no_longer_passes_is_set_aside(store: Store, caplog: pytest.LogCaptureFixture) -> None:
    store.set_setting(SPIKE_PCT, "lots")
    assert effective_settings(store, alert_settings()).spike_pct == alert_settings().spike_pct
    line = settings_in_force(store, alert_settings())[1]
    assert line.source != "Slack" and line.problem is not None and "Save it again" in line.problem


def test_a_saved_alert_channel_is_used_by_the_next_sync_round(store: Store, fake: FakeSlack) -> None:
    env = alert_settings(alert_channel=None)
    slack = build_client("xoxb-t", fake.api_url)
    assert sync_and_alert(store, [], slack, env, now=MONDAY, pace=0).alerts is None  # alerts are off
    save_settings(store, {ALERT_CHANNEL: "C0SAVED"})
    round_ = sync_and_alert(store, [], slack, env, now=MONDAY, pace=0)
    assert round_.alerts is not None and round_.alerts.posted
    assert {r.body["channel"] for r in fake.received(POST)} == {"C0SAVED"}


def test_a_saved_digest_time_moves_the_digest_job(store: Store, fake: FakeSlack) -> None:
    env = alert_settings(digest_cron="mon 09:00")
    scheduler = build_scheduler(
        store=store, client=None, settings=env, providers_factory=list, clock=lambda: MONDAY, run_now=False
    )
    scheduler.start(paused=True)
    try:
        save_settings(store, {DIGEST_AT: check_value(DIGEST_AT, "fri 17:30")})
        assert digest_schedule(store, env).days == frozenset({4})
        reschedule_digest(scheduler, store, env)
        trigger = scheduler.get_job("digest").trigger
        assert isinstance(trigger, CronTrigger)
        assert str(trigger) == "cron[day_of_week='fri', hour='17', minute='30']"
        at = scheduler.get_job("digest").next_run_time
        assert (at.weekday(), at.hour, at.minute) == (4, 17, 30)
    finally:
        scheduler.shutdown(wait=False)
    # the digest job itself reads the saved time: Monday 09:00 is no longer a slot, so nothing is posted then
    assert (
        digest_job(store, build_client("xoxb-t", fake.api_url), env, now=MONDAY, schedule=digest_schedule(store, env))
        is None
    )


def test_each_sync_round_runs_the_after_sync_step(store: Store) -> None:
    ran = threading.Event()
    scheduler = build_scheduler(
        store=store, client=None, settings=alert_settings(), providers_factory=list, clock=lambda: MONDAY,
        after_sync=ran.set,
    )  # fmt: skip
    scheduler.start()
    try:
        assert ran.wait(10)
    finally:
        scheduler.shutdown(wait=True)


def test_the_home_viewers_table_forgets_old_opens(store: Store) -> None:
    store.record_home_open("U1", MONDAY - timedelta(days=3))
    store.record_home_open("U2", MONDAY - timedelta(hours=1))
    store.record_home_open("U2", MONDAY - timedelta(hours=5))  # an older open does not move it back
    assert store.home_viewers(MONDAY - timedelta(days=1)) == ["U2"]
    assert store.home_viewers(MONDAY - timedelta(days=7)) == ["U2"]  # U1 was deleted by the first read
