"""The retrying JSON client both provider modules share, and the cursor pager over its responses.

One `JsonClient` (one `httpx.Client`, thread-safe, connection-pooled) per provider. It owns the HTTP
policy: bounded exponential backoff with jitter for 408/409/429/5xx/529 and transport failures, the
server's `retry-after`/`retry-after-ms` when given, and the mapping of every failure onto the
bot.errors tree with a message that names the fix. The key travels only inside `KeyAuth`, which adds the
header per request, so it is never part of `client.headers`, a message or a log line.

Logging, checked for httpx 0.28 / httpcore 1.0: httpx logs one INFO line per request (method, URL,
status); httpcore's DEBUG trace logs the request as `<Request [b'GET']>` (no headers) and the *response*
headers only. Neither ever prints request headers, so the key cannot reach a log (tested).
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from bot.errors import ProviderAuthError, ProviderDataError, ProviderHTTPError, ProviderNetworkError
from bot.providers.jsonstream import NotAnObject, PageError, decode_page

Params = Sequence[tuple[str, str]]  # ordered pairs, so array params repeat their key
JsonObject = dict[str, Any]

RETRY_STATUSES = frozenset({408, 409, 429, 500, 502, 503, 504, 529})
MAX_ATTEMPTS = 5
BACKOFF_START = 0.5
BACKOFF_MAX = 8.0
RETRY_AFTER_MAX = 60.0  # a server asking for longer is not a blip; fail and let the next sync try
UNAUTHORIZED_RETRY_DELAY = 2.0


class KeyAuth(httpx.Auth):
    """Adds the credential header to each request; its repr never shows the key."""

    def __init__(self, header: str, value: str) -> None:
        self._header = header
        self._value = value

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers[self._header] = self._value
        yield request

    def __repr__(self) -> str:
        return f"KeyAuth({self._header!r}, '********')"

    def redact(self, text: str) -> str:
        return text.replace(self._value, "********") if self._value else text


@dataclass(frozen=True, slots=True)
class ApiError:
    """What a non-2xx answer said, in whichever envelope the provider used."""

    status: int
    type: str
    code: str
    message: str
    request_id: str


class FetchSession:
    """One fetch's shared state across worker threads: the request count and a stop flag."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests = 0
        self.cancelled = threading.Event()

    def count(self) -> None:
        with self._lock:
            self._requests += 1

    @property
    def requests(self) -> int:
        with self._lock:
            return self._requests


class RequestRefused(Exception):
    """A refusal the caller asked to handle itself (e.g. a beta API this organization lacks); carries the answer."""

    def __init__(self, error: ApiError) -> None:
        super().__init__(error.message)
        self.error = error


class FetchCancelled(Exception):
    """Raised in a worker whose sibling already failed, so no further requests go out."""


@dataclass(frozen=True, slots=True)
class ProviderStyle:
    """The per-provider wording and quirks the shared client needs."""

    name: str  # "anthropic"
    display: str  # "Anthropic"
    base_variable: str  # "ANTHROPIC_BASE_URL"
    status_page: str
    auth_message: Callable[[ApiError], str]
    auth_codes: frozenset[str] = frozenset()  # error codes that mean "wrong account/key type" on any status
    retry_unauthorized: bool = False  # OpenAI documents intermittent spurious 401s


