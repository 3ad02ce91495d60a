"""Running the bot: check the tokens, start Socket Mode or HTTP mode (http_server.py), stop cleanly on signals.

`serve()` starts one transport and returns a handle with `.stop()`, so tests start and stop a real server on a
free loopback port; `run_bot()` is what `aispend run` calls: it blocks until SIGINT/SIGTERM. Start-up waits while
Slack cannot be reached (reach.py), and a signal ends that wait too.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from types import FrameType
from typing import Any, Protocol

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_bolt.adapter.socket_mode.internals import build_headers
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.client import BaseSocketModeClient
from slack_sdk.socket_mode.request import SocketModeRequest
from slack_sdk.socket_mode.response import SocketModeResponse

from bot.config import Settings
from bot.errors import ConfigError
from bot.slack.app import Pools, create_app
from bot.slack.charts import ChartUploads
from bot.slack.client import BOT_TOKEN_FIX, NOT_SLACK, answered_by_a_page, make_client
from bot.slack.gate import AckGate
from bot.slack.http_server import EVENTS_PATH, HttpServer, SlackAsgiHandler
from bot.slack.listener import AlertsView, SpendStore
from bot.slack.reach import DEFAULT_BACKOFF, Backoff, reach

log = logging.getLogger(__name__)
# the HTTP transport is re-exported: callers import every transport from here
__all__ = ["EVENTS_PATH", "HttpServer", "SlackAsgiHandler", "SocketModeServer", "run_bot", "serve"]

SOCKET_WORKERS = 32
APP_TOKEN_FIX = (
    "create an app-level token with the connections:write scope (Slack app settings › Basic Information › "
    "App-Level Tokens), set SLACK_APP_TOKEN to it, and turn Socket Mode on; or unset SLACK_APP_TOKEN for HTTP mode."
)
Registrar = Callable[[App], None]


class Running(Protocol):
    mode: str

    def stop(self) -> None: ...


class _Handler(SocketModeHandler):  # type: ignore[misc]
    """Bolt's handler, refusing in one line what Bolt cannot build a request from (as HTTP mode answers 400)."""

    def handle(self, client: BaseSocketModeClient, req: SocketModeRequest) -> None:
        try:
            bolt_request = BoltRequest(mode="socket_mode", body=req.payload, headers=build_headers(req))
        except Exception as err:  # Bolt reads a dozen fields while it builds the request and trips on odd shapes
            log.warning("Socket Mode: refused an %s payload Bolt cannot read (%s)", req.type, type(err).__name__)
            return
        started = time.perf_counter()
        _answer(client, req, self.app.dispatch(bolt_request), started)


def _answer(client: BaseSocketModeClient, req: SocketModeRequest, resp: BoltResponse, started: float) -> None:
    """Bolt's send_response, timed with a monotonic counter instead of the wall clock it reads."""
    if resp.status != 200:
        log.info("Socket Mode: Bolt answered %s", resp.status)
        return
    content_type = resp.headers.get("content-type", [""])[0]
    if not resp.body:
        answer = SocketModeResponse(envelope_id=req.envelope_id)
    elif content_type.startswith("application/json"):
        answer = SocketModeResponse(envelope_id=req.envelope_id, payload=json.loads(resp.body))
    else:
        answer = SocketModeResponse(envelope_id=req.envelope_id, payload={"text": resp.body})
    client.send_socket_mode_response(answer)
    log.debug("Socket Mode: answered in %d ms", (time.perf_counter() - started) * 1000)


class SocketModeServer:
    """Bolt's built-in (stdlib) Socket Mode client; `connect()` asks Slack for a WebSocket URL and returns."""

    mode = "socket"

    def __init__(self, app: App, app_token: str, *, workers: int = SOCKET_WORKERS) -> None:
        self.handler = _Handler(app, app_token=app_token, concurrency=workers)

    def start(
        self, stopping: Callable[[], bool] = lambda: False, backoff: Backoff = DEFAULT_BACKOFF
    ) -> SocketModeServer:
        """Connect, waiting while Slack cannot be reached; returns unconnected if `stopping()` came true."""
        api_url = self.handler.client.web_client.base_url
        try:
            connected = reach(self._connect, api_url=api_url, stopping=stopping, backoff=backoff)
        except SlackApiError as err:
            self.handler.close()  # type: ignore[no-untyped-call]
            raise ConfigError(f"Slack refused SLACK_APP_TOKEN ({err.response.get('error')}): {APP_TOKEN_FIX}") from None
        if connected:
            log.info("Socket Mode: connected to Slack")
        return self

    def _connect(self) -> bool:
        self.handler.connect()  # type: ignore[no-untyped-call]
        return True

    def stop(self) -> None:
        self.handler.close()  # type: ignore[no-untyped-call]


def serve(
    app: App,
    settings: Settings,
    *,
    gate: AckGate,
    port: int | None = None,
    stopping: Callable[[], bool] = lambda: False,
) -> Running:
    """Start the transport `settings` ask for (Socket Mode when SLACK_APP_TOKEN is set) and return its handle.

    Socket Mode waits while Slack cannot be reached, until `stopping()` (then the handle is not connected)."""
    if settings.slack_app_token is not None:
        return SocketModeServer(app, settings.slack_app_token.reveal()).start(stopping)
    return HttpServer(app, settings.host, settings.port if port is None else port, gate=gate).start()


