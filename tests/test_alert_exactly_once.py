"""Exactly once through lost answers: dropped connections, posts slower than the timeout, a killed process, no way
to read the channel, and the lease a killed process leaves behind. Real SQLite, the fake Slack on loopback (which
keeps the channel, so "exactly one message" is counted where users would see it).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from slack_sdk import WebClient

from bot.alerts.lease import new_holder
from bot.alerts.model import AlertRun, Delivery
from bot.alerts.overview import format_alerts_text
from bot.alerts.service import delivery_problems, run_alerts
from bot.cli import main
from bot.slack.client import build_client
from bot.store import Store
from bot.store.alert_schema import migrations
from bot.store.alerts import AlertStore
from tests.alert_support import CHANNEL, NOW, SPIKE_ID, TODAY, alert_settings, filled_store, table_rows
from tests.fake_slack import FakeSlack
from tests.scripted_server import html_page, raw_http

POST = "/api/chat.postMessage"
HISTORY = "/api/conversations.history"
TOKEN = "xoxb-alert-test-token"
ROOT = Path(__file__).resolve().parent.parent
MISSING_SCOPE = (
    200,
    {},
    {"ok": False, "error": "missing_scope", "needed": "channels:history", "provided": "chat:write"},
)
RESEND_FIX = (
    f"look for it in the alert channel: if it is not there, run `aispend alerts --resend '{SPIKE_ID}'`; to let "
    "aispend check by itself, add the channels:history scope (groups:history for a private channel) under OAuth & "
    "Permissions and reinstall the app."
)


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
    fake.epoch = int(NOW.timestamp())  # Slack stamps messages with its clock: the same instant as the test's NOW
    return fake


def client(fake: FakeSlack) -> WebClient:
    return build_client(TOKEN, fake.api_url)


def run(store: Store, slack: WebClient, *, hours: float = 0, **kw: Any) -> AlertRun:
    return run_alerts(
        store,
        slack,
        settings=alert_settings(),
        today=TODAY,
        now=NOW + timedelta(hours=hours),
        dry_run=False,
        pace=0,
        **kw,
    )


def state(store: Store) -> tuple[str, str | None, str | None]:
    [row] = table_rows(store, "alerts")
    return row["state"], row["ts"], row["attempt_at"]


def test_a_connection_dropped_after_slack_got_the_post_leaves_one_message(store: Store, slack: FakeSlack) -> None:
    slack.faults[POST] = ["drop"]  # Slack posts it, then the connection closes before the answer
    first = run(store, client(slack))
    [delivery] = first.deliveries
    assert (delivery.identity, delivery.state) == (SPIKE_ID, "posting")
    assert len(slack.received(POST)) == 1  # the client did not send it again
    assert state(store)[0:2] == ("posting", None)

    later = [run(store, client(slack), hours=h).deliveries for h in (1, 2, 26)]
    assert later == [(Delivery(SPIKE_ID, "posted"),), (), ()]
    [message] = slack.in_channel(CHANNEL)
    assert message["metadata"] == {"event_type": "aispend_alert", "event_payload": {"identity": SPIKE_ID}}
    assert state(store)[0:2] == ("posted", message["ts"])
    assert len(slack.received(POST)) == 1
    [lookup] = slack.received(HISTORY)
    assert lookup.body["include_all_metadata"] == "1" and lookup.body["channel"] == CHANNEL


def test_a_post_slower_than_the_timeout_leaves_one_message(store: Store, slack: FakeSlack) -> None:
    slack.faults[POST] = ["hold"]  # posted, but the answer comes after the client stopped waiting
    impatient = client(slack)
    impatient.timeout = 1
    [delivery] = run(store, impatient).deliveries
    assert (delivery.state, delivery.error) == ("posting", "TimeoutError: timed out")
    slack.release()
    # moments later the post may still be on its way: neither looked for nor posted again
    assert run(store, client(slack), hours=0.01).deliveries == (Delivery(SPIKE_ID, "posting", delivery.error),)
    assert slack.received(HISTORY) == []

    assert run(store, client(slack), hours=1).deliveries == (Delivery(SPIKE_ID, "posted"),)
    assert run(store, client(slack), hours=2).deliveries == ()
    [message] = slack.in_channel(CHANNEL)
    assert state(store)[0:2] == ("posted", message["ts"])
    assert len(slack.received(POST)) == 1


def test_a_failed_answer_is_looked_for_and_posted_again_when_absent(store: Store, slack: FakeSlack) -> None:
    slack.responses[POST] = (503, {}, {"ok": False, "error": "service_unavailable"})  # nothing was posted
    assert run(store, client(slack)).deliveries == (Delivery(SPIKE_ID, "posting", "service_unavailable"),)
    del slack.responses[POST]
    assert run(store, client(slack), hours=1).deliveries == (Delivery(SPIKE_ID, "posted"),)
    [message] = slack.in_channel(CHANNEL)
    assert state(store) == ("posted", message["ts"], None)
    slack.received("")  # the last post is recorded just after its answer went out: wait for it
    assert [r.path for r in slack.requests if r.path != "/api/auth.test"] == [POST, HISTORY, POST]


def _chatter(fake: FakeSlack, count: int, **extra: Any) -> None:
    """Messages other people and apps posted in the alert channel since (ts after every alert's)."""
    base = len(fake.in_channel(CHANNEL))
    fake.messages.setdefault(CHANNEL, []).extend(
        {"type": "message", "user": "UPERSON", "text": f"chatter {n}", "ts": f"{fake.epoch + 60}.{base + n:06d}"}
        | extra
        for n in range(count)
    )


def test_the_lookup_pages_back_through_a_busy_channel(store: Store, slack: FakeSlack) -> None:
    slack.faults[POST] = ["drop"]
    run(store, client(slack))
    _chatter(slack, 450)  # three pages of history newer than the alert
    assert run(store, client(slack), hours=1).deliveries == (Delivery(SPIKE_ID, "posted"),)
    assert [r.body.get("cursor") for r in slack.received(HISTORY)] == [None, "200", "400"]
    assert len(slack.received(POST)) == 1


def test_another_apps_message_with_the_same_identity_is_not_taken_for_ours(store: Store, slack: FakeSlack) -> None:
    slack.responses[POST] = (500, {}, {"ok": False, "error": "internal_error"})
    run(store, client(slack))
    metadata = {"event_type": "aispend_alert", "event_payload": {"identity": SPIKE_ID}}
    _chatter(slack, 1, bot_id="BDEVCOPY", metadata=metadata)  # a second aispend app posting to the same channel
    del slack.responses[POST]
    assert run(store, client(slack), hours=1).deliveries == (Delivery(SPIKE_ID, "posted"),)
    assert len(slack.received(POST)) == 2


_CHILD = """
import sys
import threading
from bot.alerts.service import run_alerts
from bot.slack.client import build_client
from bot.store import Store
from tests.alert_support import NOW, TODAY, alert_settings
db, api = sys.argv[1], sys.argv[2]
with Store(db) as store:
    run_alerts(store, build_client("xoxb-alert-test-token", api), today=TODAY, now=NOW, dry_run=False, pace=0,
               settings=alert_settings())
"""


@pytest.mark.slow
def test_a_process_killed_during_a_post_is_not_reposted_after_a_restart(
    tmp_path: Path, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    db = tmp_path / "aispend.db"
    filled_store(db).close()
    slack.faults[POST] = ["hold"]
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(db), slack.api_url],
        cwd=ROOT,
        env={**os.environ, "SKIP_SLACK_SDK_WARNING": "1"},
        stderr=subprocess.PIPE,
    )
    try:
        slack.holding(1, timeout=60)  # Slack has the post; the answer is on its way
        with Store(db) as watcher:
            posting, ts, attempt_at = state(watcher)
        assert (posting, ts) == ("posting", None) and attempt_at is not None  # written before the post went out
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
        slack.release()

    with caplog.at_level(logging.INFO, logger="aispend.alerts"), Store(db) as store:
        # the restarted bot: the dead process's lease is no obstacle, not even for a moment
        restarted = run(store, client(slack), hours=0.1, lease_wait=0)
        assert restarted == AlertRun(TODAY, False, deliveries=(Delivery(SPIKE_ID, "posted"),))
        [message] = slack.in_channel(CHANNEL)
        assert state(store) == ("posted", message["ts"], None)
        assert run(store, client(slack), hours=1).deliveries == ()
    assert len(slack.received(POST)) == 1
    assert f":{child.pid}:" in caplog.text and "took over the alerts lease from " in caplog.text


