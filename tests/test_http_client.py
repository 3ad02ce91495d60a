"""JsonClient, the pager and the window helpers, against scripted loopback servers."""

from __future__ import annotations

import itertools
import logging
import random
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime

import pytest

from bot.config import Secret, Settings
from bot.errors import ProviderAuthError, ProviderDataError, ProviderHTTPError, ProviderNetworkError
from bot.providers import PROVIDER_CLASSES, AnthropicProvider, OpenAIProvider, anthropic, build_providers, openai
from bot.providers.http import FetchCancelled, FetchSession, JsonClient, KeyAuth, ProviderStyle
from bot.providers.paging import fetch_all, last_id_cursor
from bot.providers.windows import day_chunks, day_of_timestamp, run_all
from bot.simulator import ANTHROPIC_KEY, OPENAI_KEY, Simulator
from tests.scripted_server import Reply, ScriptedServer

KEY = "sk-ant-admin01-test-secret-value"
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC).timestamp()
ANTHROPIC_ERROR = {
    "type": "error",
    "error": {"type": "invalid_request_error", "message": "limit: must be at most 31"},
    "request_id": "req_body_1",
}


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as srv:
        yield srv


@pytest.fixture
def sleeps() -> list[float]:
    return []


def make_client(
    server: ScriptedServer,
    sleeps: list[float],
    style: ProviderStyle = anthropic.STYLE,
    *,
    timeout: float = 5.0,
    header: str = "x-api-key",
) -> JsonClient:
    return JsonClient(
        style,
        server.url,
        KeyAuth(header, KEY),
        timeout=timeout,
        sleep=sleeps.append,
        now=lambda: NOW,
        rng=random.Random(7),
    )


@pytest.fixture
def client(server: ScriptedServer, sleeps: list[float]) -> Iterator[JsonClient]:
    c = make_client(server, sleeps)
    yield c
    c.close()


def test_get_sends_key_header_and_repeated_params_and_counts(server: ScriptedServer, client: JsonClient) -> None:
    server.route("/v1/x", Reply(200, {"data": [], "has_more": False}))
    session = FetchSession()
    body = client.get_json("/v1/x", [("group_by[]", "model"), ("group_by[]", "workspace_id"), ("a", "b=c")], session)
    assert body == {"data": [], "has_more": False}
    assert session.requests == 1
    (seen,) = server.requests
    assert seen.pairs == [("group_by[]", "model"), ("group_by[]", "workspace_id"), ("a", "b=c")]
    assert seen.headers["x-api-key"] == KEY
    assert "authorization" not in seen.headers
    assert KEY not in repr(client._client.headers) and KEY not in repr(KeyAuth("x-api-key", KEY))


@pytest.mark.parametrize(
    ("headers", "expected_sleep"),
    [
        ({"retry-after": "2"}, 2.0),
        ({"retry-after": "0"}, 0.0),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),
        ({"retry-after": format_datetime(datetime.fromtimestamp(NOW + 30, UTC), usegmt=True)}, 30.0),
    ],
)
def test_429_waits_as_told_then_succeeds(
    server: ScriptedServer, client: JsonClient, sleeps: list[float], headers: dict[str, str], expected_sleep: float
) -> None:
    server.route("/v1/x", Reply(429, ANTHROPIC_ERROR, headers), Reply(200, {"ok": True}))
    session = FetchSession()
    assert client.get_json("/v1/x", [], session) == {"ok": True}
    assert sleeps == [expected_sleep]
    assert session.requests == 2


def test_429_asking_for_longer_than_the_cap_fails_at_once(
    server: ScriptedServer, client: JsonClient, sleeps: list[float]
) -> None:
    server.route("/v1/x", Reply(429, ANTHROPIC_ERROR, {"retry-after": "3600", "request-id": "req_429"}))
    with pytest.raises(ProviderHTTPError) as err:
        client.get_json("/v1/x", [], FetchSession())
    assert err.value.status == 429
    assert str(err.value) == (
        "Anthropic answered HTTP 429 for /v1/x: invalid_request_error: limit: must be at most 31 (request id "
        "req_429). It is rate limiting this organization: wait a few minutes and run `aispend sync` again."
    )
    assert sleeps == []


def test_5xx_and_529_back_off_exponentially_with_jitter(
    server: ScriptedServer, client: JsonClient, sleeps: list[float]
) -> None:
    server.route(
        "/v1/x", Reply(500), Reply(502, "<html>bad gateway</html>"), Reply(503), Reply(529), Reply(200, {"ok": 1})
    )
    session = FetchSession()
    assert client.get_json("/v1/x", [], session) == {"ok": 1}
    assert session.requests == 5
    assert len(sleeps) == 4
    for waited, base in zip(sleeps, [0.5, 1.0, 2.0, 4.0], strict=True):
        assert 0.75 * base <= waited <= base


