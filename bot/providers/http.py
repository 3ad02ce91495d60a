"""The retrying JSON client both provider modules share: requests, decoding, and errors that name the fix.

One `JsonClient` (one `httpx.Client`, thread-safe, connection-pooled) per provider. It applies the HTTP
policy (bot.providers.retry): bounded exponential backoff with jitter for 408/409/429/5xx/529 and transport
failures, the server's `retry-after`/`retry-after-ms` when given; and it maps every failure (read by
bot.providers.api_errors) onto the bot.errors tree with a message that names the fix. The key travels
only inside `KeyAuth`, which adds the header per request, so it is never part of `client.headers`, a message
or a log line.

Logging, checked for httpx 0.28 / httpcore 1.0: httpx logs one INFO line per request (method, URL,
status); httpcore's DEBUG trace logs the request as `<Request [b'GET']>` (no headers) and the *response*
headers only. Neither ever prints request headers, so the key cannot reach a log (tested).
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, replace
from typing import Any

import httpx

from bot.errors import ProviderAuthError, ProviderDataError, ProviderHTTPError, ProviderNetworkError
from bot.providers.api_errors import ApiError, RequestRefused, error_fields, request_id, short_text
from bot.providers.jsonstream import NotAnObject, PageError, decode_page
from bot.providers.retry import MAX_ATTEMPTS, UNAUTHORIZED_RETRY_DELAY, backoff, retry_delay, should_retry
from bot.spill import RecordSpill

Params = Sequence[tuple[str, str]]  # ordered pairs, so array params repeat their key
JsonObject = dict[str, Any]

__all__ = ["ApiError", "FetchCancelled", "FetchSession", "JsonClient", "KeyAuth", "ProviderStyle", "RequestRefused"]


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


class FetchSession:
    """One fetch's shared state across worker threads: the request count, a stop flag, and where sealed records
    go when the caller set them aside on disk (bot.spill; None keeps them in memory)."""

    def __init__(self, spill: RecordSpill | None = None) -> None:
        self._lock = threading.Lock()
        self._requests = 0
        self.cancelled = threading.Event()
        self.spill = spill

    def count(self) -> None:
        with self._lock:
            self._requests += 1

    @property
    def requests(self) -> int:
        with self._lock:
            return self._requests


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
                self._sleep(backoff(attempt, self._rng))
                continue
            if response.is_success:
                return self._decode(path, response)
            error = self._parse_error(response)
            if refused is not None and refused(error):
                # the caller may store or show what it said: never with the key in it
                raise RequestRefused(replace(error, message=self._auth.redact(error.message)))
            if response.status_code in (401, 403) or error.code in self.style.auth_codes:
                if response.status_code == 401 and self.style.retry_unauthorized and not retried_unauthorized:
                    retried_unauthorized = True
                    self._sleep(UNAUTHORIZED_RETRY_DELAY)
                    continue
                raise ProviderAuthError(self.style.name, self._auth.redact(self.style.auth_message(error)))
            if should_retry(response) and attempt < self._max_attempts:
                delay = retry_delay(response, attempt, self._rng, self._now())
                if delay is not None:
                    self._sleep(delay)
                    continue
            raise self._http_error(path, error)

    def _decode(self, path: str, response: httpx.Response) -> JsonObject:
        try:
            body = response.json()
        except ValueError:
            kind = response.headers.get("content-type", "no content type").split(";")[0]
            raise self.data_error(path, f"the HTTP {response.status_code} body is not valid JSON ({kind})") from None
        if not isinstance(body, dict):
            raise self.data_error(path, f"the body is a JSON {type(body).__name__}, not an object")
        if "error" in body and "data" not in body:
            error = error_fields(body, response)
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
            error = error_fields(body, response)
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
            return error_fields(body, response)
        text = short_text(response.text) or response.reason_phrase
        return ApiError(response.status_code, "", "", text, request_id(response, {}))

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
        reason = type(exc).__name__ + (f": {short_text(str(exc))}" if str(exc) else "")
        text = (
            f"Could not get an answer from {style.display} at {self.base_url} after {attempts} attempts "
            f"({reason}). Check this host's network access to it, or {style.base_variable} if you set it."
        )
        return ProviderNetworkError(style.name, self._auth.redact(text))
