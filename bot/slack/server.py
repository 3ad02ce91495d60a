"""Running the bot: Socket Mode or HTTP mode (uvicorn + Bolt's ASGI adapter), and a clean stop on signals.

`serve()` starts one transport and returns a handle with `.stop()`, so tests start and stop a real server on a
free loopback port; `run_bot()` is what `aispend run` calls: it blocks until SIGINT/SIGTERM.

In HTTP mode `app.dispatch()` runs on the event loop itself. That is safe because the App is built with
`process_before_response=True` and every listener only checks, acks and hands its work to a pool (see app.py), so
a dispatch is a fraction of a millisecond of CPU and never waits. Handing each dispatch to a thread instead
measured 2-3x slower acks under a burst: every hop fights the worker threads for the interpreter lock.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from types import FrameType
from typing import Any, Protocol

import uvicorn
from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.asgi import SlackRequestHandler
from slack_bolt.adapter.asgi.http_request import AsgiHttpRequest
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk.errors import SlackApiError

from bot.config import Settings
from bot.errors import ConfigError
from bot.slack.app import Pools, create_app
from bot.slack.client import BOT_TOKEN_FIX, make_client
from bot.slack.connections import ConnectionLimits, protocol_with
from bot.slack.gate import AckGate
from bot.slack.listener import AlertsView, SpendStore
from bot.slack.reach import DEFAULT_BACKOFF, Backoff, reach

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
_INVALID = '{"error": "invalid request"}'
MAX_BODY_BYTES = 1_000_000  # Slack payloads are a few KB; refuse anything absurd before reading it all
SOCKET_WORKERS = 32
DEFAULT_LIMITS = ConnectionLimits()
APP_TOKEN_FIX = (
    "create an app-level token with the connections:write scope (Slack app settings › Basic Information › "
    "App-Level Tokens), set SLACK_APP_TOKEN to it, and turn Socket Mode on; or unset SLACK_APP_TOKEN for HTTP mode."
)
Registrar = Callable[[App], None]
Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]


class Running(Protocol):
    mode: str

    def stop(self) -> None: ...


class SlackAsgiHandler(SlackRequestHandler):  # type: ignore[misc]
    """Bolt's ASGI adapter with a body limit, early refusals of what is not from Slack, and a health check.

    Every request is counted at the gate from the moment its whole body has arrived until its response is sent,
    so answers wait for acks. A client that sends headers and stalls is not counted: it has nothing to ack yet,
    and must not hold every answer back.
    """

    def __init__(self, app: App, gate: AckGate, path: str = EVENTS_PATH) -> None:
        super().__init__(app, path)
        self._gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"] == HEALTH_PATH:
            await _send_plain(send, 200, b"ok")
            return
        counted = False

        async def receive_and_count() -> dict[str, Any]:
            nonlocal counted
            message: dict[str, Any] = await receive()
            if not counted and message["type"] == "http.request" and not message.get("more_body", False):
                counted = True
                self._gate.enter()
            return message

        try:
            await super().__call__(scope, receive_and_count, send)
        finally:
            if counted:
                self._gate.leave()

    async def dispatch(self, request: AsgiHttpRequest) -> BoltResponse:
        body = await _read_body(request.receive, MAX_BODY_BYTES)
        if body is None:
            return BoltResponse(status=413, body="request body too large")
        headers = request.get_headers()
        # Bolt raises (a 500 and a traceback in the log) on a payload that is not JSON or a timestamp that is not a
        # number, before or while checking the signature; such requests are not from Slack, so refuse them here
        timestamp = headers.get("x-slack-request-timestamp") or ""
        if not (timestamp if isinstance(timestamp, str) else "".join(timestamp[:1])).isdigit():
            return BoltResponse(status=401, body=_INVALID)
        try:
            bolt_request = BoltRequest(body=body, query=request.query_string, headers=headers)
        except Exception as err:
            # Bolt parses the body and reads a dozen of its fields while building the request, before the
            # signature is checked, and raises whatever a wrong shape makes it raise (`[1,2]`, `"user": 5`)
            log.debug("refused a request Bolt cannot read (%s)", type(err).__name__)
            return BoltResponse(status=400, body=_INVALID)
        response: BoltResponse = self.app.dispatch(bolt_request)
        return response


async def _read_body(receive: Receive, limit: int) -> str | None:
    chunks = bytearray()
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None  # the client went away
        chunks.extend(message.get("body", b""))
        if len(chunks) > limit:
            return None
        if not message.get("more_body", False):
            return bytes(chunks).decode("utf-8", errors="replace")


async def _send_plain(send: Send, status: int, body: bytes) -> None:
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


class HttpServer:
    """uvicorn in a background thread, on a socket bound before it starts (so port 0 works and errors are ours)."""

    mode = "http"

    def __init__(
        self, app: App, host: str, port: int, *, gate: AckGate, limits: ConnectionLimits = DEFAULT_LIMITS
    ) -> None:
        """`gate` must be the one the App's answers wait on (`Pools.gate`), or answers would not yield to acks;
        `limits` bound what a client's connection may take (see bot.slack.connections)."""
        self.limits = limits.within_descriptors()
        self._sock = _bind(host, port)
        self.host = host
        self.port: int = self._sock.getsockname()[1]
        config = uvicorn.Config(
            SlackAsgiHandler(app, gate),
            http=protocol_with(self.limits),
            lifespan="off",
            log_config=None,  # logging is configured by the CLI, not by uvicorn
            access_log=False,
            timeout_graceful_shutdown=5,
            backlog=2048,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, name="aispend-uvicorn", daemon=True
        )

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}{EVENTS_PATH}"

    def start(self, timeout: float = 10.0) -> HttpServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise ConfigError(f"The HTTP server did not start on port {self.port}: see the log above for why.")
            time.sleep(0.01)
        log.info("HTTP mode: listening on %s:%d, Slack request URL path %s", self.host, self.port, EVENTS_PATH)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=15)
        self._sock.close()


