"""HTTP mode under connections that send nothing, half a request, or a request one byte at a time.

Such connections used to be held forever: 1,100 of them used up a 1,024-descriptor limit and the bot stopped
answering. Now each connection must deliver a whole request within a deadline (or is closed), a header may not
grow past a limit, and past the connection limit the connection waiting longest for its request makes room.
"""

from __future__ import annotations

import selectors
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from bot.slack.app import Pools
from bot.slack.connections import ConnectionLimits
from bot.slack.http_server import HttpServer
from bot.store import Store
from tests.fake_slack import FakeSlack
from tests.run_support import aispend_run, raise_own_nofile
from tests.slack_support import form_body, running_app, settings, signed, slash_form, store_at

FLOOD = 1100
BODY = form_body(slash_form("help", response_url="http://127.0.0.1:9/unused"))
HEAD = "".join(f"{k}: {v}\r\n" for k, v in signed(BODY).items())
PARTS = [
    b"",  # connects and says nothing
    b"POST /slack/events HTTP/1.1\r\nhost: x\r\n",  # half the headers
    f"POST /slack/events HTTP/1.1\r\nhost: x\r\n{HEAD}content-length: {len(BODY)}\r\n\r\n{BODY[:10]}".encode(),
]


def flood(port: int, count: int = FLOOD) -> list[socket.socket]:
    """`count` connections, each stalled at one of PARTS."""
    sockets = []
    for i in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        if PARTS[i % len(PARTS)]:
            sock.sendall(PARTS[i % len(PARTS)])
        sockets.append(sock)
    return sockets


def closed_by_server(sockets: list[socket.socket], within: float) -> list[socket.socket]:
    """The sockets the server closed (EOF or reset) within `within` seconds; the rest are still open."""
    selector = selectors.DefaultSelector()
    for sock in sockets:
        sock.setblocking(False)
        selector.register(sock, selectors.EVENT_READ)
    closed = []
    deadline = time.monotonic() + within
    while len(closed) < len(sockets) and time.monotonic() < deadline:
        for key, _ in selector.select(timeout=0.5):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            try:
                data = sock.recv(65536)
            except (ConnectionResetError, BrokenPipeError):
                data = b""
            if not data:  # an answer (a 400 for the half-sent body) is read on, up to the close
                selector.unregister(sock)
                closed.append(sock)
    selector.close()
    return closed


def command(url: str, fake: FakeSlack, name: str) -> tuple[int, str]:
    body = form_body(slash_form("week", response_url=fake.response_url(name)))
    answer = httpx.post(url, content=body, headers=signed(body), timeout=20)  # type: ignore[arg-type]
    return answer.status_code, answer.text


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with store_at(tmp_path / "spend.db") as s:
        yield s


@contextmanager
def serve(fake: FakeSlack, store: Store, limits: ConnectionLimits) -> Iterator[HttpServer]:
    pools = Pools(work=2)
    with running_app(fake, store, settings(), pools=pools) as app:
        server = HttpServer(app, "127.0.0.1", 0, gate=pools.gate, limits=limits).start()
        try:
            yield server
        finally:
            server.stop()


@pytest.mark.slow
def test_aispend_run_keeps_answering_through_1100_stalled_connections_under_1024_descriptors(
    fake: FakeSlack, tmp_path: Path
) -> None:
    """The incident: `aispend run` with systemd's default soft limit of 1,024 descriptors, and 1,100 connections."""
    raise_own_nofile(FLOOD + 256)
    with aispend_run(tmp_path, fake.api_url, nofile=1024) as bot:
        bot.wait_until_listening()
        sockets = flood(int(bot.base.rsplit(":", 1)[1]))
        try:
            assert command(bot.events_url, fake, "during") == (200, "")
            assert fake.wait_for("/commands/during", timeout=30)[0].body["text"].startswith("AI spend")
        finally:
            for sock in sockets:
                sock.close()
        assert bot.stop() == 0
        assert "Traceback" not in bot.stderr() and "Too many open files" not in bot.stderr()


def test_stalled_connections_are_closed_and_never_crowd_out_a_command(fake: FakeSlack, store: Store) -> None:
    raise_own_nofile(FLOOD + 256)
    limits = ConnectionLimits(request_timeout=0.5, max_connections=40)
    with serve(fake, store, limits) as server:
        sockets = flood(server.port)
        try:
            # past the limit, the connection waiting longest makes room: a real command still gets through
            assert command(server.url, fake, "1") == (200, "")
            assert fake.wait_for("/commands/1")[0].body["text"].startswith("AI spend")
            # and every stalled connection is closed, by the limit or by its deadline (a generous bound: no timing)
            assert len(closed_by_server(sockets, within=60)) == FLOOD
        finally:
            for sock in sockets:
                sock.close()


def test_a_request_trickled_after_a_keep_alive_answer_is_cut_off(fake: FakeSlack, store: Store) -> None:
    """uvicorn's keep-alive timer restarts on every byte; the request deadline does not."""
    limits = ConnectionLimits(request_timeout=0.5)
    with serve(fake, store, limits) as server, socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        cut = False
        for byte in b"POST /slack/events HTTP/1.1\r\nhost: x\r\n" * 50:  # a byte every 0.1 s, up to 3 min
            try:
                sock.sendall(bytes([byte]))
            except (BrokenPipeError, ConnectionResetError):
                cut = True
                break
            time.sleep(0.1)
        assert cut


def test_an_endless_header_is_cut_off(fake: FakeSlack, store: Store) -> None:
    with serve(fake, store, ConnectionLimits(request_timeout=600, max_header_bytes=16_384)) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
            sock.sendall(b"POST /slack/events HTTP/1.1\r\nhost: x\r\nx-padding: ")
            with pytest.raises((BrokenPipeError, ConnectionResetError)):
                for _ in range(1000):  # 64 MB in all, unless the server hangs up first
                    sock.sendall(b"a" * 65536)
        # and a normal request is still served
        assert command(server.url, fake, "after") == (200, "")
