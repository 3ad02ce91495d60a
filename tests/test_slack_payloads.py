"""Signed payloads of every shape, through the real uvicorn server: a 200 or a clean 4xx, never a 500 or a traceback.

Whoever holds the signing secret (or a Slack that changes its payloads) can send any body. Bodies of many shapes
(JSON arrays and scalars, `payload=` forms around anything, Slack-like objects with fields missing or of the wrong
type) are signed correctly and posted; each gets a 200 or a 4xx, and the log holds no ERROR. A click on an alert
button with missing or odd fields (no `user`, no `value`, a `container` that is text...) always gets an answer.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import httpx
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from slack_bolt import BoltResponse
from slack_sdk.socket_mode.builtin import SocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest

from bot.alerts.messages import ACK_ACTION, DETAILS_ACTION, SNOOZE_ACTION
from bot.alerts.service import run_alerts
from bot.slack.alert_actions import register_alert_actions
from bot.slack.app import Pools
from bot.slack.client import build_client
from bot.slack.http_server import HttpServer
from bot.slack.server import SocketModeServer, _answer
from bot.store import Store
from bot.store.alerts import AlertStore
from tests.alert_support import ADMIN, NOW, SPIKE_ID, TODAY, alert_settings, filled_store
from tests.fake_slack import FakeSlack
from tests.slack_support import running_app, signed, slash_form

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
READER = "UREADER"
BUTTONS = [ACK_ACTION, SNOOZE_ACTION, DETAILS_ACTION]


@dataclass
class Bot:
    url: str
    fake: FakeSlack
    pools: Pools
    http: httpx.Client
    sent: int = 0

    def post(self, body: str, content_type: str = "application/x-www-form-urlencoded") -> httpx.Response:
        headers = {**signed(body), "content-type": content_type}
        return self.http.post(self.url, content=body, headers=headers)  # type: ignore[arg-type]

    def response_url(self) -> str:
        self.sent += 1
        return self.fake.response_url(f"r{self.sent}")


@pytest.fixture
def bot(tmp_path: Path, fake: FakeSlack) -> Iterator[Bot]:
    """The bot over HTTP with the alert buttons, and a spike alert posted (so some clicks find a real alert)."""
    store: Store = filled_store(tmp_path / "aispend.db")
    conf = alert_settings(slack_signing_secret=None, admin_users=frozenset({ADMIN}))
    run = run_alerts(store, build_client("xoxb-t", fake.api_url), settings=conf, today=TODAY, now=NOW, dry_run=False)
    assert run.posted == [SPIKE_ID]
    fake.wait_for("/api/chat.postMessage")
    pools = Pools(work=4)
    alert_store = AlertStore(store)

    def register(app: Any) -> None:
        register_alert_actions(app, alert_store, conf, work=pools.work, now=lambda: NOW)

    with running_app(fake, store, conf, pools=pools, registrars=(register,)) as app:
        server = HttpServer(app, "127.0.0.1", 0, gate=pools.gate).start()
        try:
            with httpx.Client(timeout=10) as http:
                yield Bot(server.url, fake, pools, http)
        finally:
            server.stop()
    store.close()


def clean(response: httpx.Response) -> bool:
    return response.status_code == 200 or 400 <= response.status_code < 500


def assert_no_errors(caplog: pytest.LogCaptureFixture, bot: Bot) -> None:
    bot.pools.shutdown()  # the work after each ack has finished, and logged whatever it logs
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == []
    assert "Traceback" not in caplog.text


# ---- any shape ------------------------------------------------------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
TYPES = [
    "block_actions",
    "interactive_message",
    "view_submission",
    "view_closed",
    "shortcut",
    "message_action",
    "event_callback",
    "block_suggestion",
    "dialog_submission",
    "workflow_step_edit",
    "url_verification",
    "app_rate_limited",
]
FIELDS = [
    "type",
    "actions",
    "user",
    "team",
    "channel",
    "container",
    "message",
    "event",
    "view",
    "callback_id",
    "response_url",
    "response_urls",
    "enterprise",
    "authorizations",
    "command",
    "text",
    "user_id",
    "value",
    "workflow_step",
    "function_data",
    "challenge",
    "trigger_id",
    "is_enterprise_install",
    "action_id",
]


def _slack_like(draw: st.DrawFn, response_url: str) -> dict[str, Any]:
    action = st.fixed_dictionaries(
        {},
        optional={
            "action_id": st.sampled_from([*BUTTONS, "x"]) | json_values,
            "value": st.just(SPIKE_ID) | json_values,
            "block_id": json_values,
        },
    )
    near = {
        "type": st.sampled_from(TYPES),
        "actions": st.lists(action | json_values, max_size=2),
        "user": st.fixed_dictionaries({}, optional={"id": st.sampled_from([ADMIN, READER]) | json_values}),
        "response_url": st.just(response_url),
        "command": st.just("/aispend"),
        "text": st.sampled_from(["help", "week", "sync", "budget set 5"]),
    }
    body = {}
    for name in draw(st.lists(st.sampled_from(FIELDS), unique=True, max_size=8)):
        body[name] = draw(near[name] | json_values if name in near else json_values)
    return body


@st.composite
def bodies(draw: st.DrawFn, response_url: str) -> tuple[str, str]:
    """(body, content type) of one request."""
    form = "application/x-www-form-urlencoded"
    shape = draw(st.sampled_from(["json", "payload", "form", "text"]))
    if shape == "text":
        return draw(st.text(max_size=60)), draw(st.sampled_from([form, "application/json", "text/plain"]))
    if shape == "form":
        fields = draw(st.dictionaries(st.sampled_from(FIELDS), st.text(max_size=12), max_size=6))
        if draw(st.booleans()):
            fields |= {"command": "/aispend", "response_url": response_url}
        return urlencode(fields), form
    value = _slack_like(draw, response_url) if draw(st.booleans()) else draw(json_values)
    if shape == "json":
        return json.dumps(value), "application/json"
    return "payload=" + quote(json.dumps(value)), form


def _payload(value: Any) -> str:
    return "payload=" + quote(json.dumps(value))


FORM, JSON = "application/x-www-form-urlencoded", "application/json"
SHAPES = [
    ("[1,2]", JSON),
    ('"text"', JSON),
    ("null", JSON),
    ("payload=[1,2]", FORM),
    ("payload=null", FORM),
    ("payload=", FORM),
    (_payload({"type": "block_actions", "actions": []}), FORM),
    (_payload({"type": "block_actions", "actions": [5]}), FORM),
    (_payload({"type": "block_actions", "actions": {"a": 1}}), FORM),
    (_payload({"type": "block_actions", "actions": [{"value": "x"}]}), FORM),
    (_payload({"type": "block_actions", "user": 5, "actions": [{"action_id": ACK_ACTION}]}), FORM),
    (_payload({"type": "interactive_message", "callback_id": 5}), FORM),
    (_payload({"type": "view_submission", "view": 5}), FORM),
    (_payload({"type": "view_submission", "response_urls": [5]}), FORM),
    (json.dumps({"type": "event_callback", "event": [1]}), JSON),
    (json.dumps({"type": "event_callback", "event": "x"}), JSON),
    (json.dumps({"type": "event_callback", "authorizations": 5}), JSON),
    (json.dumps({"command": 5, "response_url": "x"}), JSON),
    ("command=%2Faispend&text=week", FORM),  # no response_url to answer at
]


def test_every_signed_body_gets_a_200_or_a_clean_4xx(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    seen: list[int] = []

    @FUZZ
    @given(request=bodies(bot.response_url()))
    def one(request: tuple[str, str]) -> None:
        response = bot.post(*request)
        seen.append(response.status_code)
        assert clean(response), (request, response.status_code, response.text)

    for body, content_type in SHAPES:
        response = bot.post(body, content_type)
        assert 400 <= response.status_code < 500, (body, response.status_code, response.text)
    # a click without a response_url (App Home has none) is acked; its handler has nowhere to answer, and says so
    for button in BUTTONS:
        assert bot.post(_payload({"type": "block_actions", "actions": [{"action_id": button}]})).status_code == 200
    with caplog.at_level(logging.INFO):
        one()
    assert 200 in seen and 400 in seen  # both kinds of answer were exercised
    assert_no_errors(caplog, bot)


# ---- a click always gets an answer -----------------------------------------------------------------------------

odd_objects = st.sampled_from([None, {}, "x", [], [1], {"id": None}, {"id": 5}, {"id": ""}, {"id": []}, {"id": {}}])
MISSING = object()


def _click(draw: st.DrawFn, response_url: str) -> dict[str, Any]:
    action: dict[str, Any] = {"action_id": draw(st.sampled_from(BUTTONS))}
    value = draw(st.sampled_from([MISSING, SPIKE_ID, "", "spike|nonsense"]) | json_values)
    if value is not MISSING:
        action["value"] = value
    body: dict[str, Any] = {"type": "block_actions", "actions": [action], "response_url": response_url}
    fields = {
        "user": st.sampled_from([{"id": ADMIN}, {"id": READER}, ADMIN]) | odd_objects,
        "team": st.just({"id": "T1"}) | odd_objects,
        "channel": st.just({"id": "C0ALERTS"}) | odd_objects,
        "container": st.just({"message_ts": "1.2", "channel_id": "C0ALERTS"}) | odd_objects,
        "message": st.just({"ts": "1.2"}) | odd_objects,
    }
    for name, values in fields.items():
        if draw(st.booleans()):
            body[name] = draw(values)
    return body


EDITS = ("/api/chat.update", "/api/chat.postMessage")  # the message edited, or the Details thread reply


def _answers(fake: FakeSlack, *paths: str) -> list[object]:
    return [r for r in fake.requests if r.path in paths]


@st.composite
def clicks(draw: st.DrawFn, bot: Bot) -> tuple[dict[str, Any], str]:
    url = bot.response_url()
    return _click(draw, url), url


def test_a_click_on_an_alert_button_always_gets_an_answer(bot: Bot, caplog: pytest.LogCaptureFixture) -> None:
    """An ephemeral reply at the response_url, or (a real alert, acknowledged or snoozed) the message edited."""

    @FUZZ
    @given(click=clicks(bot))
    @example(click=({"type": "block_actions", "actions": [{"action_id": ACK_ACTION, "value": SPIKE_ID}]}, ""))
    def one(click: tuple[dict[str, Any], str]) -> None:
        body, url = click
        if not url:  # the example above: fill in a fresh response_url, and no user
            url = bot.response_url()
            body = {**body, "response_url": url}
        path = url.removeprefix(bot.fake.url)
        edits = len(_answers(bot.fake, *EDITS))
        response = bot.post(_payload(body))
        assert (response.status_code, response.text) == (200, ""), body
        answered = lambda: bool(_answers(bot.fake, path)) or len(_answers(bot.fake, *EDITS)) > edits  # noqa: E731
        bot.fake.wait_until(answered, 15, f"an answer to {body}")
        for answer in bot.fake.received(path):
            assert answer.body["response_type"] == "ephemeral" and answer.body["text"], answer.body

    with caplog.at_level(logging.INFO):
        one()
    assert_no_errors(caplog, bot)


# ---- Socket Mode ----------------------------------------------------------------------------------------------


def test_a_socket_mode_payload_bolt_cannot_read_is_refused_in_one_line(
    tmp_path: Path, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    """Over Socket Mode Bolt builds its request from the envelope itself, outside the HTTP server's refusals; a
    payload whose shape it trips on is refused with one warning, as over HTTP, not a traceback; the rest is acked."""
    odd = [{"type": "block_actions", "user": 5}, {"type": "block_actions", "team": 5}, {"response_urls": [5]}]
    sent: list[str] = []
    with filled_store(tmp_path / "aispend.db") as store, running_app(fake, store, alert_settings()) as app:
        server = SocketModeServer(app, "xapp-1-A1-test", workers=1)
        server.handler.client.send_message = sent.append  # type: ignore[method-assign,assignment]
        try:
            with caplog.at_level(logging.INFO):
                for n, payload in enumerate(odd):
                    envelope = {"envelope_id": f"odd{n}", "type": "interactive", "payload": payload}
                    server.handler.client.enqueue_message(json.dumps(envelope))
                command = slash_form("week", response_url=fake.response_url("week"))
                envelope = {"envelope_id": "week", "type": "slash_commands", "payload": command}
                server.handler.client.enqueue_message(json.dumps(envelope))  # handled after the odd ones
                fake.wait_for("/commands/week")
        finally:
            server.stop()
    assert [json.loads(m) for m in sent] == [{"envelope_id": "week"}]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == [
        "Socket Mode: refused an interactive payload Bolt cannot read (TypeError)",
        "Socket Mode: refused an interactive payload Bolt cannot read (TypeError)",
        "Socket Mode: refused an interactive payload Bolt cannot read (AttributeError)",
    ]
    assert "Traceback" not in caplog.text


@pytest.mark.parametrize(
    ("body", "content_type", "payload"),
    [
        ("", "text/plain", None),
        ('{"response_action": "errors"}', "application/json", {"response_action": "errors"}),
        ("Only admins can do that.", "text/plain;charset=utf-8", {"text": "Only admins can do that."}),
    ],
)
def test_socket_mode_answers_carry_what_bolt_acked(body: str, content_type: str, payload: object) -> None:
    """The envelope's answer holds Bolt's ack as Bolt's own send_response would send it."""
    sent: list[str] = []
    client = SocketModeClient(app_token="xapp-1-A1-test")
    client.send_message = sent.append  # type: ignore[method-assign,assignment]
    request = SocketModeRequest(type="interactive", envelope_id="e1", payload={})
    _answer(client, request, BoltResponse(status=200, body=body, headers={"content-type": content_type}), 0.0)
    expected: dict[str, object] = {"envelope_id": "e1"} | ({"payload": payload} if payload is not None else {})
    assert [json.loads(m) for m in sent] == [expected]
