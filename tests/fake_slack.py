"""A fake Slack Web API on loopback: records every request and answers like Slack does.

Point a `WebClient(base_url=fake.api_url)` at it, and put `fake.response_url(...)` in slash-command
payloads: `respond()` then POSTs there and the test reads what the bot said from `fake.requests`.
Per-path overrides (`fake.responses[path] = (status, headers, body)`) simulate rate limits and errors.

Like Slack, it keeps the channels: a chat.postMessage it accepts is stored (`fake.messages[channel]`, ts counted up
from `fake.epoch`) and conversations.history reads it back (oldest/latest/inclusive, limit/cursor, metadata only
with include_all_metadata). Faults act after the request was handled, as when Slack got it but the answer is lost:
`fake.faults[path] = ["drop"]` closes the connection without answering; `["hold"]` keeps the answer back until
`fake.release()` (a client timeout, or a process killed while it waits).

Files go through Slack's three-step upload (files_upload_v2): files.getUploadURLExternal answers with an upload URL
on this server, the bytes POSTed there are kept, and files.completeUploadExternal files them under their id
(`fake.files[id]`: filename, title, alt_txt, channel_id, content). conversations.open answers with a DM id `D<user>`.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

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
        self.messages: dict[str, list[dict[str, Any]]] = {}  # channel -> messages, oldest first
        self.epoch = 1_700_000_000  # the seconds part of the ts of accepted posts
        self.faults: dict[str, list[str]] = {}  # path -> "drop" | "hold", one per request
        self.held = 0  # answers being held back now
        self.files: dict[str, dict[str, Any]] = {}  # file id -> what was uploaded and completed
        self._pending: dict[str, dict[str, Any]] = {}  # file id -> an upload not completed yet
        self._release = threading.Event()
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
                data = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                path = urlsplit(self.path).path
                if path.startswith("/upload/"):  # the raw bytes of a file, as files.slack.com takes them
                    # recorded and overridden as "/upload", whichever file it is
                    body: dict[str, Any] = {"file_id": path.rsplit("/", 1)[-1], "bytes": len(data)}
                    path = "/upload"
                    status, extra, answer = fake._answer(path, body)
                    if status == 200:
                        fake._received_bytes(body["file_id"], data)
                else:
                    body = _parse(data.decode("utf-8"), headers.get("content-type", ""))
                    status, extra, answer = fake._answer(path, body)
                fault = fake._fault(path)
                if fault == "drop":  # handled, but the connection closes before any answer
                    self.close_connection = True
                    fake._record(Recorded(path, headers, body, time.monotonic()))
                    return
                if fault == "hold":
                    fake._hold()
                payload = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json; charset=utf-8")
                self.send_header("content-length", str(len(payload)))
                for key, value in extra.items():
                    self.send_header(key, value)
                self.end_headers()
                try:
                    self.wfile.write(payload)
                except OSError:  # the client gave up on a held answer
                    self.close_connection = True
                # recorded after answering, so a test that sees the record also sees the reply delivered
                fake._record(Recorded(path, headers, body, time.monotonic()))

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
        self.release()
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

    def release(self) -> None:
        """Let every held answer (and any later one) go out."""
        self._release.set()

    def holding(self, count: int = 1, timeout: float = 10.0) -> None:
        """Wait until `count` answers are being held back."""
        self.wait_until(lambda: self.held >= count, timeout, "held answers")

    def in_channel(self, channel: str) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(m) for m in self.messages.get(channel, [])]

    def _fault(self, path: str) -> str | None:
        with self._lock:
            queue = self.faults.get(path)
            return queue.pop(0) if queue else None

    def _hold(self) -> None:
        with self._arrived:
            self.held += 1
            self._arrived.notify_all()
        self._release.wait(timeout=60)
        with self._arrived:
            self.held -= 1

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
                return 200, {}, self._post(body)
            if path == "/api/conversations.history":
                return 200, {}, self._history(body)
            if path == "/api/files.getUploadURLExternal":
                return 200, {}, self._upload_url(body)
            if path == "/api/files.completeUploadExternal":
                return 200, {}, self._complete(body)
            if path == "/api/conversations.open":
                users = str(body.get("users") or "")
                return 200, {}, {"ok": True, "channel": {"id": "D" + users.split(",")[0].lstrip("U")}}
            return 200, {}, {"ok": True}

    def _upload_url(self, body: dict[str, Any]) -> dict[str, Any]:
        file_id = f"F{len(self.files) + len(self._pending) + 1:08d}"
        self._pending[file_id] = {
            "filename": body.get("filename"),
            "length": int(body.get("length") or 0),
            "alt_txt": body.get("alt_txt"),
            "content": None,
        }
        return {"ok": True, "upload_url": f"{self.url}/upload/{file_id}", "file_id": file_id}

    def _received_bytes(self, file_id: str, data: bytes) -> None:
        with self._lock:
            if file_id in self._pending:
                self._pending[file_id]["content"] = data

    def _complete(self, body: dict[str, Any]) -> dict[str, Any]:
        files = body.get("files")
        listed = json.loads(files) if isinstance(files, str) else files
        done = []
        for entry in listed or []:
            pending = self._pending.pop(str(entry.get("id")), None)
            if pending is None or pending["content"] is None:
                return {"ok": False, "error": "file_upload_not_found"}
            record = {**pending, "id": entry["id"], "title": entry.get("title"), "channel_id": body.get("channel_id")}
            self.files[entry["id"]] = record
            done.append({"id": entry["id"], "title": entry.get("title"), "name": pending["filename"]})
        return {"ok": True, "files": done}

    def _post(self, body: dict[str, Any]) -> dict[str, Any]:
        channel = str(body.get("channel"))
        stored = self.messages.setdefault(channel, [])
        count = sum(len(m) for m in self.messages.values()) + 1
        ts = f"{self.epoch}.{count * 100:06d}"  # the first is 1700000000.000100, as the fake always answered
        message: dict[str, Any] = {"type": "message", "bot_id": "BBOT", "text": body.get("text", ""), "ts": ts}
        for key in ("blocks", "thread_ts", "metadata"):
            value = body.get(key)
            if isinstance(value, str) and key != "thread_ts":
                value = json.loads(value)  # form-encoded posts carry JSON strings
            if value is not None:
                message[key] = value
        stored.append(message)
        return {"ok": True, "channel": channel, "ts": ts, "message": message}

    def _history(self, body: dict[str, Any]) -> dict[str, Any]:
        inclusive = _flag(body.get("inclusive"))
        oldest = Decimal(str(body.get("oldest") or "0"))
        latest = Decimal(str(body.get("latest"))) if body.get("latest") else None

        def within(ts: Decimal) -> bool:
            after = ts >= oldest if inclusive else ts > oldest
            before = latest is None or (ts <= latest if inclusive else ts < latest)
            return after and before

        found = [
            dict(m)
            for m in reversed(self.messages.get(str(body.get("channel")), []))
            if within(Decimal(m["ts"])) and m.get("thread_ts") in (None, m["ts"])
        ]
        if not _flag(body.get("include_all_metadata")):
            for message in found:
                message.pop("metadata", None)
        start, limit = int(body.get("cursor") or 0), int(body.get("limit") or 100)
        more = start + limit < len(found)
        return {
            "ok": True,
            "messages": found[start : start + limit],
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

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


def _flag(value: object) -> bool:
    return value in (True, "1", "true")


def _parse(raw: str, content_type: str) -> dict[str, Any]:
    if not raw:
        return {}
    if "json" in content_type:
        parsed = json.loads(raw)
        return parsed if isinstance(parsed, dict) else {"_": parsed}
    return {k: v[0] for k, v in parse_qs(raw).items()}