def test_408_409_504_are_retried(server: ScriptedServer, client: JsonClient, sleeps: list[float]) -> None:
    server.route("/v1/x", Reply(408), Reply(409), Reply(504), Reply(200, {"ok": 1}))
    assert client.get_json("/v1/x", [], FetchSession()) == {"ok": 1}
    assert len(sleeps) == 3


def test_persistent_5xx_gives_up_after_five_attempts_with_the_api_message(
    server: ScriptedServer, client: JsonClient, sleeps: list[float]
) -> None:
    overloaded = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
    server.route("/v1/x", Reply(529, overloaded, {"request-id": "req_abc"}))
    session = FetchSession()
    with pytest.raises(ProviderHTTPError) as err:
        client.get_json("/v1/x", [], session)
    assert (err.value.status, err.value.provider, session.requests, len(sleeps)) == (529, "anthropic", 5, 4)
    assert str(err.value) == (
        "Anthropic answered HTTP 529 for /v1/x: overloaded_error: Overloaded (request id req_abc). It is having "
        "problems: run `aispend sync` again later (status: https://status.anthropic.com)."
    )


def test_x_should_retry_false_is_honoured(server: ScriptedServer, client: JsonClient, sleeps: list[float]) -> None:
    server.route("/v1/x", Reply(500, {"error": "boom"}, {"x-should-retry": "false"}))
    with pytest.raises(ProviderHTTPError) as err:
        client.get_json("/v1/x", [], FetchSession())
    assert len(server.requests) == 1 and sleeps == []
    assert "HTTP 500 for /v1/x: boom." in str(err.value)


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        (Reply(400, ANTHROPIC_ERROR), "invalid_request_error: limit: must be at most 31 (request id req_body_1)"),
        (
            Reply(400, {"error": {"message": "bad group_by", "type": "invalid_request_error", "param": None}}),
            "invalid_request_error: bad group_by",
        ),
        (Reply(400, {"error": "You have insufficient permissions"}), "You have insufficient permissions"),
        (Reply(400, "<html><body><h1>400 Bad   Request</h1></body></html>"), "400 Bad Request"),
        (Reply(400, b""), "Bad Request"),
        (Reply(400, {"error": "x"}, {"x-request-id": "req_hdr"}), "x (request id req_hdr)"),
    ],
)
def test_client_errors_are_not_retried_and_quote_the_api(
    server: ScriptedServer, client: JsonClient, sleeps: list[float], reply: Reply, message: str
) -> None:
    server.route("/v1/x", reply)
    with pytest.raises(ProviderHTTPError) as err:
        client.get_json("/v1/x", [], FetchSession())
    assert str(err.value) == (
        f"Anthropic answered HTTP 400 for /v1/x: {message}. It refused a request aispend sent: report this, "
        "with the request id, as an aispend bug."
    )
    assert (err.value.status, len(server.requests), sleeps) == (400, 1, [])


def test_404_points_at_the_base_url_variable(server: ScriptedServer, client: JsonClient) -> None:
    with pytest.raises(ProviderHTTPError) as err:
        client.get_json("/v1/nowhere", [], FetchSession())
    assert str(err.value).endswith(f"Check ANTHROPIC_BASE_URL ({server.url}); it must point at the Anthropic API.")


def test_redirects_are_not_followed(server: ScriptedServer, client: JsonClient) -> None:
    server.route("/v1/x", Reply(301, "", {"location": "https://elsewhere.example/v1/x"}))
    with pytest.raises(ProviderHTTPError) as err:
        client.get_json("/v1/x", [], FetchSession())
    assert str(err.value) == (
        "Anthropic answered HTTP 301 for /v1/x: Moved Permanently. Set ANTHROPIC_BASE_URL to the address it "
        "redirects to; aispend never follows redirects."
    )
    assert server.paths() == ["/v1/x"]


def test_timeout_is_retried(server: ScriptedServer, sleeps: list[float]) -> None:
    server.route("/v1/x", Reply(200, {"late": True}, delay=1.0), Reply(200, {"ok": True}))
    client = make_client(server, sleeps, timeout=0.2)
    try:
        session = FetchSession()
        assert client.get_json("/v1/x", [], session) == {"ok": True}
        assert session.requests == 2 and len(sleeps) == 1
    finally:
        client.close()


