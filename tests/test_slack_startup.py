"""Start-up with Slack unreachable: one sentence per wait saying what to check, a capped backoff, a clean stop.

In-process with a short backoff against a closed port and a fake Slack answering 503, then `aispend run` itself
as a child process: no traceback while Slack is away, ready once it comes up, and a SIGTERM while waiting stops it.
"""

from __future__ import annotations

import logging
import re
import signal
import threading
from pathlib import Path

import pytest

from bot.errors import ConfigError
from bot.slack.app import Pools, create_app
from bot.slack.client import build_client
from bot.slack.reach import Backoff
from bot.slack.server import SocketModeServer, _check_bot_token, run_bot
from bot.store import Store
from tests.env_support import closed_port
from tests.fake_slack import FakeSlack
from tests.run_support import aispend_run
from tests.scripted_server import html_page, raw_http
from tests.slack_support import NOW, form_body, settings, signed, slash_form
from tests.test_slack_server import post

FAST = Backoff(first=0.01, cap=0.04)
WAIT = re.compile(
    r"^Cannot reach Slack at (\S+) \((.+)\), so trying again in (\S+ s): check this host's network connection, "
    r"SLACK_API_URL and any HTTPS_PROXY setting\.$"
)


def waits(caplog: pytest.LogCaptureFixture) -> list[tuple[str, str, str]]:
    """(where, why, how long) of every "Cannot reach Slack" line so far."""
    found = [WAIT.match(r.getMessage()) for r in caplog.records]
    return [m.groups() for m in found if m]  # type: ignore[misc]


def assert_clean(caplog: pytest.LogCaptureFixture) -> None:
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert "Traceback" not in caplog.text and all(r.exc_info is None for r in caplog.records)


def test_an_unreachable_slack_is_retried_with_a_growing_capped_wait(caplog: pytest.LogCaptureFixture) -> None:
    port = closed_port()
    client = build_client("xoxb-test-token", f"http://127.0.0.1:{port}/api/")
    with caplog.at_level(logging.INFO):
        signed_in = _check_bot_token(client, lambda: len(waits(caplog)) >= 5, backoff=FAST)
    assert signed_in is False  # stopped while waiting, without an exception
    where = f"http://127.0.0.1:{port}"
    assert waits(caplog) == [
        (where, "Connection refused", "0.01 s"),
        (where, "Connection refused", "0.02 s"),
        (where, "Connection refused", "0.04 s"),
        (where, "Connection refused", "0.04 s"),
        (where, "Connection refused", "0.04 s"),
    ]
    assert_clean(caplog)  # slack_sdk's own error line for each try is left out too