def test_without_the_history_scope_an_uncertain_post_waits_for_an_admin(
    store: Store, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    slack.faults[POST] = ["drop"]
    slack.responses[HISTORY] = MISSING_SCOPE
    run(store, client(slack))
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="aispend.alerts"):
        uncertain = run(store, client(slack), hours=1)
        again = run(store, client(slack), hours=2)
    assert uncertain.deliveries == again.deliveries == (Delivery(SPIKE_ID, "uncertain", "missing_scope", RESEND_FIX),)
    logged = [r.getMessage() for r in caplog.records if r.name == "aispend.alerts" and r.levelno >= logging.ERROR]
    assert logged == [  # said once, when it became uncertain
        f"alert {SPIKE_ID} may or may not have been posted to {CHANNEL} and cannot be checked: {RESEND_FIX}"
    ]
    assert format_alerts_text(again).endswith(f"UNCERTAIN {SPIKE_ID}: it may or may not have been posted; {RESEND_FIX}")
    assert delivery_problems(store) == (
        "*Alerts that could not be posted*\n"
        "• 2026-11-22 spike: AI spend spike: +$631.40 (+60%) week over week — may or may not have been posted: "
        + RESEND_FIX
    )
    assert len(slack.received(POST)) == 1 and len(slack.in_channel(CHANNEL)) == 1  # never posted blindly

    del slack.responses[HISTORY]  # the admin added the scope: the next evaluation finds the message
    assert run(store, client(slack), hours=3).deliveries == (Delivery(SPIKE_ID, "posted"),)
    [message] = slack.in_channel(CHANNEL)
    assert state(store)[0:2] == ("posted", message["ts"])
    assert delivery_problems(store) is None
    assert len(slack.received(POST)) == 1