def test_connection_reset_then_success(server: ScriptedServer, client: JsonClient, sleeps: list[float]) -> None:
    server.route("/v1/x", Reply(reset=True), Reply(reset=True), Reply(200, {"ok": True}))
    assert client.get_json("/v1/x", [], FetchSession()) == {"ok": True}
    assert len(server.requests) == 3 and len(sleeps) == 2


def test_persistent_reset_is_a_network_error_naming_host_and_variable(
    server: ScriptedServer, client: JsonClient, sleeps: list[float]
) -> None:
    server.route("/v1/x", Reply(reset=True))
    with pytest.raises(ProviderNetworkError) as err:
        client.get_json("/v1/x", [], FetchSession())
    text = str(err.value)
    assert text.startswith(f"Could not get an answer from Anthropic at {server.url} after 5 attempts (")
    assert text.endswith("Check this host's network access to it, or ANTHROPIC_BASE_URL if you set it.")
    assert len(server.requests) == 5 and len(sleeps) == 4


def test_refused_connection_is_a_network_error(sleeps: list[float]) -> None:
    with ScriptedServer() as srv:
        url = srv.url
    client = JsonClient(anthropic.STYLE, url, KeyAuth("x-api-key", KEY), sleep=sleeps.append)
    try:
        with pytest.raises(ProviderNetworkError, match=r"after 5 attempts \(ConnectError"):
            client.get_json("/v1/x", [], FetchSession())
    finally:
        client.close()


@pytest.mark.parametrize(
    ("reply", "detail"),
    [
        (
            Reply(200, "<html>maintenance</html>", {"content-type": "text/html"}),
            "the HTTP 200 body is not valid JSON (text/html)",
        ),
        (Reply(200, '{"data": [{"starting_at": "2026-'), "the HTTP 200 body is not valid JSON (application/json)"),
        (Reply(200, [1, 2]), "the body is a JSON list, not an object"),
        (
            Reply(200, {"type": "error", "error": {"type": "api_error", "message": "Internal"}}),
            "HTTP 200 carried an error: api_error: Internal",
        ),
    ],
)
def test_bad_200_bodies_are_data_errors(server: ScriptedServer, client: JsonClient, reply: Reply, detail: str) -> None:
    server.route("/v1/x", reply)
    with pytest.raises(ProviderDataError) as err:
        client.get_json("/v1/x", [], FetchSession())
    assert str(err.value) == (
        f"Anthropic sent an unexpected response from /v1/x: {detail}. Nothing was stored; run `aispend sync` "
        "again later, and report it if it keeps happening."
    )


def test_openai_401_is_retried_once_then_explains_the_key(server: ScriptedServer, sleeps: list[float]) -> None:
    scopes = {"error": {"message": "Missing scopes: api.usage.read.", "type": "invalid_request_error"}}
    server.route("/v1/organization/costs", Reply(401, scopes))
    client = make_client(server, sleeps, openai.STYLE, header="authorization")
    try:
        with pytest.raises(ProviderAuthError) as err:
            client.get_json("/v1/organization/costs", [], FetchSession())
    finally:
        client.close()
    assert len(server.requests) == 2 and sleeps == [2.0]
    assert str(err.value) == (
        "OpenAI refused OPENAI_ADMIN_KEY (HTTP 401: invalid_request_error: Missing scopes: api.usage.read.). The "
        "Usage and Costs API needs an Admin key (sk-admin-…) created by an organization owner, not a project or "
        "service-account key; a Restricted key is fine with Usage: Read and Organization Administration: Read, at "
        "https://platform.openai.com/settings/organization/admin-keys. Put it in OPENAI_ADMIN_KEY."
    )


def test_openai_spurious_401_recovers(server: ScriptedServer, sleeps: list[float]) -> None:
    server.route("/v1/x", Reply(401, {"error": "Missing scopes"}), Reply(200, {"ok": True}))
    client = make_client(server, sleeps, openai.STYLE, header="authorization")
    try:
        assert client.get_json("/v1/x", [], FetchSession()) == {"ok": True}
    finally:
        client.close()


def test_anthropic_401_403_are_not_retried(server: ScriptedServer, client: JsonClient, sleeps: list[float]) -> None:
    server.route("/v1/x", Reply(403, {"type": "error", "error": {"type": "permission_error", "message": "no"}}))
    with pytest.raises(ProviderAuthError, match=r"^Anthropic refused ANTHROPIC_ADMIN_KEY \(HTTP 403: permission_error"):
        client.get_json("/v1/x", [], FetchSession())
    assert len(server.requests) == 1 and sleeps == []


