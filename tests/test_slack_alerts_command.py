"""`/aispend alerts` and the delivery problems admins see, through the real App, alert ledger and fake Slack."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.alerts.service import LedgerView, run_alerts
from bot.slack.client import build_client
from bot.slack.commands import Alerts, parse_command
from bot.store import Store
from tests.fake_slack import FakeSlack
from tests.slack_support import ADMIN, NOW, READER, TODAY, running_app, settings, store_at
from tests.test_slack_app import command, reply


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with store_at(tmp_path / "aispend.db") as opened:
        yield opened


def test_alerts_parses_with_and_without_public() -> None:
    assert parse_command("alerts") == Alerts()
    assert parse_command("alerts public") == Alerts(public=True)
    assert parse_command("alerts now").__class__.__name__ == "Help"


def test_no_alerts_yet(fake: FakeSlack, store: Store) -> None:
    with running_app(fake, store, settings(), alerts=LedgerView(store)) as app:
        assert command(app, fake, "alerts").status == 200
        text = reply(fake)["text"]
    assert "*Recent alerts*\n• none yet" in text
    assert "*Active snoozes*" in text


def test_a_refused_alert_is_listed_and_shown_to_admins_only(fake: FakeSlack, store: Store) -> None:
    conf = settings(alert_channel="C0ALERTS")
    fake.responses["/api/chat.postMessage"] = (200, {}, {"ok": False, "error": "channel_not_found"})
    run = run_alerts(
        store, build_client("xoxb-test-token", fake.api_url), settings=conf, today=TODAY, now=NOW, dry_run=False
    )
    assert run.failed and not run.posted
    with running_app(fake, store, conf, alerts=LedgerView(store)) as app:
        command(app, fake, "alerts", user=READER, name="reader")
        command(app, fake, "alerts", user=ADMIN, name="admin")
        command(app, fake, "week", user=ADMIN, name="week-admin")
        command(app, fake, "week", user=READER, name="week-reader")
        reader_text = reply(fake, "reader")["text"]
        admin_text = reply(fake, "admin")["text"]
        admin_week = reply(fake, "week-admin")
        reader_week = reply(fake, "week-reader")
    assert "spike: AI spend spike: +$410.00 (+156%) week over week — NOT POSTED: channel_not_found" in reader_text
    assert "*Alerts that could not be posted*" not in reader_text
    assert "*Alerts that could not be posted*" in admin_text and "channel_not_found" in admin_text
    assert "channel_not_found" in admin_week["text"]
    assert admin_week["blocks"][-1]["text"]["text"].startswith("*Alerts that could not be posted*")
    assert "channel_not_found" not in reader_week["text"]
