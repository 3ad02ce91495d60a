"""The alert buttons through a real Bolt App: signed block_actions in, acks out, Slack Web API calls to the fake."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk.signature import SignatureVerifier

from bot.alerts.messages import (
    ACK_ACTION,
    DETAILS_ACTION,
    EXPECTED_ACTION,
    NOT_EXPECTED_ACTION,
    SNOOZE_ACTION,
    MessageState,
    spike_details,
    spike_message,
)
from bot.alerts.service import run_alerts, spike_report
from bot.slack.alert_actions import register_alert_actions
from bot.slack.app import Pools, create_app
from bot.slack.client import build_client
from bot.store import Store
from bot.store.alerts import AlertStore
from tests.alert_support import (
    ADMIN,
    CHANNEL,
    NOW,
    SPIKE_ID,
    SPIKE_TEXT,
    TODAY,
    alert_settings,
    filled_store,
    table_rows,
)
from tests.fake_slack import FakeSlack

SECRET = "alert-actions-signing-secret"
TOKEN = "xoxb-alert-actions"
TS = "1700000000.000100"
READER, OTHER = "UREADER", "UOTHER"
SCOPES = ["org", "provider:anthropic", "workspace:anthropic:wrk_batch", "model:anthropic:claude-opus-4-8"]


@pytest.fixture(autouse=True)
def _quiet_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKIP_SLACK_SDK_WARNING", "1")


@pytest.fixture
def store(tmp_path: Path, fake: FakeSlack) -> Iterator[Store]:
    """The spike alert recorded and posted to CHANNEL, as the scheduler would have done."""
    store = filled_store(tmp_path / "aispend.db")
    run = run_alerts(
        store, build_client(TOKEN, fake.api_url), settings=alert_settings(), today=TODAY, now=NOW, dry_run=False
    )
    assert run.posted == [SPIKE_ID]
    fake.wait_for("/api/chat.postMessage")
    fake.requests.clear()
    yield store
    store.close()


def make_app(fake: FakeSlack, store: Store, work: ThreadPoolExecutor | None = None) -> tuple[App, Pools]:
    conf = alert_settings()
    pools = Pools(work=4)
    alert_store = AlertStore(store)

    def register(app: App) -> None:
        register_alert_actions(app, alert_store, conf, now=lambda: NOW, work=work or pools.work)

    app = create_app(
        client=build_client(TOKEN, fake.api_url),
        store=store,
        settings=conf,
        signing_secret=SECRET,
        now=lambda: NOW,
        registrars=[register],
        pools=pools,
    )
    return app, pools


@pytest.fixture
def app(fake: FakeSlack, store: Store) -> Iterator[App]:
    app, pools = make_app(fake, store)
    yield app
    pools.shutdown()


def click(
    app: App,
    fake: FakeSlack,
    action_id: str,
    user: str,
    reply: str,
    value: str = SPIKE_ID,
    blocks: list[dict[str, Any]] | None = None,  # the clicked message's blocks as Slack sends them back
) -> BoltResponse:
    payload = {
        "type": "block_actions",
        "team": {"id": "T1", "domain": "acme"},
        "user": {"id": user, "team_id": "T1"},
        "api_app_id": "A1",
        "token": "legacy",
        "trigger_id": "1.2.3",
        "channel": {"id": CHANNEL, "name": "alerts"},
        "container": {"type": "message", "message_ts": TS, "channel_id": CHANNEL},
        "message": {"type": "message", "ts": TS, "text": SPIKE_TEXT, **({"blocks": blocks} if blocks else {})},
        "response_url": fake.response_url(reply),
        "actions": [{"action_id": action_id, "block_id": "aispend_alert_actions", "type": "button", "value": value}],
    }
    body = urlencode({"payload": json.dumps(payload)})
    stamp = str(int(time.time()))
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body)
    assert signature is not None
    headers: dict[str, str | Sequence[str]] = {
        "content-type": ["application/x-www-form-urlencoded"],
        "x-slack-request-timestamp": [stamp],
        "x-slack-signature": [signature],
    }
    return app.dispatch(BoltRequest(body=body, headers=headers))


def ephemeral(text: str) -> dict[str, Any]:
    return {"text": text, "response_type": "ephemeral", "replace_original": False}


def alert_row(store: Store) -> dict[str, Any]:
    [row] = table_rows(store, "alerts")
    return {k: row[k] for k in ("identity", "state", "acked_by", "acked_at")}


def test_acknowledge_records_who_and_edits_the_message_to_say_so(app: App, fake: FakeSlack, store: Store) -> None:
    response = click(app, fake, ACK_ACTION, READER, "ack1")
    assert (response.status, response.body) == (200, "")
    [update] = fake.wait_for("/api/chat.update")
    expected = spike_message(spike_report(store, alert_settings(), TODAY), SPIKE_ID, state=MessageState(READER))
    assert update.body == {
        "channel": CHANNEL,
        "ts": TS,
        "text": expected.text,
        "blocks": expected.blocks,
        "team_id": "T1",  # Bolt's per-request client adds the workspace
    }
    assert expected.text == SPIKE_TEXT + " Acknowledged by <@UREADER>."
    assert alert_row(store) == {
        "identity": SPIKE_ID,
        "state": "acknowledged",
        "acked_by": READER,
        "acked_at": "2026-11-22T09:00:00Z",
    }

    assert click(app, fake, ACK_ACTION, OTHER, "ack2").status == 200
    [reply] = fake.wait_for("/commands/ack2")
    assert reply.body == ephemeral("<@UREADER> already acknowledged this alert.")
    assert alert_row(store)["acked_by"] == READER
    assert len(fake.received("/api/chat.update")) == 1


def test_snooze_is_for_admins_and_others_are_politely_refused(app: App, fake: FakeSlack, store: Store) -> None:
    assert click(app, fake, SNOOZE_ACTION, READER, "snooze1").status == 200
    [reply] = fake.wait_for("/commands/snooze1")
    assert reply.body == ephemeral(
        ":lock: Sorry, only aispend admins can snooze alerts. Ask one of them to do it, or ask whoever runs aispend "
        "to add your Slack user ID `UREADER` to AISPEND_ADMIN_USERS. You can still Acknowledge it."
    )
    assert table_rows(store, "snoozes") == []
    assert fake.received("/api/chat.update") == []


def test_an_admins_snooze_mutes_every_scope_of_the_alert_for_seven_days(
    app: App, fake: FakeSlack, store: Store
) -> None:
    assert click(app, fake, SNOOZE_ACTION, ADMIN, "snooze2").status == 200
    [update] = fake.wait_for("/api/chat.update")
    [reply] = fake.wait_for("/commands/snooze2")
    assert reply.body == ephemeral(
        ":zzz: Muted until 2026-11-29 09:00 UTC: organization, provider anthropic, "
        "workspace batch-jobs (anthropic), model claude-opus-4-8 (anthropic)."
    )
    until = "2026-11-29T09:00:00Z"
    assert sorted(table_rows(store, "snoozes"), key=lambda r: r["scope"]) == sorted(
        (
            {"scope": scope, "label": label, "until": until, "by": ADMIN, "created_at": "2026-11-22T09:00:00Z"}
            for scope, label in zip(
                SCOPES,
                [
                    "organization",
                    "provider anthropic",
                    "workspace batch-jobs (anthropic)",
                    "model claude-opus-4-8 (anthropic)",
                ],
                strict=True,
            )
        ),
        key=lambda r: r["scope"],
    )
    state = MessageState(None, ADMIN, date(2026, 11, 29))
    expected = spike_message(spike_report(store, alert_settings(), TODAY), SPIKE_ID, state=state)
    assert update.body == {
        "channel": CHANNEL,
        "ts": TS,
        "text": expected.text,
        "blocks": expected.blocks,
        "team_id": "T1",  # Bolt's per-request client adds the workspace
    }
    assert [b["action_id"] for b in update.body["blocks"][-1]["elements"]] == [
        ACK_ACTION,
        EXPECTED_ACTION,
        NOT_EXPECTED_ACTION,
        DETAILS_ACTION,
    ]

    # a later evaluation of the next week does not alert those scopes while the snooze lasts
    slack = build_client(TOKEN, fake.api_url)
    later = run_alerts(
        store,
        slack,
        settings=alert_settings(),
        today=TODAY + timedelta(days=7),
        now=NOW + timedelta(days=6),
        dry_run=True,
    )
    assert all(scope not in SCOPES for found in later.found for scope in found.scopes)


def test_details_posts_the_full_breakdown_in_the_alerts_thread(app: App, fake: FakeSlack, store: Store) -> None:
    assert click(app, fake, DETAILS_ACTION, OTHER, "details").status == 200
    [post] = fake.wait_for("/api/chat.postMessage")
    details = spike_details(spike_report(store, alert_settings(), TODAY))
    assert post.body == {
        "channel": CHANNEL,
        "thread_ts": TS,
        "text": details.text,
        "blocks": details.blocks,
        "unfurl_links": False,
        "team_id": "T1",
    }
    assert details.text.startswith("Full breakdown, Nov 15–21 vs Nov 8–14. Organization: $1,050.70 → $1,682.10")


def test_a_button_of_an_alert_the_database_no_longer_has_says_so(app: App, fake: FakeSlack) -> None:
    assert click(app, fake, DETAILS_ACTION, OTHER, "gone", value="spike|1999-01-01..1999-01-07").status == 200
    [reply] = fake.wait_for("/commands/gone")
    assert reply.body["text"].startswith("This alert is no longer in aispend's database")


def test_the_click_is_acked_before_the_work_runs(fake: FakeSlack, store: Store) -> None:
    gate = threading.Event()
    work = ThreadPoolExecutor(max_workers=1)
    work.submit(gate.wait)  # the work pool is busy: the handler's work must queue behind it
    app, pools = make_app(fake, store, work)
    try:
        response = click(app, fake, ACK_ACTION, READER, "acked")
        assert (response.status, alert_row(store)["acked_by"]) == (200, None)
        gate.set()
        fake.wait_for("/api/chat.update")
        assert alert_row(store)["acked_by"] == READER
    finally:
        gate.set()
        work.shutdown(wait=True)
        pools.shutdown()


def test_a_details_reply_whose_answer_is_lost_is_not_posted_twice_and_the_clicker_is_told(
    app: App, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    fake.faults["/api/chat.postMessage"] = ["drop"]  # Slack posts the thread reply, then the answer is lost
    assert click(app, fake, DETAILS_ACTION, OTHER, "lost").status == 200
    [reply] = fake.wait_for("/commands/lost")
    assert len(fake.received("/api/chat.postMessage")) == 1  # not sent again
    assert "thread" in reply.body["text"] and "again" in reply.body["text"], reply.body
    assert not [r for r in caplog.records if r.exc_info], "no traceback in the log"


def test_an_edit_whose_answer_is_lost_still_answers_the_click(
    app: App, fake: FakeSlack, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    fake.faults["/api/chat.update"] = ["drop", "drop", "drop"]  # every try of the edit loses its answer
    assert click(app, fake, ACK_ACTION, READER, "acked").status == 200
    [reply] = fake.wait_for("/commands/acked")
    assert alert_row(store)["acked_by"] == READER
    assert reply.body["text"].startswith("Recorded"), reply.body
    assert not [r for r in caplog.records if r.exc_info], "no traceback in the log"


def test_a_confirmation_whose_answer_is_lost_still_lets_the_snooze_edit_the_message(
    app: App, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    fake.faults["/commands/muted"] = ["drop"]  # the ephemeral "Muted until…" arrives, its answer does not
    assert click(app, fake, SNOOZE_ACTION, ADMIN, "muted").status == 200
    [edit] = fake.wait_for("/api/chat.update")
    assert "Snoozed by <@UADMIN>" in edit.body["text"]
    assert len(fake.received("/commands/muted")) == 1  # the confirmation was not sent twice
    assert not [r for r in caplog.records if r.exc_info], "no traceback in the log"
