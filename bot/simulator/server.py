"""The loopback HTTP server that speaks both Admin APIs, records requests and applies faults.

One ThreadingHTTPServer (daemon threads, HTTP/1.1 keep-alive) on 127.0.0.1 serves the Anthropic paths
(/v1/organizations/...) and the OpenAI paths (/v1/organization/...) side by side.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import sys
import threading
import time
import traceback
from datetime import date
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bot.simulator import anthropic_api, faults, openai_api
from bot.simulator.faults import Fault, FaultBook
from bot.simulator.org import Org
from bot.simulator.wire import RecordedRequest, Response


def provider_of(path: str) -> str:
    if path.startswith(anthropic_api.PREFIX + "/"):
        return "anthropic"
    if path.startswith(openai_api.PREFIX + "/"):
        return "openai"
    return "unknown"


class Simulator:
    """Both provider APIs over a deterministic synthetic organization, on a loopback port."""

    def __init__(
        self,
        today: date,
        *,
        port: int = 0,
        n_workspaces: int | None = None,
        n_models: int | None = None,
        n_keys: int | None = None,
        n_users: int | None = None,
        seed: int = 0,
        analytics_refused: int | None = None,
        cost_lag_days: int = 0,
    ) -> None:
        self.today = today
        self.org = Org(today, seed=seed, n_workspaces=n_workspaces, n_models=n_models, n_keys=n_keys, n_users=n_users)
        self.org.analytics_refused = analytics_refused  # this organization has no Usage & Cost Analytics beta
        self.org.cost_lag_days = cost_lag_days  # the cost report lags usage by this many complete days
        self.latency = 0.0  # seconds slept before answering every request
        self._requested_port = port
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._connections: set[socket.socket] = set()
        self._faults = FaultBook()

    # --- lifecycle ----------------------------------------------------------------------------------------

    def start(self) -> Simulator:
        if self._server is not None:
            return self
        server = _Server(("127.0.0.1", self._requested_port), _Handler)
        server.sim = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name="aispend-simulator", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        with self._lock:
            open_connections = list(self._connections)
        for conn in open_connections:  # idle keep-alive connections would otherwise hold a thread each
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- addresses ----------------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the simulator is not running: call start() or use it as a context manager")
        return int(self._server.server_address[1])

    @property
    def anthropic_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def openai_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # --- test controls ------------------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()

    def inject(self, fault: Fault) -> None:
        self._faults.add(fault)

    def clear_faults(self) -> None:
        self._faults.clear()

    def rename_key(self, key_id: str, name: str) -> None:
        """An OpenAI API key renamed: see Org.rename_key."""
        self.org.rename_key(key_id, name)

    def revise(self, provider: str, day: date, factor: Decimal) -> None:
        """The provider revises a past day: see Org.revise."""
        self.org.revise(provider, day, factor)

    # --- serving ------------------------------------------------------------------------------------------

    def respond(self, req: RecordedRequest) -> Response:
        with self._lock:
            self._requests.append(req)
        if self.latency > 0:
            time.sleep(self.latency)
        fault = self._faults.take(req.provider, req.path) if req.provider != "unknown" else None
        if fault is not None:
            early = faults.before(fault, req)
            if early is not None:
                return early
        try:
            if req.provider == "anthropic":
                response = anthropic_api.handle(req, self.org)
            elif req.provider == "openai":
                response = openai_api.handle(req, self.org)
            else:
                response = Response(404, {"error": f"no simulated API at {req.path}"})
        except Exception:  # a simulator bug must surface as a loud 500, not look like a network fault
            traceback.print_exc()
            return faults.provider_error(req, 500, "simulator bug: see the traceback on stderr")
        return faults.after(fault, response) if fault is not None else response

    def _track(self, conn: socket.socket, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    sim: Simulator

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out or hang up mid-answer are part of the game, not server errors.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as two writes; do not wait for an ACK between
    server_version = "aispend-simulator/1"
    sys_version = ""
    timeout = 60  # an idle keep-alive connection is closed after this many seconds
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.sim._track(self.connection, True)

    def finish(self) -> None:
        self.server.sim._track(self.connection, False)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def _serve(self) -> None:
        url = urlsplit(self.path)
        headers = {name.lower(): value for name, value in self.headers.items()}
        length = int(headers.get("content-length") or 0)
        if length:
            self.rfile.read(length)
        query = parse_qs(url.query, keep_blank_values=True)
        req = RecordedRequest(provider_of(url.path), self.command, url.path, query, headers)
        response = self.server.sim.respond(req)
        if response.reset:
            self._reset()
            return
        body = response.encode()
        self.send_response(response.status)
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.send_header("content-type", response.content_type)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _reset(self) -> None:
        """Close with SO_LINGER 0, so the client sees a connection reset instead of any answer."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()
