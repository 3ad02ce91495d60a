"""HTTP mode through the real uvicorn server on loopback, Socket Mode start-up errors, and `run_bot` itself."""

from __future__ import annotations

import json
import logging
import signal
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.config import Secret
from bot.errors import ConfigError
from bot.periods import parse_period
from bot.report import load_report
from bot.report_json import report_to_json
from bot.slack.app import Pools, create_app
from bot.slack.client import build_client
from bot.slack.gate import AckGate
from bot.slack.server import HttpServer, SocketModeServer, run_bot
from bot.store import Store
from tests.fake_slack import FakeSlack
from tests.slack_support import (
    NOW,
    SECRET,
    WEEK_BLOCKS,
    WEEK_TEXT,
    action_body,
    form_body,
    running_app,
    settings,
    signed,
    simulator_store,
    slash_form,
    store_at,
)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with store_at(tmp_path / "spend.db") as s:
        yield s


def post(url: str, body: str, headers: Mapping[str, str | Sequence[str]]) -> tuple[int, str]:
    flat = {k: v if isinstance(v, str) else v[0] for k, v in headers.items()}
    request = urllib.request.Request(url, data=body.encode(), headers=flat, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode()


@pytest.fixture
def http(fake: FakeSlack, store: Store) -> Iterator[HttpServer]:
    pools = Pools(work=8)
    with running_app(fake, store, settings(), pools=pools) as app:
        server = HttpServer(app, "127.0.0.1", 0, gate=pools.gate).start()
        try:
            yield server
        finally:
            server.stop()


def test_signed_command_over_http_is_acked_and_answered(http: HttpServer, fake: FakeSlack) -> None:
    body = form_body(slash_form("week", response_url=fake.response_url()))
    assert post(http.url, body, signed(body)) == (200, "")
    answer = fake.wait_for("/commands/1")[0].body
    assert answer == {"text": WEEK_TEXT, "blocks": WEEK_BLOCKS, "response_type": "ephemeral"}


def test_help_comes_back_in_the_http_response(http: HttpServer, fake: FakeSlack) -> None:
    body = form_body(slash_form("nonsense", response_url=fake.response_url()))
    status, text = post(http.url, body, signed(body))
    assert status == 200 and json.loads(text)["text"].startswith(":warning: I don't know “nonsense”")


def test_forged_stale_and_unsigned_requests_get_401(http: HttpServer, fake: FakeSlack) -> None:
    body = form_body(slash_form("week", response_url=fake.response_url()))
    forged = post(http.url, body, signed(body, secret="guessed"))
    stale = post(http.url, body, signed(body, ts=int(time.time()) - 301))
    tampered = post(http.url, body.replace("week", "month"), signed(body))
    unsigned = post(http.url, body, {"content-type": "application/x-www-form-urlencoded"})
    assert [forged, stale, tampered, unsigned] == [(401, '{"error": "invalid request"}')] * 4
    time.sleep(0.2)  # nothing is sent later either (a listener would have answered by now)
    assert fake.requests == []


def test_unknown_actions_over_http_are_acked(http: HttpServer, fake: FakeSlack) -> None:
    body = action_body("visit_console", fake.response_url())
    assert post(http.url, body, signed(body)) == (200, "")


def test_url_verification_is_answered(http: HttpServer) -> None:
    body = json.dumps({"token": "t", "challenge": "abc123", "type": "url_verification"})
    headers = signed(body) | {"content-type": "application/json"}
    status, text = post(http.url, body, headers)
    assert (status, json.loads(text)) == (200, {"challenge": "abc123"})


def test_health_other_paths_and_oversized_bodies(http: HttpServer) -> None:
    base = http.url.removesuffix("/slack/events")
    assert get(base + "/healthz") == (200, "ok")
    assert get(http.url)[0] == 404
    assert post(base + "/elsewhere", "x", {})[0] == 404
    assert post(http.url, "x" * 1_000_001, {"content-type": "application/x-www-form-urlencoded"})[0] == 413


def settle(gate: AckGate) -> None:
    deadline = time.monotonic() + 10
    while gate.pending and time.monotonic() < deadline:
        time.sleep(0.01)


def test_requests_are_counted_at_the_gate_once_whole_and_stalled_ones_never(fake: FakeSlack, store: Store) -> None:
    # the answers wait on this gate: whole requests count (two in a row are a burst), while a client that sends
    # headers and stalls has nothing to ack and must not hold the answers back
    gate = AckGate(quiet=600.0)
    pools = Pools(work=2)
    with running_app(fake, store, settings(), pools=pools) as app:
        server = HttpServer(app, "127.0.0.1", 0, gate=gate).start()
        try:
            body = form_body(slash_form("help", response_url=fake.response_url())).encode()
            head = "".join(f"{k}: {v}\r\n" for k, v in signed(body.decode()).items())
            request = f"POST /slack/events HTTP/1.1\r\nhost: x\r\n{head}content-length: {len(body)}\r\n\r\n"
            with socket.create_connection(("127.0.0.1", server.port), timeout=10) as stalled:
                stalled.sendall(request.encode() + body[:10])
                assert post(server.url, body.decode(), signed(body.decode()))[0] == 200
                settle(gate)  # the reply can reach us a moment before the server's bookkeeping after sending it
                assert gate.pending == 0 and gate.hold(time.monotonic()) == 0.0  # one whole request: no burst
                assert post(server.url, body.decode(), signed(body.decode()))[0] == 200
                settle(gate)
                hold = gate.hold(time.monotonic())
                assert gate.pending == 0 and hold is not None and hold > 0  # two in a row: answers wait
        finally:
            server.stop()


def test_binding_a_busy_port_says_what_to_do(fake: FakeSlack, store: Store) -> None:
    pools = Pools(work=2)
    with running_app(fake, store, settings(), pools=pools) as app:
        first = HttpServer(app, "127.0.0.1", 0, gate=pools.gate).start()
        try:
            with pytest.raises(ConfigError, match=r"Cannot listen on 127\.0\.0\.1:\d+ .*: set PORT to a free port"):
                HttpServer(app, "127.0.0.1", first.port, gate=pools.gate)
        finally:
            first.stop()


@pytest.mark.dates
def test_week_from_a_simulator_synced_database_matches_the_report(
    tmp_path: Path, fake: FakeSlack, now: datetime
) -> None:
    """Done-when of issue 3: `/aispend week` over HTTP mode is answered (acked well within Bolt's 3 s, else 404)."""
    with simulator_store(tmp_path / "sim.db", now) as store:
        conf = settings()
        expected = report_to_json(
            load_report(
                store, parse_period("week", now.date()), now=now, configured=["anthropic", "openai"], budget_usd=None
            )
        )
        pools = Pools(work=8)
        with running_app(fake, store, conf, pools=pools, now=lambda: now) as app:
            server = HttpServer(app, "127.0.0.1", 0, gate=pools.gate).start()
            try:
                body = form_body(slash_form("week", response_url=fake.response_url()))
                assert post(server.url, body, signed(body)) == (200, "")
                answer = fake.wait_for("/commands/1")[0].body
            finally:
                server.stop()
    total = Decimal(expected["total_usd"]).quantize(Decimal("0.01"))
    assert total > 0
    assert answer["blocks"][1]["text"]["text"].startswith(f"*${total:,}*")
    assert f": ${total:,}, " in answer["text"]


# --- run_bot ----------------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.mark.dates
def test_run_bot_serves_until_sigterm_then_stops_cleanly(
    fake: FakeSlack, tmp_path: Path, caplog: pytest.LogCaptureFixture, now: datetime
) -> None:
    store = store_at(tmp_path / "spend.db", now=now)
    today = now.date()
    # WEEK_TEXT is the reply on the default dates; on others only the week's dates differ
    week = f"{today - timedelta(days=7)} to {today - timedelta(days=1)}"
    assert "2026-11-15 to 2026-11-21" in WEEK_TEXT
    expected_text = WEEK_TEXT.replace("2026-11-15 to 2026-11-21", week)
    port = free_port()
    conf = settings(slack_api_url=fake.api_url, port=port)
    events: list[str] = []
    seen: dict[str, Any] = {}

    def on_ready() -> None:
        events.append("ready")
        body = form_body(slash_form("week", response_url=fake.response_url()))
        seen["ack"] = post(f"http://127.0.0.1:{port}/slack/events", body, signed(body))
        seen["answer"] = fake.wait_for("/commands/1")[0].body
        signal.raise_signal(signal.SIGTERM)  # handled by run_bot: it stops instead of dying

    previous = signal.getsignal(signal.SIGTERM)
    with caplog.at_level(logging.DEBUG):
        try:
            run_bot(conf, store, clock=lambda: now, on_ready=on_ready, before_stop=lambda: events.append("before_stop"))
        finally:
            store.close()
    assert events == ["ready", "before_stop"]
    assert seen["ack"] == (200, "") and seen["answer"]["text"] == expected_text
    assert signal.getsignal(signal.SIGTERM) == previous
    assert [r.path for r in fake.requests] == ["/api/auth.test", "/commands/1"]
    assert "Received SIGTERM" in caplog.text and "Stopped" in caplog.text
    assert all(secret not in caplog.text for secret in conf.secrets())
    with socket.socket() as s:  # nothing listens there any more
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))