def test_an_admin_resends_an_uncertain_alert_found_missing(
    store: Store, slack: FakeSlack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    slack.responses[POST] = (500, {}, {"ok": False, "error": "internal_error"})  # this time nothing was posted
    slack.responses[HISTORY] = MISSING_SCOPE
    run(store, client(slack))
    assert run(store, client(slack), hours=1).uncertain == [SPIKE_ID]
    del slack.responses[POST]
    monkeypatch.chdir(tmp_path)
    env = {
        "AISPEND_DB": str(tmp_path / "aispend.db"),
        "AISPEND_ALERT_CHANNEL": CHANNEL,
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_API_URL": slack.api_url,
    }
    assert main(["alerts", "--resend", "spike|nope", "--resend", SPIKE_ID], env) == 0
    out = capsys.readouterr().out
    assert f"Posted {SPIKE_ID}." in out
    assert "Note: No alert 'spike|nope': `aispend alerts` and `/aispend alerts` name those to resend." in out
    [message] = slack.in_channel(CHANNEL)
    assert state(store)[0:2] == ("posted", message["ts"])

    assert main(["alerts", "--resend", SPIKE_ID], env) == 0  # a second resend posts nothing
    assert f"Note: {SPIKE_ID} is posted, not uncertain: nothing to resend." in capsys.readouterr().out
    assert main(["alerts", "--dry-run", "--resend", SPIKE_ID], env) == 2
    assert "--resend posts, so it cannot go with --dry-run" in capsys.readouterr().err
    assert len(slack.in_channel(CHANNEL)) == 1


# --- the lease a killed process leaves behind --------------------------------------------------------------------


def _dead_pid() -> int:
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait(timeout=30)
    return gone.pid


def test_a_dead_holders_lease_on_this_host_is_taken_over_at_once(
    store: Store, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    dead = f"{socket.gethostname()}:{_dead_pid()}:140000:deadbeef"
    assert AlertStore(store).acquire_lease("alerts", dead, NOW, NOW + timedelta(minutes=10))
    with caplog.at_level(logging.WARNING, logger="aispend.alerts"):
        assert run(store, client(slack), lease_wait=0).posted == [SPIKE_ID]
    assert [r.getMessage() for r in caplog.records] == [
        f"took over the alerts lease from {dead}: that process is no longer running (stopped mid-evaluation?)"
    ]


@pytest.mark.parametrize("where", ["a live process on this host", "another host"])
def test_waiting_for_a_live_or_remote_holder_is_logged(
    store: Store, slack: FakeSlack, caplog: pytest.LogCaptureFixture, where: str
) -> None:
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(120)"])
    try:
        host = socket.gethostname() if where == "a live process on this host" else "elsewhere.example"
        pid = alive.pid if where == "a live process on this host" else _dead_pid()  # on another host: unknowable
        holder = f"{host}:{pid}:140000:0ther"
        assert AlertStore(store).acquire_lease("alerts", holder, NOW, NOW + timedelta(minutes=10))
        with caplog.at_level(logging.INFO, logger="aispend.alerts"):
            skipped = run(store, client(slack), lease_wait=0)
    finally:
        alive.kill()
        alive.wait(timeout=30)
    assert skipped.skipped is not None and slack.requests == []
    assert [r.getMessage() for r in caplog.records] == [
        f"the alerts lease is held by {holder} until 2026-11-22T09:10:00Z; waiting up to 0 s for it",
        f"gave up waiting for the alerts lease held by {holder} (until 2026-11-22T09:10:00Z): that evaluation "
        "posts what is due",
    ]


# --- the ledger of an older release ----------------------------------------------------------------------------


def test_an_existing_ledger_upgrades_in_place(tmp_path: Path, slack: FakeSlack) -> None:
    db = tmp_path / "aispend.db"
    with filled_store(db) as old, old.writing() as conn:
        migrations.apply(conn, stop_before="002_delivery_attempts")  # the ledger as the first release made it
        conn.execute(
            "INSERT INTO alerts (identity, kind, period, state, summary, payload, channel, ts, attempts, created_at, "
            "posted_at) VALUES ('budget|2026-11', 'budget', '2026-11', 'posted', 'b', '{}', 'C1', '1.2', 1, "
            "'2026-11-10T09:00:00Z', '2026-11-10T09:00:00Z')"
        )
        conn.execute(
            "INSERT INTO alert_scopes (key, kind, scope, label, period, period_end, message, created_at) VALUES "
            "('budget|budget:50|2026-11', 'budget', 'budget:50', 'budget warnings', '2026-11', '2026-11-30', "
            "'budget|2026-11', '2026-11-10T09:00:00Z')"
        )
    with Store(db) as store:
        alert_store = AlertStore(store)
        assert alert_store.pending_migrations() == []
        assert table_rows(store, "alert_feedback") == []  # 003: Expected / Not expected answers
        [budget] = table_rows(store, "alerts")
        assert (budget["identity"], budget["state"], budget["ts"], budget["attempt_at"]) == (
            "budget|2026-11",
            "posted",
            "1.2",
            None,
        )
        assert alert_store.message_scopes("budget|2026-11") == [("budget:50", "budget warnings")]
        with store.reading() as conn:
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        # the new states work on the upgraded table: a post whose answer is lost stays "posting"
        slack.faults[POST] = ["drop"]
        assert run(store, client(slack)).deliveries[0].state == "posting"
        assert [(r["identity"], r["state"]) for r in table_rows(store, "alerts")] == [
            ("budget|2026-11", "posted"),
            (SPIKE_ID, "posting"),
        ]


def test_an_evaluation_that_outlived_its_lease_does_not_post_what_the_next_one_already_sent(
    store: Store, slack: FakeSlack
) -> None:
    """Evaluation A looks for an uncertain post and its read of the channel takes longer than the lease; B takes
    the lease over, finds the post absent, sends it and loses the answer (it is in the channel). A's read then
    answers "absent", as it was when Slack read it: A must see that the attempt it looked for is not the latest
    one, and leave the message alone."""
    slack.responses[POST] = (503, {}, {"ok": False, "error": "service_unavailable"})  # nothing was posted
    assert run(store, client(slack)).deliveries == (Delivery(SPIKE_ID, "posting", "service_unavailable"),)
    del slack.responses[POST]
    slack.faults[HISTORY] = ["hold"]  # A's read of the channel
    first: list[AlertRun] = []
    a = threading.Thread(target=lambda: first.append(run(store, client(slack), hours=1)))
    a.start()
    try:
        slack.holding()
        slack.faults[POST] = ["drop"]  # B's post reaches the channel; its answer is lost
        b = run(store, client(slack), hours=1 + 11 / 60)  # after A's lease ran out
        assert b.deliveries == (
            Delivery(SPIKE_ID, "posting", "RemoteDisconnected: Remote end closed connection without response"),
        ), b
    finally:
        slack.release()
        a.join(30)
    assert len(slack.in_channel(CHANNEL)) == 1, [r.path for r in slack.requests]
    assert len(slack.received(POST)) == 2  # the refused first post and B's: A sent none
    assert first and first[0].deliveries == (), first


def test_a_lease_left_by_an_earlier_process_with_this_pid_is_taken_over_at_once(
    store: Store, slack: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """In a container the bot has the same pid (often 1) and hostname after every restart: a lease from before a
    kill names this very host and pid, yet no thread of this process holds it."""
    earlier = f"{socket.gethostname()}:{os.getpid()}:140000:e4r1ier0"
    assert AlertStore(store).acquire_lease("alerts", earlier, NOW, NOW + timedelta(minutes=10))
    with caplog.at_level(logging.WARNING, logger="aispend.alerts"):
        assert run(store, client(slack), lease_wait=0).posted == [SPIKE_ID]
    assert [r.getMessage() for r in caplog.records] == [
        f"took over the alerts lease from {earlier}: that process is no longer running (stopped mid-evaluation?)"
    ]


def test_a_lease_another_thread_of_this_process_holds_is_waited_for(store: Store, slack: FakeSlack) -> None:
    ours = new_holder()  # as another evaluation in this process (the scheduler, a resend) holds it
    assert AlertStore(store).acquire_lease("alerts", ours, NOW, NOW + timedelta(minutes=10))
    assert run(store, client(slack), lease_wait=0).skipped is not None
    assert slack.requests == []


def test_a_page_that_is_not_slacks_answer_leaves_the_post_to_be_looked_for(store: Store, slack: FakeSlack) -> None:
    """A proxy that passed the post on and answered with its own HTML page: Slack's answer is unknown, so the post
    is looked for before it is sent again, never resent blindly."""
    with raw_http(html_page(b"<html>upstream answer dropped by the proxy</html>")) as url:
        first = run(store, build_client(TOKEN, f"{url}/api/"))
    assert [d.state for d in first.deliveries] == ["posting"], first
    slack.messages[CHANNEL] = [  # it did reach Slack
        {
            "type": "message",
            "bot_id": "BBOT",
            "text": "the alert",
            "ts": f"{slack.epoch}.000001",
            "metadata": {"event_type": "aispend_alert", "event_payload": {"identity": SPIKE_ID}},
        }
    ]
    assert run(store, client(slack), hours=1).deliveries == (Delivery(SPIKE_ID, "posted"),)
    assert slack.received(POST) == []


def test_a_page_that_is_not_slacks_answer_to_the_lookup_is_asked_again_later(store: Store, slack: FakeSlack) -> None:
    """The channel's history answered by a proxy's page says nothing about the channel: ask again at the next
    evaluation, rather than give up on checking and leave the alert to an admin."""
    slack.faults[POST] = ["drop"]
    assert [d.state for d in run(store, client(slack)).deliveries] == ["posting"]
    with raw_http(html_page(b"<html>proxy error</html>")) as url:
        later = run(store, build_client(TOKEN, f"{url}/api/"), hours=1)
    assert [d.state for d in later.deliveries] == ["posting"], later
    assert run(store, client(slack), hours=2).deliveries == (Delivery(SPIKE_ID, "posted"),)
    assert len(slack.in_channel(CHANNEL)) == 1
