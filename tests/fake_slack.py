"""A fake Slack Web API on loopback: records every request and answers like Slack does.

Point a `WebClient(base_url=fake.api_url)` at it, and put `fake.response_url(...)` in slash-command
payloads: `respond()` then POSTs there and the test reads what the bot said from `fake.requests`.
Per-path overrides (`fake.responses[path] = (status, headers, body)`) simulate rate limits and errors.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

Override = tuple[int, dict[str, str], dict[str, Any]]


@dataclass(frozen=True)
class Recorded:
    path: str
    headers: dict[str, str]  # lower-case keys
    body: dict[str, Any]  # parsed JSON, or form fields (single values)
    at: float  # time.monotonic() when it arrived


class FakeSlack:
    def __init__(self, port: int = 0) -> None:
        """On `port` of 127.0.0.1 (0: any free one)."""
        self.requests: list[Recorded] = []
        self.responses: dict[str, Override | list[Override]] = {}
        self._lock = threading.RLock()
        self._arrived = threading.Condition(self._lock)
        self._in_flight = 0  # requests being handled: received() waits for them, so a caller holding a reply sees it
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                fake._begin()
                try:
                    self._handle()
                finally:
                    fake._end()

            def _handle(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                raw = self.rfile.read(length).decode("utf-8")
                headers = {k.lower(): v for k, v in self.headers.items()}
                body = _parse(raw, headers.get("content-type", ""))
                status, extra, answer = fake._answer(self.path, body)
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json; charset=utf-8")
                self.send_header("content-length", str(len(payload)))
                for key, value in extra.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(payload)
                # recorded after answering, so a test that sees the record also sees the reply delivered
                fake._record(Recorded(self.path, headers, body, time.monotonic()))

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = _Server(("127.0.0.1", port), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.api_url = self.url + "/api/"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="fake-slack", daemon=True
        )

    def __enter__(self) -> FakeSlack:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def response_url(self, name: str = "1") -> str:
        return f"{self.url}/commands/{name}"

    def _begin(self) -> None:
        with self._arrived:
            self._in_flight += 1

    def _end(self) -> None:
        with self._arrived:
            self._in_flight -= 1
            self._arrived.notify_all()

    def _record(self, recorded: Recorded) -> None:
        with self._arrived:
            self.requests.append(recorded)
            self._arrived.notify_all()

    def _answer(self, path: str, body: dict[str, Any]) -> Override:
        with self._lock:
            override = self.responses.get(path)
            if isinstance(override, list):
                # a list is consumed one answer per request; the last one sticks
                override = override.pop(0) if len(override) > 1 else override[0]
        if override is not None:
            return override
        if path == "/api/auth.test":
            return 200, {}, {"ok": True, "user_id": "UBOT", "bot_id": "BBOT", "team_id": "T1", "team": "Acme"}
        if path == "/api/chat.postMessage":
            return 200, {}, {"ok": True, "channel": body.get("channel"), "ts": "1700000000.000100"}
        return 200, {}, {"ok": True}

    def received(self, path: str) -> list[Recorded]:
        """The requests to `path` so far. A request is recorded just after its reply is written, so this first
        waits (at most 10 s) for the ones being handled: whoever already holds a reply finds its request here."""
        with self._arrived:
            self._arrived.wait_for(lambda: self._in_flight == 0, timeout=10.0)
            return self._to(path)

    def _to(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]

    def wait_for(self, path: str, count: int = 1, timeout: float = 10.0) -> list[Recorded]:
        """The first `count` requests to `path`, waiting for listener work that continues after the ack."""
        return self.wait_until(lambda: len(self._to(path)) >= count, timeout, path)[:count]

    def wait_until(self, predicate: Callable[[], bool], timeout: float, what: str) -> list[Recorded]:
        deadline = time.monotonic() + timeout
        with self._arrived:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [r.path for r in self.requests]
                    raise AssertionError(f"timed out waiting for {what}; received {seen}")
                self._arrived.wait(left)
            return [r for r in self.requests if r.path == what]


class _Server(ThreadingHTTPServer):
    # the stdlib default backlog of 5 drops bursts of concurrent replies (the client retries after 1 s)
    request_queue_size = 128


def _parse(raw: str, content_type: str) -> dict[str, Any]:
    if not raw:
        return {}
    if "json" in content_type:
        parsed = json.loads(raw)
        return parsed if isinstance(parsed, dict) else {"_": parsed}
    return {k: v[0] for k, v in parse_qs(raw).items()}
