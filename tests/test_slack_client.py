"""The shared WebClient: SLACK_API_URL as base URL, the bot token, retries on 429, and connection retries only
where sending again cannot post twice (reads and same-content edits, or a request that never left)."""

from __future__ import annotations

import logging
from http.client import RemoteDisconnected
from pathlib import Path
from urllib.error import URLError

import pytest
from slack_bolt import BoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.state import RetryState

from bot.errors import ConfigError
from bot.slack.client import ConnectionRetry, make_client, retry_handlers
from tests.fake_slack import FakeSlack
from tests.slack_support import form_body, running_app, settings, signed, slash_form, store_at

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


# --- connection retries: never a second post ------------------------------------------------------------------


def test_a_post_whose_answer_is_lost_is_not_sent_again() -> None:
    with FakeSlack() as fake:
        fake.faults["/api/chat.postMessage"] = ["drop"]  # Slack posted it; the connection closed before the answer
        with pytest.raises(ConnectionError):
            make_client(settings(slack_api_url=fake.api_url)).chat_postMessage(channel="C1", text="hi")
        assert len(fake.received("/api/chat.postMessage")) == 1
        assert len(fake.in_channel("C1")) == 1


def test_reads_and_same_content_edits_are_retried_after_a_dropped_connection() -> None:
    with FakeSlack() as fake:
        client = make_client(settings(slack_api_url=fake.api_url))
        for method in ("auth.test", "conversations.history", "chat.update"):
            fake.faults[f"/api/{method}"] = ["drop"]
        assert client.auth_test()["bot_id"] == "BBOT"
        assert client.conversations_history(channel="C1")["messages"] == []
        assert client.chat_update(channel="C1", ts="1.2", text="same")["ok"] is True
        assert [r.path for r in fake.received("/api/auth.test")] == ["/api/auth.test"] * 2
        assert len(fake.received("/api/conversations.history")) == 2
        assert len(fake.received("/api/chat.update")) == 2


def _retries(url: str, error: Exception) -> bool:
    [connection] = [h for h in retry_handlers() if isinstance(h, ConnectionRetry)]
    request = HttpRequest(method="POST", url=url, headers={})
    return connection.can_retry(state=RetryState(), request=request, error=error)


def test_a_post_is_retried_only_when_it_never_left() -> None:
    post, reply = "https://slack.com/api/chat.postMessage", "https://hooks.slack.com/commands/T1/2/abc"
    refused = URLError(ConnectionRefusedError(111, "Connection refused"))  # urllib: connecting or writing failed
    dropped = RemoteDisconnected("Remote end closed connection without response")  # after the request was sent
    assert [_retries(url, refused) for url in (post, reply)] == [True, True]
    assert [_retries(url, dropped) for url in (post, reply)] == [False, False]
    assert [_retries(url, ConnectionResetError()) for url in (post, reply)] == [False, False]
    assert _retries("https://slack.com/api/conversations.history", dropped) is True
    assert _retries("https://slack.com/api/chat.postEphemeral", dropped) is False
    assert _retries("https://slack.com/api/files.completeUploadExternal", dropped) is False


def test_a_reply_whose_answer_is_lost_is_not_posted_twice(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with FakeSlack() as fake, store_at(tmp_path / "spend.db") as store, caplog.at_level(logging.INFO):
        fake.faults["/commands/1"] = ["drop"]  # the response_url got the reply; the connection closed after it
        with running_app(fake, store, settings()) as app:
            body = form_body(slash_form("week public", response_url=fake.response_url()))
            assert app.dispatch(BoltRequest(body=body, headers=signed(body))).status == 200
            fake.wait_for("/commands/1")
        # running_app waited for the answer to finish: a retry would have been the second request
        [reply] = fake.received("/commands/1")
    assert reply.body["response_type"] == "in_channel"
    # said in one line, without a traceback: the log of `aispend run` is a terminal too
    lost = [r for r in caplog.records if "response_url" in r.getMessage()]
    assert lost and all(r.exc_info is None for r in lost), [r.getMessage() for r in lost]