def test_slack_answering_503_is_waited_out_and_then_the_bot_signs_in(
    fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    down = (503, {}, {"ok": False, "error": "service_unavailable"})
    fine = (200, {}, {"ok": True, "user_id": "UBOT", "team": "Acme"})
    fake.responses["/api/auth.test"] = [down, down, down, fine]
    with caplog.at_level(logging.INFO):
        assert _check_bot_token(build_client("xoxb-test-token", fake.api_url), lambda: False, backoff=FAST) is True
    assert {why for _, why, _ in waits(caplog)} == {"HTTP 503"}
    assert len(fake.received("/api/auth.test")) == 4  # every outage answer was used up: the last try got through
    assert "Slack: signed in as bot UBOT in team Acme" in caplog.text
    assert_clean(caplog)


def test_a_refusal_is_not_retried(fake: FakeSlack) -> None:
    fake.responses["/api/auth.test"] = (200, {}, {"ok": False, "error": "token_revoked"})
    with pytest.raises(ConfigError, match=r"^Slack refused SLACK_BOT_TOKEN \(token_revoked\): set SLACK_BOT_TOKEN"):
        _check_bot_token(build_client("xoxb-test-token", fake.api_url), lambda: False, backoff=FAST)
    assert len(fake.received("/api/auth.test")) == 1


def test_an_api_url_that_is_not_slack_says_so(fake: FakeSlack) -> None:
    fake.responses["/api/auth.test"] = (404, {}, {"detail": "Not Found"})
    with pytest.raises(ConfigError) as raised:
        _check_bot_token(build_client("xoxb-test-token", fake.api_url), lambda: False, backoff=FAST)
    assert str(raised.value) == (
        "SLACK_API_URL answered auth.test with HTTP 404, not like Slack's Web API: set it to https://slack.com/api/ "
        "(or remove it)."
    )


def test_run_bot_stops_cleanly_while_it_waits_for_slack(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    stop = threading.Event()

    class StopOnFirstWait(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            if WAIT.match(record.getMessage()):
                stop.set()

    handler = StopOnFirstWait()
    logging.getLogger("bot.slack.reach").addHandler(handler)
    previous = signal.getsignal(signal.SIGTERM)
    conf = settings(slack_api_url=f"http://127.0.0.1:{closed_port()}/api/")
    try:
        with caplog.at_level(logging.INFO), Store(tmp_path / "aispend.db") as store:
            run_bot(
                conf,
                store,
                clock=lambda: NOW,
                stop=stop,
                on_ready=lambda: pytest.fail("the bot must not start serving"),
            )
    finally:
        logging.getLogger("bot.slack.reach").removeHandler(handler)
    assert len(waits(caplog)) == 1
    assert "Stopped before Slack could be reached" in caplog.text
    assert signal.getsignal(signal.SIGTERM) == previous
    assert_clean(caplog)


def test_socket_mode_waits_for_slack_too(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    pools = Pools(work=1)
    with Store(tmp_path / "aispend.db") as store:
        app = create_app(
            client=build_client("xoxb-test-token", f"http://127.0.0.1:{closed_port()}/api/"),
            store=store,
            settings=settings(),
            signing_secret=None,
            now=lambda: NOW,
            pools=pools,
        )
        server = SocketModeServer(app, "xapp-1-test")
        try:
            with caplog.at_level(logging.INFO):
                server.start(lambda: len(waits(caplog)) >= 2, backoff=FAST)
        finally:
            server.stop()
            pools.shutdown()
    assert [why for _, why, _ in waits(caplog)] == ["Connection refused", "Connection refused"]
    assert "Socket Mode: connected" not in caplog.text
    assert_clean(caplog)


# ---- `aispend run` itself --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_aispend_run_waits_for_an_unreachable_slack_then_serves(tmp_path: Path) -> None:
    port = closed_port()
    with aispend_run(tmp_path, f"http://127.0.0.1:{port}/api/") as bot:
        bot.wait_for_log(f"Cannot reach Slack at http://127.0.0.1:{port} (Connection refused), so trying again in")
        with FakeSlack(port) as fake:  # Slack comes back
            bot.wait_until_listening()
            body = form_body(slash_form("week", response_url=fake.response_url("back")))
            assert post(bot.events_url, body, signed(body)) == (200, "")
            assert fake.wait_for("/commands/back", timeout=30)[0].body["text"].startswith("AI spend")
            assert bot.stop() == 0
    log = bot.stderr()
    assert "check this host's network connection, SLACK_API_URL and any HTTPS_PROXY setting." in log
    assert "Traceback" not in log and "URLError" not in log and " ERROR " not in log, log[-3000:]
    assert "Slack: signed in as bot UBOT" in log


@pytest.mark.slow
def test_aispend_run_stops_on_sigterm_while_waiting_for_slack(tmp_path: Path) -> None:
    port = closed_port()
    with aispend_run(tmp_path, f"http://127.0.0.1:{port}/api/") as bot:
        bot.wait_for_log("Cannot reach Slack at")
        assert bot.stop() == 0
    log = bot.stderr()
    assert "Stopped before Slack could be reached" in log
    assert "Traceback" not in log and " ERROR " not in log, log[-3000:]


def test_a_web_page_answering_for_slack_is_not_taken_for_a_token_refusal() -> None:
    """A captive portal or a proxy's error page answers auth.test with 200 and HTML: that says nothing about the
    token, so the message names SLACK_API_URL and the proxy, not SLACK_BOT_TOKEN."""
    page = html_page(b"<html><h1>Please sign in to the hotel Wi-Fi</h1></html>")
    with raw_http(page) as url, pytest.raises(ConfigError) as raised:
        _check_bot_token(build_client("xoxb-test-token", f"{url}/api/"), lambda: False, backoff=FAST)
    assert str(raised.value) == (
        "SLACK_API_URL answered auth.test with a page that is not Slack's Web API (a proxy or a captive portal?): "
        "check this host's network connection and any HTTPS_PROXY setting, and set SLACK_API_URL to "
        "https://slack.com/api/ (or remove it)."
    )