def test_key_never_reaches_messages_or_debug_logs(
    server: ScriptedServer, client: JsonClient, caplog: pytest.LogCaptureFixture
) -> None:
    echo = {"type": "error", "error": {"type": "authentication_error", "message": f"invalid x-api-key {KEY}"}}
    server.route("/v1/ok", Reply(200, {"data": []}))
    server.route("/v1/echo", Reply(401, echo))
    server.route("/v1/bad", Reply(400, {"error": f"bad key {KEY}"}))
    with caplog.at_level(logging.DEBUG):
        client.get_json("/v1/ok", [], FetchSession())
        messages = []
        for path in ("/v1/echo", "/v1/bad"):
            with pytest.raises((ProviderAuthError, ProviderHTTPError)) as err:
                client.get_json(path, [], FetchSession())
            messages.append(str(err.value))
    assert any(r.name.startswith("httpcore") for r in caplog.records)  # the debug trace really ran
    assert all(KEY not in m and "********" in m for m in messages)
    assert KEY not in caplog.text and KEY not in "".join(str(r.args) for r in caplog.records)


# --- paging -------------------------------------------------------------------------------------------------


def page(data: list[object], has_more: bool, cursor: str | None = None) -> dict[str, object]:
    return {"data": data, "has_more": has_more, "next_page": cursor}


def test_fetch_all_follows_cursors_with_identical_params(server: ScriptedServer, client: JsonClient) -> None:
    server.route(
        "/v1/r", Reply(200, page([1, 2], True, "c1=")), Reply(200, page([3], True, "c2")), Reply(200, page([4], False))
    )
    session = FetchSession()
    params = [("limit", "31"), ("group_by[]", "model")]
    assert fetch_all(client, "/v1/r", params, session) == [1, 2, 3, 4]
    assert [r.pairs for r in server.requests] == [params, [*params, ("page", "c1=")], [*params, ("page", "c2")]]
    assert session.requests == 3


def test_list_paging_uses_last_id(server: ScriptedServer, client: JsonClient) -> None:
    first = {"data": [{"id": "a"}, {"id": "b"}], "has_more": True, "first_id": "a", "last_id": "b"}
    second = {"data": [{"id": "c"}], "has_more": True, "last_id": None}  # falls back to the last item's id
    third = {"data": [], "has_more": False, "last_id": None}
    server.route("/v1/w", Reply(200, first), Reply(200, second), Reply(200, third))
    items = fetch_all(
        client, "/v1/w", [("limit", "2")], FetchSession(), cursor_param="after_id", cursor_of=last_id_cursor
    )
    assert items == [{"id": "a"}, {"id": "b"}, {"id": "c"}]
    assert [r.pairs for r in server.requests] == [
        [("limit", "2")],
        [("limit", "2"), ("after_id", "b")],
        [("limit", "2"), ("after_id", "c")],
    ]


@pytest.mark.parametrize(
    ("replies", "detail"),
    [
        ([page([1], True, None)], "page 1 (ctx) says has_more but gives no cursor"),
        ([page([1], True, "")], "page 1 (ctx) says has_more but gives no cursor"),
        ([page([1], True, "same"), page([2], True, "same")], "page 2 (ctx) repeats the cursor of an earlier page"),
        (
            [page([1], True, "a"), page([2], True, "b"), page([3], True, "a")],
            "page 3 (ctx) repeats the cursor of an earlier page",
        ),
        ([{"has_more": False}], "page 1 (ctx) has no `data` list"),
        ([{"data": {"x": 1}, "has_more": False}], "page 1 (ctx) has no `data` list"),
        ([{"data": []}], "page 1 (ctx) has no `has_more` true/false"),
        ([{"data": [], "has_more": "false"}], "page 1 (ctx) has no `has_more` true/false"),
    ],
)
def test_fetch_all_fails_closed(
    server: ScriptedServer, client: JsonClient, replies: list[dict[str, object]], detail: str
) -> None:
    server.route("/v1/r", *(Reply(200, r) for r in replies))
    with pytest.raises(ProviderDataError) as err:
        fetch_all(client, "/v1/r", [], FetchSession(), context="ctx")
    assert str(err.value).startswith(f"Anthropic sent an unexpected response from /v1/r: {detail}. Nothing was stored")


