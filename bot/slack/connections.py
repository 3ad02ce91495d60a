"""The connections HTTP mode holds: a deadline for each request to arrive whole, a header limit, a connection limit.

uvicorn has no timeout for receiving a request: its keep-alive timer starts only after a response, and restarts
on every byte, so a connection that sends nothing, half a header or a byte a second is held forever (1,100 of them
used up a 1,024-descriptor limit and the bot stopped answering). Its `limit_concurrency` would not help either: it
counts those connections too, then answers real requests with 503. So each connection here gets its own deadline
(`request_timeout`) for a whole request, headers and body, from when it opens or its previous response went out;
its header may not grow past `max_header_bytes` (httptools has no limit of its own); and past `max_connections`,
kept below the process's descriptor limit, the connection that has waited longest for its request is closed to
make room. A flood of idle connections then costs a bounded number of descriptors, and delays nobody's command:
Slack sends a whole request in milliseconds, so it is never the one waiting longest.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

log = logging.getLogger(__name__)

SPARE_DESCRIPTORS = 128  # for SQLite, the Slack and provider clients, logs: never all taken by HTTP clients


@dataclass(frozen=True)
class ConnectionLimits:
    request_timeout: float = 10.0  # Slack's whole request takes milliseconds; its own timeout is 3 s
    max_connections: int = 1000
    max_header_bytes: int = 65_536  # Slack's headers are about 1 KB

    def within_descriptors(self) -> ConnectionLimits:
        """These limits, with `max_connections` lowered to leave SPARE_DESCRIPTORS of the process's soft limit."""
        try:
            import resource
        except ImportError:  # Windows: no RLIMIT_NOFILE to respect
            return self
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY:
            return self
        return replace(self, max_connections=max(16, min(self.max_connections, soft - SPARE_DESCRIPTORS)))


class _Census:
    """The connections of one server: how many are open, and which wait for a request (oldest first)."""

    def __init__(self) -> None:
        self.open = 0
        self.waiting: dict[LimitedProtocol, None] = {}  # insertion-ordered
        self.evicted = 0


class LimitedProtocol(HttpToolsProtocol):  # type: ignore[misc]
    """uvicorn's httptools protocol with the limits above; `protocol_with(limits)` makes one per server."""

    limits: ClassVar[ConnectionLimits]
    census: ClassVar[_Census]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._deadline: asyncio.TimerHandle | None = None
        self._counted = False
        self._in_headers = False
        self._header_bytes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self.census.open += 1
        self._counted = True
        self._await_request()
        if self.census.open > self.limits.max_connections:
            self._make_room()

    def connection_lost(self, exc: Exception | None) -> None:
        self._forget()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._in_headers:
            self._header_bytes += len(data)
            if self._header_bytes > self.limits.max_header_bytes:
                log.debug("closed a connection whose request header passed %d bytes", self.limits.max_header_bytes)
                self._close()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_headers = True

    def on_headers_complete(self) -> None:
        self._in_headers = False
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._stop_waiting()  # the app has the whole request; answering it is ours, not the client's, to time

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._await_request()  # a keep-alive connection has the same deadline for its next request

    # --- bookkeeping ------------------------------------------------------------------------------------------

    def _await_request(self) -> None:
        self._stop_waiting()
        self._in_headers, self._header_bytes = True, 0
        self._deadline = self.loop.call_later(self.limits.request_timeout, self._expire)
        self.census.waiting[self] = None

    def _stop_waiting(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        self.census.waiting.pop(self, None)

    def _expire(self) -> None:
        self._deadline = None
        log.debug("closed a connection that sent no whole request in %s s", self.limits.request_timeout)
        self._close()

    def _make_room(self) -> None:
        oldest = next((p for p in self.census.waiting if p is not self), self)
        if self.census.evicted == 0:
            log.warning(
                "HTTP mode: %d connections are open, the most allowed: closing the ones that have waited longest "
                "without sending a request (a client holding idle connections, or too many at once)",
                self.limits.max_connections,
            )
        self.census.evicted += 1
        oldest._close()

    def _close(self) -> None:
        self._forget()
        if not self.transport.is_closing():
            self.transport.close()

    def _forget(self) -> None:
        self._stop_waiting()
        if self._counted:
            self._counted = False
            self.census.open -= 1
            if self.census.open < self.limits.max_connections // 2 and self.census.evicted:
                log.info("HTTP mode: back under the connection limit after closing %d", self.census.evicted)
                self.census.evicted = 0


def protocol_with(limits: ConnectionLimits) -> type[LimitedProtocol]:
    """A protocol class for one uvicorn server (uvicorn builds one instance per connection, from the class)."""
    chosen = limits

    class ForOneServer(LimitedProtocol):  # type: ignore[misc]
        limits = chosen
        census = _Census()

    return ForOneServer