def run_bot(
    settings: Settings,
    store: SpendStore,
    *,
    clock: Callable[[], datetime],
    registrars: Sequence[Registrar] = (),
    on_ready: Callable[[], None] | None = None,
    before_stop: Callable[[], None] | None = None,
    sync_now: Callable[[], str] | None = None,
    alerts: AlertsView | None = None,
    stop: threading.Event | None = None,
    charts: ChartUploads | None = None,
) -> None:
    """`aispend run`: check the tokens, serve Slack until SIGINT/SIGTERM (or `stop` is set), then stop cleanly.

    `clock` is the UTC-aware "now" every answer is computed for (the CLI passes the real one).

    On the way out: `before_stop` (the CLI stops its scheduler there), then the transport stops taking requests,
    then the answers in progress finish. A second signal while that runs ends the process at once.
    """
    secret = _check_transport(settings)
    client = make_client(settings)
    stop = stop or threading.Event()
    signals = _SignalWatch()
    stopping = _stopping(signals, stop)
    if not _signed_in(client, signals, stopping):
        return
    pools = Pools()
    app = create_app(
        client=client,
        store=store,
        settings=settings,
        signing_secret=secret,
        now=clock,
        sync_now=sync_now,
        alerts=alerts,
        registrars=registrars,
        pools=pools,
        charts=charts,
    )
    running: Running | None = None
    ready = False  # before_stop undoes on_ready, so it runs only after it (a port in use never got that far)
    try:
        running = serve(app, settings, gate=pools.gate, stopping=stopping)
        if on_ready is not None and not stopping():
            on_ready()
            ready = True
        # sleep-polling rather than Event.wait: a signal handler must not take the lock a waiting thread holds
        while not stopping():
            time.sleep(0.1)
        log.info("Stopping: finishing the requests in progress (signal again to quit at once)")
    finally:
        try:
            if before_stop is not None and (ready or on_ready is None):
                before_stop()
        finally:
            if running is not None:
                running.stop()
            pools.shutdown()
            signals.restore()
    log.info("Stopped")


class _SignalWatch:
    """SIGINT/SIGTERM set a flag; the second one exits hard, for a shutdown stuck on a slow request."""

    def __init__(self) -> None:
        self.received: list[int] = []
        self._previous: dict[int, Any] = {}
        # only the main thread may set handlers; embedded callers (tests) stop the bot with `stop` instead
        if threading.current_thread() is threading.main_thread():
            self._previous = {sig: signal.signal(sig, self._handle) for sig in (signal.SIGINT, signal.SIGTERM)}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        if self.received:
            log.warning("Second %s: exiting without waiting", signal.Signals(signum).name)
            os._exit(1)
        log.info("Received %s", signal.Signals(signum).name)
        self.received.append(signum)

    def restore(self) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)


def _check_transport(settings: Settings) -> str | None:
    if settings.slack_bot_token is None:
        raise ConfigError(f"SLACK_BOT_TOKEN is not set: {BOT_TOKEN_FIX}")
    if settings.slack_app_token is not None:
        if not settings.slack_app_token.reveal().startswith("xapp-"):
            raise ConfigError(f"SLACK_APP_TOKEN is not an app-level token (xapp-…): {APP_TOKEN_FIX}")
        return settings.slack_signing_secret.reveal() if settings.slack_signing_secret else None
    if settings.slack_signing_secret is None:
        raise ConfigError(
            "HTTP mode needs SLACK_SIGNING_SECRET: copy the Signing Secret from your Slack app's Basic Information "
            "page, or set SLACK_APP_TOKEN to use Socket Mode instead."
        )
    return settings.slack_signing_secret.reveal()


def _stopping(signals: _SignalWatch, stop: threading.Event) -> Callable[[], bool]:
    return lambda: bool(signals.received) or stop.is_set()


def _signed_in(client: Any, signals: _SignalWatch, stopping: Callable[[], bool]) -> bool:
    """`_check_bot_token`, restoring the signal handlers when the bot goes no further (refused, or stopped)."""
    try:
        if _check_bot_token(client, stopping):
            return True
    except BaseException:
        signals.restore()
        raise
    signals.restore()
    log.info("Stopped before Slack could be reached")
    return False


def _check_bot_token(client: Any, stopping: Callable[[], bool], backoff: Backoff = DEFAULT_BACKOFF) -> bool:
    """Fail at start, with the fix, rather than at the first command; wait while Slack cannot be reached.

    True once signed in; False if `stopping()` came true while waiting for Slack."""
    try:
        identity = reach(client.auth_test, api_url=client.base_url, stopping=stopping, backoff=backoff)
    except SlackApiError as err:
        status = getattr(err.response, "status_code", 200)
        if status != 200:  # a Slack refusal comes with 200 and ok: false; anything else is not Slack's Web API
            raise ConfigError(
                f"SLACK_API_URL answered auth.test with HTTP {status}, not like Slack's Web API: set it to "
                "https://slack.com/api/ (or remove it)."
            ) from None
        if answered_by_a_page(err.response.get("error")):
            raise ConfigError(NOT_SLACK) from None
        raise ConfigError(f"Slack refused SLACK_BOT_TOKEN ({err.response.get('error')}): {BOT_TOKEN_FIX}") from None
    if identity is None:
        return False
    log.info("Slack: signed in as bot %s in team %s", identity.get("user_id"), identity.get("team"))
    return True