def test_endless_listing_stops_at_the_page_bound(server: ScriptedServer, client: JsonClient) -> None:
    counter = iter(range(10**6))
    server.route("/v1/r", lambda seen: Reply(200, page([1], True, f"c{next(counter)}")))
    session = FetchSession()
    with pytest.raises(ProviderDataError, match="did not end within 20 pages"):
        fetch_all(client, "/v1/r", [], session, max_pages=20)
    assert session.requests == 20


# --- windows and concurrency ---------------------------------------------------------------------------------


def test_day_chunks_cover_the_window_with_the_fewest_chunks() -> None:
    start = date(2025, 10, 19)
    chunks = day_chunks(start, date(2026, 11, 23), 31)
    assert (date(2026, 11, 23) - start).days == 400
    assert len(chunks) == 13
    assert chunks[0] == (start, date(2025, 11, 19))
    assert chunks[-1] == (date(2026, 10, 26), date(2026, 11, 23))
    assert all(a[1] == b[0] for a, b in itertools.pairwise(chunks))
    assert len(day_chunks(start, date(2026, 11, 23), 180)) == 3
    assert day_chunks(start, start, 31) == []


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-20T00:00:00Z", date(2026, 11, 20)),
        ("2026-11-20T01:00:00+01:00", date(2026, 11, 20)),
        (1763596800, date(2025, 11, 20)),
        ("2026-11-20T00:00:01Z", "bucket start '2026-11-20T00:00:01Z' is not a UTC midnight"),
        ("2026-11-20T00:00:00", "bucket start '2026-11-20T00:00:00' has no time zone"),
        ("yesterday", "bucket start 'yesterday' is not an RFC 3339 time"),
        (1763596860, "bucket start 1763596860 is not a UTC midnight"),
        (None, "bucket start None is not a timestamp"),
        ("2026-11-25T00:00:00Z", "bucket for 2026-11-25 is outside the requested days 2025-11-01..2026-11-21"),
    ],
)
def test_day_of_timestamp(value: object, expected: object) -> None:
    assert day_of_timestamp(value, date(2025, 11, 1), date(2026, 11, 22)) == expected


def test_run_all_returns_results_in_order() -> None:
    def square(i: int) -> Callable[[FetchSession], int]:
        return lambda session: i * i

    jobs = [square(i) for i in range(10)]
    assert run_all(jobs, FetchSession(), 4) == [i * i for i in range(10)]


def test_run_all_stops_siblings_and_raises_the_real_failure() -> None:
    started = threading.Event()

    def waits_for_cancel(session: FetchSession) -> int:
        started.set()
        if not session.cancelled.wait(5):
            return 0
        raise FetchCancelled

    def fails(session: FetchSession) -> int:
        started.wait(5)
        raise ProviderDataError("anthropic", "boom")

    never_ran: list[int] = []

    def later(session: FetchSession) -> int:
        never_ran.append(1)
        return 1

    jobs: list[Callable[[FetchSession], int]] = [waits_for_cancel, fails, *[later] * 5]
    session = FetchSession()
    with pytest.raises(ProviderDataError, match="boom"):
        run_all(jobs, session, 2)
    assert session.cancelled.is_set()
    assert never_ran == []


# --- registry ------------------------------------------------------------------------------------------------


def test_build_providers_makes_one_per_configured_key() -> None:
    registry = PROVIDER_CLASSES
    assert registry == {"anthropic": AnthropicProvider, "openai": OpenAIProvider}
    assert build_providers(Settings()) == []
    today = date(2026, 11, 22)
    with Simulator(today=today) as sim:
        settings = Settings(
            anthropic_admin_key=Secret(ANTHROPIC_KEY),
            openai_admin_key=Secret(OPENAI_KEY),
            anthropic_base_url=sim.anthropic_url,
            openai_base_url=sim.openai_url,
        )
        providers = build_providers(settings, timeout=5.0, sleep=lambda s: None, max_workers=2)
        try:
            assert [(p.name, p.key_variable, type(p)) for p in providers] == [
                ("anthropic", "ANTHROPIC_ADMIN_KEY", AnthropicProvider),
                ("openai", "OPENAI_ADMIN_KEY", OpenAIProvider),
            ]
            totals = [sum(c.amount_nano for c in p.fetch(today, today + timedelta(days=1)).costs) for p in providers]
        finally:
            for p in providers:
                p.close()
        assert totals == [
            sim.org.expected_cost_nano(n, today, today + timedelta(days=1)) for n in ("anthropic", "openai")
        ]
    only_openai = build_providers(Settings(openai_admin_key=Secret(OPENAI_KEY)))
    assert [p.name for p in only_openai] == ["openai"]
    only_openai[0].close()
