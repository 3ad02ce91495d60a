"""Answers go only to Slack: a signed request whose response_url is elsewhere is refused whole, on every path.

Through the real uvicorn server: slash commands, the alert buttons, the catch-all for unknown clicks and the
"restarting" reply. A second local server stands for the attacker's address; the fake Slack's own origin
(SLACK_API_URL in tests) stands for Slack's hooks host.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import pytest
from slack_bolt import BoltRequest

from bot.alerts.messages import ACK_ACTION, DETAILS_ACTION, SNOOZE_ACTION
from bot.slack.alert_actions import register_alert_actions
from bot.slack.app import Pools
from bot.slack.guard import ResponseUrls
from bot.slack.http_server import HttpServer
from bot.slack.listener import BUSY
from bot.store import Store
from bot.store.alerts import AlertStore
from tests.clock_support import NOW
from tests.fake_slack import FakeSlack
from tests.slack_support import ADMIN, action_body, form_body, running_app, settings, signed, slash_form, store_at
from tests.test_slack_server import post

SECRET_PATH = "T0001/4242/SECRETreplytoken"  # a response_url's path is the reply's credential


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with store_at(tmp_path / "spend.db") as s:
        yield s


@pytest.fixture
def elsewhere() -> Iterator[FakeSlack]:
    """Not Slack: a second local server, on another port of the same host."""
    with FakeSlack() as server:
        yield server


def _requests(fake: FakeSlack, url_of: str) -> list[tuple[str, str]]:
    """(kind, body) of one signed request of every kind whose answer goes to a response_url, pointed at url_of."""
    command = slash_form("week", user=ADMIN, response_url=f"{url_of}/{SECRET_PATH}/command")
    return [
        ("command", form_body(command)),
        ("acknowledge", action_body(ACK_ACTION, f"{url_of}/{SECRET_PATH}/ack")),
        ("snooze", action_body(SNOOZE_ACTION, f"{url_of}/{SECRET_PATH}/snooze")),
        ("details", action_body(DETAILS_ACTION, f"{url_of}/{SECRET_PATH}/details")),
        ("unknown click", action_body("open_console", f"{url_of}/{SECRET_PATH}/unknown")),
    ]


def test_answers_go_only_to_slack_and_never_to_another_address(
    fake: FakeSlack, elsewhere: FakeSlack, store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    pools = Pools(work=4)
    alert_store = AlertStore(store)
    conf = settings()

    def register(app: object) -> None:
        register_alert_actions(app, alert_store, conf, now=lambda: NOW, work=pools.work)  # type: ignore[arg-type]

    with running_app(fake, store, conf, pools=pools, registrars=(register,)) as app:
        server = HttpServer(app, "127.0.0.1", 0, gate=pools.gate).start()
        try:
            with caplog.at_level(logging.INFO):
                refused = {kind: post(server.url, body, signed(body)) for kind, body in _requests(fake, elsewhere.url)}
                lines = [r.getMessage() for r in caplog.records if "response_url" in r.getMessage()]
                # the same requests answered at Slack's address do get their answers
                accepted = {kind: post(server.url, body, signed(body)) for kind, body in _requests(fake, fake.url)}
                for path in ("command", "ack", "snooze", "details"):
                    fake.wait_for(f"/{SECRET_PATH}/{path}")
                # the "restarting" reply, once the answer pool has stopped
                pools.work.shutdown()
                busy = form_body(slash_form("week", response_url=f"{elsewhere.url}/{SECRET_PATH}/busy"))
                refused["restarting"] = post(server.url, busy, signed(busy))
                busy = form_body(slash_form("week", response_url=f"{fake.url}/{SECRET_PATH}/busy"))
                accepted["restarting"] = post(server.url, busy, signed(busy))
                assert fake.wait_for(f"/{SECRET_PATH}/busy")[0].body["text"] == BUSY
        finally:
            server.stop()
    assert refused == dict.fromkeys(refused, (400, '{"error": "invalid request"}'))
    assert accepted == dict.fromkeys(accepted, (200, ""))
    assert elsewhere.received(f"/{SECRET_PATH}/busy") == [] and elsewhere.requests == []
    port = elsewhere.url.rsplit(":", 1)[1]
    refusal = f"Refused a signed request whose response_url is not Slack's (http://127.0.0.1:{port}): nothing was sent"
    assert lines == [refusal + " there."] * 5  # one line per request
    assert "SECRETreplytoken" not in caplog.text  # no URL path is ever logged


API = "http://127.0.0.1:8765/api/"


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.slack.com/commands/T1/2/abc",
        "https://HOOKS.slack.com/actions/T1/2/abc",
        "https://hooks.slack.com:443/commands/T1/2/abc",
        "http://127.0.0.1:8765/commands/1",
    ],
)
def test_slack_response_urls_are_allowed(url: str) -> None:
    assert ResponseUrls(API).allows(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.slack.com/commands/T1/2/abc",  # not TLS
        "https://hooks.slack.com:8443/commands/T1/2/abc",
        "https://hooks.slack.com.evil.example/commands",
        "https://evil.example/hooks.slack.com/commands",
        "https://evil.example/?u=https://hooks.slack.com/",
        "https://hooks.slack.com@evil.example/commands",
        "https://x@hooks.slack.com/commands",
        "https://evil.example#@hooks.slack.com/",
        "https://evil.example\\@hooks.slack.com/",
        "https://hooks.slack.com\t.evil.example/",
        " https://hooks.slack.com/commands",
        "https://hooks.slаck.com/commands",  # a Cyrillic "а"
        "https://hooks.slack.com:99999/commands",
        "//hooks.slack.com/commands",
        "hooks.slack.com/commands",
        "ftp://hooks.slack.com/commands",
        "https://slack.com/api/",  # Slack, but not the configured Web API nor the hooks host
        "https://127.0.0.1:8765/commands/1",  # the API's host with another scheme
        "http://127.0.0.1:8766/commands/1",  # ... or another port
        "http://localhost:8765/commands/1",
        "",
    ],
)
def test_every_other_response_url_is_refused(url: str) -> None:
    assert not ResponseUrls(API).allows(url)


def test_a_click_that_names_its_answer_address_only_in_response_urls_is_held_to_slack_too(
    fake: FakeSlack, elsewhere: FakeSlack, store: Store
) -> None:
    """Bolt answers at `response_urls[0]` (a modal's) when a payload has no `response_url`: that one is checked too."""
    pools = Pools(work=4)
    alert_store = AlertStore(store)
    conf = settings()

    def register(app: object) -> None:
        register_alert_actions(app, alert_store, conf, now=lambda: NOW, work=pools.work)  # type: ignore[arg-type]

    def moved(body: str, url: str) -> str:
        payload = json.loads(parse_qs(body)["payload"][0])
        del payload["response_url"]
        payload["response_urls"] = [{"block_id": "b", "action_id": "a", "channel_id": "C1", "response_url": url}]
        return urlencode({"payload": json.dumps(payload)})

    with running_app(fake, store, conf, pools=pools, registrars=(register,)) as app:
        server = HttpServer(app, "127.0.0.1", 0, gate=pools.gate).start()
        try:
            answers = {}
            for kind, body in _requests(fake, elsewhere.url)[1:]:  # the clicks
                body = moved(body, f"{elsewhere.url}/{SECRET_PATH}/{kind}")
                answers[kind] = post(server.url, body, signed(body))
            # Socket Mode hands Bolt the payload itself, unsigned: the same guard holds
            payload = json.loads(parse_qs(moved(action_body(ACK_ACTION, ""), elsewhere.url))["payload"][0])
            socket_mode = app.dispatch(BoltRequest(body=payload, mode="socket_mode"))
            answers["socket mode"] = (socket_mode.status, socket_mode.body)
            pools.work.shutdown(wait=True)  # every answer that was going to be sent has been
        finally:
            server.stop()
    assert elsewhere.requests == []
    assert answers == dict.fromkeys(answers, (400, '{"error": "invalid request"}'))
