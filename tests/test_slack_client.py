"""The shared WebClient: SLACK_API_URL as base URL, the bot token, and retries on 429 and dropped connections."""

from __future__ import annotations

import pytest
from slack_sdk.errors import SlackApiError

from bot.errors import ConfigError
from bot.slack.client import make_client
from tests.fake_slack import FakeSlack
from tests.slack_support import settings

RATE_LIMITED = (429, {"Retry-After": "0"}, {"ok": False, "error": "ratelimited"})


def test_client_uses_slack_api_url_and_the_bot_token() -> None:
    with FakeSlack() as fake:
        client = make_client(settings(slack_api_url=fake.api_url.rstrip("/")))  # a missing "/" is added
        client.chat_postMessage(channel="C1", text="hello")
    [request] = fake.requests
    assert (request.path, request.body) == ("/api/chat.postMessage", {"channel": "C1", "text": "hello"})
    assert request.headers["authorization"] == "Bearer xoxb-test-token"


def test_rate_limits_are_retried() -> None:
    with FakeSlack() as fake:
        fake.responses["/api/chat.postMessage"] = [RATE_LIMITED, (200, {}, {"ok": True, "ts": "1.2"})]
        response = make_client(settings(slack_api_url=fake.api_url)).chat_postMessage(channel="C1", text="hi")
    assert response["ts"] == "1.2"
    assert len(fake.received("/api/chat.postMessage")) == 2


def test_a_rate_limit_that_persists_is_raised_after_two_retries() -> None:
    with FakeSlack() as fake:
        fake.responses["/api/chat.postMessage"] = RATE_LIMITED
        with pytest.raises(SlackApiError) as raised:
            make_client(settings(slack_api_url=fake.api_url)).chat_postMessage(channel="C1", text="hi")
    assert raised.value.response.status_code == 429
    assert len(fake.received("/api/chat.postMessage")) == 3


def test_no_token_says_where_to_get_one() -> None:
    with pytest.raises(ConfigError) as raised:
        make_client(settings(slack_bot_token=None))
    assert str(raised.value) == (
        "SLACK_BOT_TOKEN is not set: set SLACK_BOT_TOKEN to the Bot User OAuth Token (xoxb-…) from your Slack "
        "app's OAuth & Permissions page."
    )
