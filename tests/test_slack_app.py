"""The real Bolt App, driven through `app.dispatch` (signed HTTP-mode requests) and the Socket Mode handler.

Replies go to a fake Slack on loopback: the ack is the dispatch response; the answer is the POST that
`respond()` makes to the fake's response_url, read back from `fake.requests`.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from slack_bolt import Ack, App, BoltRequest, BoltResponse
from slack_bolt.adapter.socket_mode import SocketModeHandler

from bot.slack.app import Pools
from bot.slack.commands import help_text
from bot.slack.listener import BUSY
from bot.store import Store
from tests.fake_slack import FakeSlack
from tests.slack_support import (
    ADMIN,
    CHANNEL,
    READER,
    STRANGER,
    WEEK_BLOCKS,
    WEEK_TEXT,
    action_body,
    form_body,
    running_app,
    settings,
    signed,
    slash_form,
    store_at,
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with store_at(tmp_path / "spend.db") as s:
        yield s


def command(app: App, fake: FakeSlack, text: str, *, user: str = READER, name: str = "1", **kw: Any) -> BoltResponse:
    body = form_body(slash_form(text, user=user, response_url=fake.response_url(name), **kw))
    return app.dispatch(BoltRequest(body=body, headers=signed(body)))


def reply(fake: FakeSlack, name: str = "1", count: int = 1) -> dict[str, Any]:
    return fake.wait_for(f"/commands/{name}", count)[count - 1].body


def ack_json(response: BoltResponse) -> dict[str, Any]:
    assert response.status == 200
    parsed: dict[str, Any] = json.loads(response.body)
    return parsed


def test_week_is_acked_empty_then_answered_with_the_blocks(fake: FakeSlack, store: Store) -> None:
    with running_app(fake, store, settings()) as app:
        response = command(app, fake, "week")
        assert (response.status, response.body) == (200, "")
        assert reply(fake) == {"text": WEEK_TEXT, "blocks": WEEK_BLOCKS, "response_type": "ephemeral"}
    # no provider and no Slack method was called: only the response_url
    assert [r.path for r in fake.requests] == ["/commands/1"]


def test_the_default_period_is_week(fake: FakeSlack, store: Store) -> None:
    with running_app(fake, store, settings()) as app:
        command(app, fake, "")
        assert reply(fake)["text"] == WEEK_TEXT


def test_public_goes_in_channel(fake: FakeSlack, store: Store) -> None:
    with running_app(fake, store, settings()) as app:
        assert ack_json(command(app, fake, "week public")) == {"response_type": "in_channel"}
        assert reply(fake) == {"text": WEEK_TEXT, "blocks": WEEK_BLOCKS, "response_type": "in_channel"}


def test_help_and_malformed_input_are_answered_in_the_ack(fake: FakeSlack, store: Store) -> None:
    with running_app(fake, store, settings()) as app:
        assert ack_json(command(app, fake, "help")) == {"text": help_text(), "response_type": "ephemeral"}
        assert ack_json(command(app, fake, "models fortnight")) == {
            "text": help_text("“fortnight” is not a period: use today, yesterday, week, month or Nd (1d to 400d)."),
            "response_type": "ephemeral",
        }
    assert fake.requests == []


def test_readers_outside_the_allowlist_are_refused_politely(fake: FakeSlack, store: Store) -> None:
    conf = settings(allowed_users=frozenset({READER}))
    with running_app(fake, store, conf) as app:
        assert ack_json(command(app, fake, "week", user=STRANGER)) == {
            "text": ":lock: Sorry, AI spend is shared with a limited group and you're not in it yet. To get access, "
            "ask whoever runs aispend to add your Slack user ID `USTRANGER` to AISPEND_ALLOWED_USERS.",
            "response_type": "ephemeral",
        }
        assert (command(app, fake, "week", user=READER, name="2").status, reply(fake, "2")["text"]) == (200, WEEK_TEXT)
    assert [r.path for r in fake.requests] == ["/commands/2"]


def test_channels_outside_the_allowlist_are_refused(fake: FakeSlack, store: Store) -> None:
    with running_app(fake, store, settings(allowed_channels=frozenset({"CALLOWED"}))) as app:
        assert ack_json(command(app, fake, "week"))["text"] == (
            ":lock: Sorry, aispend only answers in <#CALLOWED>. Try the command there, or ask whoever runs aispend "
            f"to add this channel's ID `{CHANNEL}` to AISPEND_ALLOWED_CHANNELS."
        )


def test_budget_set_show_and_clear(fake: FakeSlack, store: Store) -> None:
    conf = settings(monthly_budget_usd=None)
    with running_app(fake, store, conf) as app:
        assert command(app, fake, "budget set $1,500", user=ADMIN, name="set").status == 200
        answer = reply(fake, "set")
        assert store.get_setting("budget_usd") == "1500"
        assert answer["text"] == (
            "<@UADMIN> set the monthly budget to $1,500.00. November 2026: budget $1,288.50 of $1,500.00 used"
            " (85.9%), projected $1,702.50 (113.5%)"
        )
        assert answer["blocks"][0] == {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": ":white_check_mark: <@UADMIN> set the monthly budget to $1,500.00.",
                "verbatim": True,
            },
        }
        assert answer["blocks"][2]["text"]["text"] == (
            "*Budget* `████████▋·` $1,288.50 of $1,500.00 this month (85.9%); projected $1,702.50 (113.5%)"
            "  :warning: on track to go over\n_Set from Slack (`/aispend budget set` or the Home tab's Settings)._"
        )

        command(app, fake, "budget", name="show")
        assert reply(fake, "show")["text"] == (
            "November 2026: budget $1,288.50 of $1,500.00 used (85.9%), projected $1,702.50 (113.5%)"
        )
        # the summary shows the budget once one is set
        command(app, fake, "month", name="month")
        assert "Budget $1,288.50 of $1,500.00 used (85.9%)" in reply(fake, "month")["text"]

        command(app, fake, "budget clear", user=ADMIN, name="clear")
        assert reply(fake, "clear")["text"] == (
            "<@UADMIN> cleared the monthly budget set from Slack. "
            "November 2026: no monthly budget is set; month to date $1,288.50."
        )
        assert store.get_setting("budget_usd") is None


def test_budget_from_the_environment_is_the_default(fake: FakeSlack, store: Store) -> None:
    from decimal import Decimal

    with running_app(fake, store, settings(monthly_budget_usd=Decimal(2000))) as app:
        command(app, fake, "budget")
        answer = reply(fake)
    assert answer["blocks"][1]["text"]["text"].endswith("_From AISPEND_MONTHLY_BUDGET_USD._")
    assert answer["text"] == "November 2026: budget $1,288.50 of $2,000.00 used (64.4%), projected $1,702.50 (85.1%)"


def test_changes_need_an_admin(fake: FakeSlack, store: Store) -> None:
    with running_app(fake, store, settings()) as app:
        assert ack_json(command(app, fake, "budget set 10"))["text"] == (
            ":lock: Sorry, only aispend admins can change the budget. Ask one of them to do it, or ask whoever runs "
            "aispend to add your Slack user ID `UREADER` to AISPEND_ADMIN_USERS."
        )
        assert ack_json(command(app, fake, "sync"))["text"].startswith(
            ":lock: Sorry, only aispend admins can run a sync."
        )
    assert store.get_setting("budget_usd") is None and fake.requests == []


def test_sync_runs_and_says_when_done(fake: FakeSlack, store: Store) -> None:
    calls: list[str] = []

    def sync_now() -> str:
        calls.append("sync")
        return "anthropic ok (12 rows), openai ok (8 rows) <done>"

    with running_app(fake, store, settings(), sync_now=sync_now) as app:
        response = command(app, fake, "sync", user=ADMIN)
        assert (
            response.body == ":arrows_counterclockwise: Syncing from the providers now; I'll reply here when it's done."
        )
        assert reply(fake) == {
            "text": ":white_check_mark: Sync finished: anthropic ok (12 rows), openai ok (8 rows) &lt;done&gt;",
            "response_type": "ephemeral",
        }
    assert calls == ["sync"]


def test_sync_without_a_sync_function_says_what_to_do(fake: FakeSlack, store: Store) -> None:
    with running_app(fake, store, settings()) as app:
        command(app, fake, "sync", user=ADMIN)
        assert reply(fake)["text"] == (
            ":information_source: This bot process cannot sync: run `aispend sync` on the server instead."
        )


@pytest.mark.parametrize("stored", ["lots", "1e30", "1e400", "1e-30", "NaN", "-5"])
def test_a_broken_stored_budget_is_set_aside_not_a_failure(
    fake: FakeSlack, store: Store, caplog: pytest.LogCaptureFixture, stored: str
) -> None:
    # a database edited by hand or written before the bounds: every answer used to fail on it
    store.set_setting("budget_usd", stored)
    with caplog.at_level(logging.WARNING, logger="bot.budget"), running_app(fake, store, settings()) as app:
        command(app, fake, "week")
        assert reply(fake) == {"text": WEEK_TEXT, "blocks": WEEK_BLOCKS, "response_type": "ephemeral"}
        command(app, fake, "budget", name="2")
        assert ": no monthly budget is set; month to date $" in reply(fake, "2")["text"]
    assert f"The budget stored in the database ({stored!r}) is not a valid amount" in caplog.text


def test_a_broken_stored_budget_gives_way_to_the_environment_and_says_so(fake: FakeSlack, store: Store) -> None:
    store.set_setting("budget_usd", "1e30")
    with running_app(fake, store, settings(monthly_budget_usd=Decimal(2000))) as app:
        command(app, fake, "budget")
        answer = reply(fake)
    assert "of $2,000.00" in answer["text"]
    assert (
        "_The budget stored in the database ('1e30') is not a valid amount, so AISPEND_MONTHLY_BUDGET_USD applies: set "
        "it again with `/aispend budget set &lt;usd&gt;`, or remove it with `/aispend budget clear`._"
    ) in json.dumps(answer["blocks"], ensure_ascii=False)


def test_an_unexpected_failure_is_logged_and_apologized_for(
    fake: FakeSlack, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    def broken_clock() -> datetime:
        raise RuntimeError("clock exploded")

    with (
        caplog.at_level(logging.ERROR, logger="bot.slack"),
        running_app(fake, store, settings(), now=broken_clock) as app,
    ):
        assert command(app, fake, "week public").status == 200
        assert reply(fake) == {
            "text": ":x: Sorry, something went wrong while answering `/aispend week public`. The details are in the "
            "bot's log: ask whoever runs aispend to look there.",
            "response_type": "ephemeral",
        }
    failure = next(r for r in caplog.records if r.getMessage() == "/aispend 'week public' failed")
    assert failure.exc_info is not None and "clock exploded" in str(failure.exc_info[1])


def test_a_refused_reply_is_logged_and_resent_as_text(
    fake: FakeSlack, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    fake.responses["/commands/1"] = [(400, {}, {"ok": False, "error": "invalid_blocks"}), (200, {}, {"ok": True})]
    with caplog.at_level(logging.ERROR, logger="bot.slack"), running_app(fake, store, settings()) as app:
        command(app, fake, "week")
        first, second = fake.wait_for("/commands/1", 2)
    assert "blocks" in first.body and second.body == {"text": WEEK_TEXT, "response_type": "ephemeral"}
    assert "Slack refused the reply (HTTP 400: " in caplog.text


def test_forged_and_stale_requests_are_rejected(fake: FakeSlack, store: Store) -> None:
    body = form_body(slash_form("week", response_url=fake.response_url()))
    with running_app(fake, store, settings()) as app:
        forged = app.dispatch(BoltRequest(body=body, headers=signed(body, secret="not-the-secret")))
        stale = app.dispatch(BoltRequest(body=body, headers=signed(body, ts=int(time.time()) - 301)))
        unsigned = app.dispatch(BoltRequest(body=body, headers={"content-type": ["application/x-www-form-urlencoded"]}))
    assert [(r.status, r.body) for r in (forged, stale, unsigned)] == [(401, '{"error": "invalid request"}')] * 3
    assert fake.requests == []


def test_unknown_actions_are_acked_and_ignored(fake: FakeSlack, store: Store) -> None:
    body = action_body("open_dashboard_link", fake.response_url())
    with running_app(fake, store, settings()) as app:
        response = app.dispatch(BoltRequest(body=body, headers=signed(body)))
    assert (response.status, response.body) == (200, "")
    assert fake.requests == []


def test_registrars_listeners_win_over_the_catch_all(fake: FakeSlack, store: Store) -> None:
    clicked: list[str] = []

    def register(app: App) -> None:
        @app.action("mute_alert")
        def mute(ack: Ack, action: dict[str, Any]) -> None:
            ack()
            clicked.append(action["value"])

    body = action_body("mute_alert", fake.response_url())
    with running_app(fake, store, settings(), registrars=(register,)) as app:
        assert app.dispatch(BoltRequest(body=body, headers=signed(body))).status == 200
    assert clicked == ["v"]


def test_slow_work_never_delays_other_acks(fake: FakeSlack, store: Store) -> None:
    """A sync that hangs holds a work thread; 24 concurrent commands are still acked, and answered."""
    release = threading.Event()

    def slow_sync() -> str:
        release.wait(30)
        return "done"

    with running_app(fake, store, settings(), sync_now=slow_sync) as app:
        assert command(app, fake, "sync", user=ADMIN, name="sync").status == 200
        with ThreadPoolExecutor(24) as pool:
            statuses = list(pool.map(lambda i: command(app, fake, "week", name=str(i)).status, range(24)))
        assert statuses == [200] * 24
        fake.wait_until(lambda: sum(r.path != "/commands/sync" for r in fake.requests) == 24, 20, "24 replies")
        release.set()
        assert reply(fake, "sync")["text"] == ":white_check_mark: Sync finished: done"


def test_a_command_while_stopping_is_acked_and_told_to_retry(fake: FakeSlack, store: Store) -> None:
    pools = Pools(work=2)
    with running_app(fake, store, settings(), pools=pools) as app:
        pools.work.shutdown()  # as run_bot does on the way out, while a last request may still be dispatched
        response = command(app, fake, "week")
        assert (response.status, response.body) == (200, "")
        assert reply(fake) == {"text": BUSY, "response_type": "ephemeral"}


def test_building_the_app_makes_no_network_call(fake: FakeSlack, store: Store) -> None:
    with running_app(fake, store, settings()) as app:
        assert app.client.token == "xoxb-test-token"  # the alert scheduler posts with app.client
    assert fake.requests == []


def test_socket_mode_envelopes_reach_the_same_listener(fake: FakeSlack, store: Store) -> None:
    sent: list[str] = []
    with running_app(fake, store, settings()) as app:
        handler = SocketModeHandler(app, app_token="xapp-test")
        handler.client.send_message = sent.append  # type: ignore[method-assign,assignment]
        try:
            for envelope_id, text in (("e1", "week"), ("e2", "help")):
                envelope = {
                    "envelope_id": envelope_id,
                    "type": "slash_commands",
                    "accepts_response_payload": True,
                    "payload": slash_form(text, response_url=fake.response_url(envelope_id)),
                }
                handler.client.enqueue_message(json.dumps(envelope))
            assert reply(fake, "e1") == {"text": WEEK_TEXT, "blocks": WEEK_BLOCKS, "response_type": "ephemeral"}
            deadline = time.monotonic() + 10
            while len(sent) < 2 and time.monotonic() < deadline:
                time.sleep(0.01)
        finally:
            handler.close()  # type: ignore[no-untyped-call]
    acks = sorted((json.loads(m) for m in sent), key=lambda m: m["envelope_id"])
    assert acks == [
        {"envelope_id": "e1"},
        {"envelope_id": "e2", "payload": {"text": help_text(), "response_type": "ephemeral"}},
    ]
    assert [r.path for r in fake.requests] == ["/commands/e1"]
