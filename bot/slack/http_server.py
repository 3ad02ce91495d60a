"""HTTP mode: uvicorn serving Bolt's ASGI adapter, with a body limit, a health check and the connection limits.

`HttpServer` runs uvicorn in a background thread on a socket bound before it starts, so port 0 works in tests and
a busy port is our error, said plainly. `app.dispatch()` runs on the event loop itself. That is safe because the
App is built with `process_before_response=True` and every listener only checks, acks and hands its work to a
pool (see app.py), so a dispatch is a fraction of a millisecond of CPU and never waits. Handing each dispatch to a
thread instead measured 2-3x slower acks under a burst: every hop fights the worker threads for the interpreter
lock.
"""

from __future__ import annotations

import errno
import logging
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

import uvicorn
from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.adapter.asgi import SlackRequestHandler
from slack_bolt.adapter.asgi.http_request import AsgiHttpRequest

from bot.errors import ConfigError
from bot.slack.connections import ConnectionLimits, protocol_with
from bot.slack.gate import AckGate
from bot.slack.guard import INVALID

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
MAX_BODY_BYTES = 1_000_000  # Slack payloads are a few KB; refuse anything absurd before reading it all
DEFAULT_LIMITS = ConnectionLimits()
Scope = dict[str, Any]
Receive = Callable[[], Any]
Send = Callable[[dict[str, Any]], Any]


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
            return BoltResponse(status=401, body=INVALID)
        try:
            bolt_request = BoltRequest(body=body, query=request.query_string, headers=headers)
        except Exception as err:
            # Bolt parses the body and reads a dozen of its fields while building the request, before the
            # signature is checked, and raises whatever a wrong shape makes it raise (`[1,2]`, `"user": 5`)
            log.debug("refused a request Bolt cannot read (%s)", type(err).__name__)
            return BoltResponse(status=400, body=INVALID)
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
        self._sock = bind_listener(host, port)
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


class CannotListen(ConfigError):
    """PORT / AISPEND_HOST cannot be listened on: `what` says so and why; `in_use` when another program holds it."""

    def __init__(self, host: str, port: int, err: OSError) -> None:
        self.what = f"Cannot listen on {host}:{port} ({err.strerror or err})"
        self.in_use = err.errno == errno.EADDRINUSE
        super().__init__(f"{self.what}: set PORT to a free port (and AISPEND_HOST to an address of this machine).")


def bind_listener(host: str, port: int) -> socket.socket:
    """The socket `aispend run` serves on (`aispend doctor` binds it too, then closes it); CannotListen if not."""
    sock: socket.socket | None = None
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
    except OSError as err:
        if sock is not None:
            sock.close()
        raise CannotListen(host, port, err) from None
    sock.setblocking(False)
    return sock