class JsonClient:
    def __init__(
        self,
        style: ProviderStyle,
        base_url: str,
        auth: KeyAuth,
        *,
        headers: dict[str, str] | None = None,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], float] = time.time,
        rng: random.Random | None = None,
        max_attempts: int = MAX_ATTEMPTS,
    ) -> None:
        self.style = style
        self.base_url = base_url.rstrip("/")
        self._auth = auth
        self._sleep = sleep
        self._now = now
        self._rng = rng or random.Random()
        self._max_attempts = max_attempts
        self._client = httpx.Client(
            base_url=self.base_url,
            auth=auth,
            headers={"accept": "application/json", "user-agent": "aispend", **(headers or {})},
            timeout=timeout,
            follow_redirects=False,  # a redirect could carry the key to another host
        )

    def close(self) -> None:
        self._client.close()

    def get_json(
        self,
        path: str,
        params: Params,
        session: FetchSession,
        on_item: Callable[[Any], None] | None = None,
        refused: Callable[[ApiError], bool] | None = None,
    ) -> JsonObject:
        """The decoded JSON object at `path`, after retries; raises a ProviderError otherwise.

        With `on_item`, a successful body is decoded as it streams in: each item of its `data` list goes to
        on_item as soon as it is complete, and the object returned has an empty `data` list. A big report page
        then never sits in memory whole (issue 6). A connection that breaks after items were handed over is
        not retried (they would be handed over twice): it fails the fetch. An error answer that `refused` accepts
        raises RequestRefused instead of the usual error, before any retry.
        """
        retried_unauthorized = False
        attempt = 0
        delivered = 0

        def deliver(item: Any) -> None:
            nonlocal delivered
            delivered += 1
            assert on_item is not None
            on_item(item)

        while True:
            attempt += 1
            if session.cancelled.is_set():
                raise FetchCancelled
            session.count()
            try:
                if on_item is None:
                    response = self._client.get(path, params=list(params))
                else:
                    with self._client.stream("GET", path, params=list(params)) as response:
                        if response.is_success:
                            return self._decode_stream(path, response, deliver)
                        response.read()
            except httpx.TransportError as exc:
                if delivered or attempt >= self._max_attempts:
                    raise self._network_error(exc, attempt) from None
                self._sleep(self._backoff(attempt))
                continue
            if response.is_success:
                return self._decode(path, response)
            error = self._parse_error(response)
            if refused is not None and refused(error):
                raise RequestRefused(error)
            if response.status_code in (401, 403) or error.code in self.style.auth_codes:
                if response.status_code == 401 and self.style.retry_unauthorized and not retried_unauthorized:
                    retried_unauthorized = True
                    self._sleep(UNAUTHORIZED_RETRY_DELAY)
                    continue
                raise ProviderAuthError(self.style.name, self._auth.redact(self.style.auth_message(error)))
            if self._should_retry(response) and attempt < self._max_attempts:
                delay = self._retry_delay(response, attempt)
                if delay is not None:
                    self._sleep(delay)
                    continue
            raise self._http_error(path, error)

    def _should_retry(self, response: httpx.Response) -> bool:
        hint = str(response.headers.get("x-should-retry", "")).lower()
        if hint in ("true", "false"):
            return hint == "true"
        return response.status_code in RETRY_STATUSES or response.status_code >= 500

    def _backoff(self, attempt: int) -> float:
        base: float = min(BACKOFF_START * 2.0 ** (attempt - 1), BACKOFF_MAX)
        return base * (1 - 0.25 * self._rng.random())

    def _retry_delay(self, response: httpx.Response, attempt: int) -> float | None:
        """The server's requested wait if it gave one (None if too long to wait for), else backoff."""
        asked = retry_after_seconds(response.headers, self._now())
        if asked is None:
            return self._backoff(attempt)
        return asked if asked <= RETRY_AFTER_MAX else None

    def _decode(self, path: str, response: httpx.Response) -> JsonObject:
        try:
            body = response.json()
        except ValueError:
            kind = response.headers.get("content-type", "no content type").split(";")[0]
            raise self.data_error(path, f"the HTTP {response.status_code} body is not valid JSON ({kind})") from None
        if not isinstance(body, dict):
            raise self.data_error(path, f"the body is a JSON {type(body).__name__}, not an object")
        if "error" in body and "data" not in body:
            error = _error_fields(body, response)
            raise self.data_error(path, f"HTTP {response.status_code} carried an error: {error.message}")
        return body

    def _decode_stream(self, path: str, response: httpx.Response, on_item: Callable[[Any], None]) -> JsonObject:
        try:
            page = decode_page(response.iter_text(), on_item)
        except NotAnObject as err:
            raise self.data_error(path, str(err)) from None
        except PageError:
            kind = response.headers.get("content-type", "no content type").split(";")[0]
            raise self.data_error(path, f"the HTTP {response.status_code} body is not valid JSON ({kind})") from None
        body = page.fields
        if "error" in body and page.items is None and "data" not in body:
            error = _error_fields(body, response)
            raise self.data_error(path, f"HTTP {response.status_code} carried an error: {error.message}")
        if page.items is not None:
            body["data"] = []  # its items went to on_item
        return body

    def _parse_error(self, response: httpx.Response) -> ApiError:
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict):
            return _error_fields(body, response)
        text = _short_text(response.text) or response.reason_phrase
        return ApiError(response.status_code, "", "", text, _request_id(response, {}))

    def data_error(self, path: str, detail: str) -> ProviderDataError:
        """A 200 we cannot trust: fail the sync rather than store a wrong or partial total."""
        return ProviderDataError(
            self.style.name,
            self._auth.redact(
                f"{self.style.display} sent an unexpected response from {path}: {detail}. Nothing was stored; "
                "run `aispend sync` again later, and report it if it keeps happening."
            ),
        )

    def _http_error(self, path: str, error: ApiError) -> ProviderHTTPError:
        style = self.style
        rid = f" (request id {error.request_id})" if error.request_id else ""
        if error.status == 429:
            advice = "It is rate limiting this organization: wait a few minutes and run `aispend sync` again."
        elif error.status >= 500:
            advice = f"It is having problems: run `aispend sync` again later (status: {style.status_page})."
        elif 300 <= error.status < 400:
            advice = f"Set {style.base_variable} to the address it redirects to; aispend never follows redirects."
        elif error.status == 404:
            advice = f"Check {style.base_variable} ({self.base_url}); it must point at the {style.display} API."
        else:
            advice = "It refused a request aispend sent: report this, with the request id, as an aispend bug."
        text = f"{style.display} answered HTTP {error.status} for {path}: {error.message}{rid}. {advice}"
        return ProviderHTTPError(style.name, self._auth.redact(text), error.status)

    def _network_error(self, exc: httpx.TransportError, attempts: int) -> ProviderNetworkError:
        style = self.style
        reason = type(exc).__name__ + (f": {_short_text(str(exc))}" if str(exc) else "")
        text = (
            f"Could not get an answer from {style.display} at {self.base_url} after {attempts} attempts "
            f"({reason}). Check this host's network access to it, or {style.base_variable} if you set it."
        )
        return ProviderNetworkError(style.name, self._auth.redact(text))