def _bind(host: str, port: int) -> socket.socket:
    sock: socket.socket | None = None
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as err:
        if sock is not None:
            sock.close()
        raise ConfigError(
            f"Cannot listen on {host}:{port} ({err.strerror or err}): set PORT to a free port "
            "(and AISPEND_HOST to an address of this machine)."
        ) from None
    sock.setblocking(False)
    return sock


class SocketModeServer:
    """Bolt's built-in (stdlib) Socket Mode client; `connect()` asks Slack for a WebSocket URL and returns."""

    mode = "socket"

    def __init__(self, app: App, app_token: str, *, workers: int = SOCKET_WORKERS) -> None:
        self.handler = SocketModeHandler(app, app_token=app_token, concurrency=workers)

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
    registrars: Sequence[Registrar] = (),
    on_ready: Callable[[], None] | None = None,
    before_stop: Callable[[], None] | None = None,
    sync_now: Callable[[], str] | None = None,
    alerts: AlertsView | None = None,
    stop: threading.Event | None = None,
) -> None:
    """`aispend run`: check the tokens, serve Slack until SIGINT/SIGTERM (or `stop` is set), then stop cleanly.

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
        now=lambda: datetime.now(UTC),
        sync_now=sync_now,
        alerts=alerts,
        registrars=registrars,
        pools=pools,
    )
    running: Running | None = None
    try:
        running = serve(app, settings, gate=pools.gate, stopping=stopping)
        if on_ready is not None and not stopping():
            on_ready()
        # sleep-polling rather than Event.wait: a signal handler must not take the lock a waiting thread holds
        while not stopping():
            time.sleep(0.1)
        log.info("Stopping: finishing the requests in progress (signal again to quit at once)")
    finally:
        try:
            if before_stop is not None:
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
        raise ConfigError(f"Slack refused SLACK_BOT_TOKEN ({err.response.get('error')}): {BOT_TOKEN_FIX}") from None
    if identity is None:
        return False
    log.info("Slack: signed in as bot %s in team %s", identity.get("user_id"), identity.get("team"))
    return True