def test_run_bot_refuses_a_token_slack_rejects(fake: FakeSlack, store: Store) -> None:
    fake.responses["/api/auth.test"] = (200, {}, {"ok": False, "error": "invalid_auth"})
    conf = settings(slack_api_url=fake.api_url, port=free_port())
    with pytest.raises(ConfigError) as raised:
        run_bot(conf, store, clock=lambda: NOW)
    assert str(raised.value) == (
        "Slack refused SLACK_BOT_TOKEN (invalid_auth): set SLACK_BOT_TOKEN to the Bot User OAuth Token (xoxb-…) "
        "from your Slack app's OAuth & Permissions page."
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"slack_bot_token": None},
            "SLACK_BOT_TOKEN is not set: set SLACK_BOT_TOKEN to the Bot User OAuth Token (xoxb-…) from your Slack "
            "app's OAuth & Permissions page.",
        ),
        (
            {"slack_signing_secret": None},
            "HTTP mode needs SLACK_SIGNING_SECRET: copy the Signing Secret from your Slack app's Basic Information "
            "page, or set SLACK_APP_TOKEN to use Socket Mode instead.",
        ),
        (
            {"slack_app_token": Secret("xoxb-wrong-kind")},
            "SLACK_APP_TOKEN is not an app-level token (xapp-…): create an app-level token with the "
            "connections:write scope (Slack app settings › Basic Information › App-Level Tokens), set "
            "SLACK_APP_TOKEN to it, and turn Socket Mode on; or unset SLACK_APP_TOKEN for HTTP mode.",
        ),
    ],
)
def test_run_bot_configuration_errors(store: Store, overrides: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        run_bot(settings(slack_api_url="http://127.0.0.1:9/api/", **overrides), store, clock=lambda: NOW)
    assert str(raised.value) == message
    assert "test-signing-secret" not in message and "xoxb-test-token" not in message


def test_socket_mode_start_reports_a_refused_app_token(fake: FakeSlack, store: Store) -> None:
    fake.responses["/api/apps.connections.open"] = (200, {}, {"ok": False, "error": "invalid_auth"})
    pools = Pools(work=2)
    app = create_app(
        client=build_client("xoxb-test-token", fake.api_url),
        store=store,
        settings=settings(),
        signing_secret=None,
        now=lambda: NOW,
        pools=pools,
    )
    try:
        with pytest.raises(ConfigError, match=r"^Slack refused SLACK_APP_TOKEN \(invalid_auth\): create an app-level"):
            SocketModeServer(app, "xapp-1-secret-app-token").start()
    finally:
        pools.shutdown()
    opened = fake.received("/api/apps.connections.open")
    assert len(opened) == 1 and opened[0].headers["authorization"] == "Bearer xapp-1-secret-app-token"


def test_signing_secret_is_the_only_one_accepted(fake: FakeSlack, store: Store) -> None:
    # an App built for Socket Mode (no secret) must refuse any HTTP request rather than accept unsigned ones
    pools = Pools(work=2)
    app = create_app(
        client=build_client("xoxb-test-token", fake.api_url),
        store=store,
        settings=settings(),
        signing_secret=None,
        now=lambda: NOW,
        pools=pools,
    )
    server = HttpServer(app, "127.0.0.1", 0, gate=pools.gate).start()
    try:
        body = form_body(slash_form("week", response_url=fake.response_url()))
        assert post(server.url, body, signed(body, secret=SECRET))[0] == 401
        assert post(server.url, body, {"content-type": "application/x-www-form-urlencoded"})[0] == 401
    finally:
        server.stop()
        pools.shutdown()