def retry_after_seconds(headers: httpx.Headers, now: float) -> float | None:
    """Seconds the server asked us to wait (`retry-after-ms`, `retry-after` seconds or HTTP date)."""
    millis = headers.get("retry-after-ms")
    if millis is not None:
        try:
            return max(float(millis) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(when.timestamp() - now, 0.0)


def _error_fields(body: JsonObject, response: httpx.Response) -> ApiError:
    """Anthropic `{"type":"error","error":{type,message,details}}`, OpenAI `{"error":{...}}` or `{"error":"text"}`."""
    error = body.get("error")
    kind = code = message = ""
    if isinstance(error, dict):
        kind = _text(error.get("type"))
        message = _text(error.get("message"))
        details = error.get("details")
        code = _text(details.get("error_code")) if isinstance(details, dict) else ""
        code = code or _text(error.get("code"))
    elif isinstance(error, str):
        message = error
    else:
        message = _text(body.get("message"))
    message = _short_text(message) or _short_text(response.text) or response.reason_phrase
    if kind and kind not in message:
        message = f"{kind}: {message}"
    return ApiError(response.status_code, kind, code, message, _request_id(response, body))


def _request_id(response: httpx.Response, body: JsonObject) -> str:
    return response.headers.get("request-id") or response.headers.get("x-request-id") or _text(body.get("request_id"))


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""


_TAGS = re.compile(r"<[^>]*>")


def _short_text(text: str, limit: int = 300) -> str:
    flat = " ".join(_TAGS.sub(" ", text).split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
