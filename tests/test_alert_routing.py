"""Quiet hours and per-kind alert channels (issue 13 item 5): AISPEND_QUIET_HOURS, AISPEND_BUDGET_CHANNEL and
AISPEND_ANOMALY_CHANNEL, from the environment to the fake Slack API."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.alerts.ledger_view import alerts_overview
from bot.alerts.service import run_alerts
from bot.config import load_settings
from bot.config_values import QuietHours
from bot.errors import ConfigError
from bot.records import MONTHLY, WORKSPACE_SCOPE, CapsFetch, ProviderData, SpendCap
from bot.safe_text import literal
from bot.slack.client import build_client
from bot.store import Store
from tests.alert_support import CHANNEL, NOW, TODAY, alert_settings, filled_store, usd, write
from tests.fake_slack import FakeSlack

BUDGET_CHANNEL = "C0BUDGET"
ANOMALY_CHANNEL = "C0ANOMALY"
SPIKE_ID = "spike|2026-11-15..2026-11-21"
QUIET = QuietHours(time(22, 0), time(10, 0))  # NOW is 09:00 UTC: inside


@pytest.fixture(autouse=True)
def _quiet_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKIP_SLACK_SDK_WARNING", "1")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    store = filled_store(tmp_path / "aispend.db")
    yield store
    store.close()


@pytest.fixture
def slack(fake: FakeSlack) -> FakeSlack:
    fake.epoch = int(NOW.timestamp())
    return fake


def with_cap(store: Store) -> None:
    data = ProviderData("anthropic", TODAY, TODAY)
    data.caps = CapsFetch("anthropic", (SpendCap("anthropic", WORKSPACE_SCOPE, "wrk_prod", usd("2500"), MONTHLY),))
    write(store, data)


def run(store: Store, fake: FakeSlack, now: datetime, **settings: Any) -> list[str]:
    client = build_client("xoxb-alert-test-token", fake.api_url)
    result = run_alerts(store, client, settings=alert_settings(**settings), today=TODAY, now=now, dry_run=False, pace=0)
    return result.posted


def kinds_in(fake: FakeSlack, channel: str) -> list[str]:
    return [m["metadata"]["event_payload"]["identity"].split("|")[0] for m in fake.in_channel(channel)]


# --- configuration ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "start", "end"),
    [
        ("22:00-07:00", time(22), time(7)),
        ("09:30 - 17:45", time(9, 30), time(17, 45)),
        ("00:00-23:59", time(0), time(23, 59)),
    ],
)
def test_quiet_hours_are_read_as_a_utc_window(tmp_path: Path, raw: str, start: time, end: time) -> None:
    settings = load_settings({"AISPEND_QUIET_HOURS": raw}, cwd=tmp_path)
    assert settings.quiet_hours == QuietHours(start, end)


@pytest.mark.parametrize("raw", ["22-7", "22:00", "24:00-07:00", "22:60-07:00", "07:00-07:00", "10pm-7am"])
def test_malformed_quiet_hours_are_one_clear_sentence(tmp_path: Path, raw: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings({"AISPEND_QUIET_HOURS": raw}, cwd=tmp_path)
    assert str(caught.value) == (
        "AISPEND_QUIET_HOURS must be a UTC window HH:MM-HH:MM with two different times, such as 22:00-07:00 (it may "
        f"wrap midnight); it is {raw!r}."
    )


def test_the_per_kind_channels_are_validated_like_the_alert_channel(tmp_path: Path) -> None:
    ok = load_settings({"AISPEND_BUDGET_CHANNEL": "C0BUDGET", "AISPEND_ANOMALY_CHANNEL": "G0ANOM"}, cwd=tmp_path)
    assert (ok.budget_channel, ok.anomaly_channel) == ("C0BUDGET", "G0ANOM")
    with pytest.raises(ConfigError) as caught:
        load_settings({"AISPEND_BUDGET_CHANNEL": "#budget"}, cwd=tmp_path)
    assert str(caught.value).startswith("AISPEND_BUDGET_CHANNEL must be a channel ID such as C0123456789, not a name")


def test_a_window_that_wraps_midnight_contains_the_night_and_ends_in_the_morning() -> None:
    at = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)
    assert (
        QUIET.contains(at) and QUIET.contains(at + timedelta(hours=10)) and not QUIET.contains(at + timedelta(hours=11))
    )
    assert QUIET.ends_after(at) == datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
    day = QuietHours(time(9), time(17))
    assert day.contains(datetime(2026, 11, 22, 9, 0, tzinfo=UTC)) and not day.contains(
        datetime(2026, 11, 22, 17, 0, tzinfo=UTC)
    )


# --- routing ----------------------------------------------------------------------------------------------------


def test_each_kind_goes_to_its_own_channel_and_the_rest_to_the_alert_channel(store: Store, slack: FakeSlack) -> None:
    with_cap(store)
    channels = {"budget_channel": BUDGET_CHANNEL, "anomaly_channel": ANOMALY_CHANNEL}
    posted = run(store, slack, NOW, monthly_budget_usd=Decimal(1000), **channels)
    assert sorted(p.split("|")[0] for p in posted) == ["budget", "cap", "spike"]
    assert kinds_in(slack, ANOMALY_CHANNEL) == ["spike"]
    assert sorted(kinds_in(slack, BUDGET_CHANNEL)) == ["budget", "cap"]
    assert kinds_in(slack, CHANNEL) == []


def test_without_per_kind_channels_everything_goes_to_the_alert_channel(store: Store, slack: FakeSlack) -> None:
    with_cap(store)
    run(store, slack, NOW, monthly_budget_usd=Decimal(1000), budget_channel=BUDGET_CHANNEL)
    assert sorted(kinds_in(slack, BUDGET_CHANNEL)) == ["budget", "cap"]
    assert kinds_in(slack, CHANNEL) == ["spike"]  # no AISPEND_ANOMALY_CHANNEL: the default


# --- quiet hours ------------------------------------------------------------------------------------------------


def test_quiet_hours_hold_non_urgent_alerts_then_post_them_once(store: Store, slack: FakeSlack) -> None:
    held = run(store, slack, NOW, quiet_hours=QUIET)
    assert held == [] and slack.in_channel(CHANNEL) == []
    overview = alerts_overview(store, NOW, admin=False, settings=alert_settings(quiet_hours=QUIET))
    assert "*Waiting for quiet hours*" in overview
    assert literal("waits for quiet hours (22:00-10:00 UTC) to end at 10:00 UTC") in overview

    still = run(store, slack, NOW + timedelta(minutes=59), quiet_hours=QUIET)  # 09:59: still quiet
    assert still == [] and slack.in_channel(CHANNEL) == []
    after = run(store, slack, NOW + timedelta(hours=1), quiet_hours=QUIET)  # 10:00: the window has ended
    assert after == [SPIKE_ID] and kinds_in(slack, CHANNEL) == ["spike"]
    assert run(store, slack, NOW + timedelta(hours=2), quiet_hours=QUIET) == []
    assert kinds_in(slack, CHANNEL) == ["spike"]  # exactly once
    later = alerts_overview(store, NOW + timedelta(hours=2), admin=False, settings=alert_settings(quiet_hours=QUIET))
    assert "Waiting for quiet hours" not in later


def test_budget_at_100_percent_and_caps_post_through_quiet_hours(store: Store, slack: FakeSlack) -> None:
    with_cap(store)
    posted = run(store, slack, NOW, quiet_hours=QUIET, monthly_budget_usd=Decimal(1000))
    # the budget message holds 50, 80 and 100 %: urgent, like the cap; the spike waits
    assert sorted(p.split("|")[0] for p in posted) == ["budget", "cap"]
    assert sorted(kinds_in(slack, CHANNEL)) == ["budget", "cap"]


def test_a_budget_message_below_100_percent_waits_for_quiet_hours(store: Store, slack: FakeSlack) -> None:
    # month to date is $3,973.00 (Nov 1-22): 80 % of $4,900 is crossed, 100 % is not
    posted = run(store, slack, NOW, quiet_hours=QUIET, monthly_budget_usd=Decimal(4900))
    assert posted == [] and slack.in_channel(CHANNEL) == []
    assert sorted(p.split("|")[0] for p in run(store, slack, NOW + timedelta(hours=1), quiet_hours=QUIET)) == [
        "budget",
        "spike",
    ]
