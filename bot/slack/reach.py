"""Reaching Slack at start-up: wait out a network or Slack outage with a capped backoff, and stop at a signal.

A service started before the network is up, behind a proxy that is down, or while Slack has an outage should
neither die with a traceback nor give up: systemd would restart it in a tight loop, or not at all. So each
start-up call (auth.test, opening the Socket Mode connection) is retried while the failure says Slack could not
be reached (a connection error, a timeout, HTTP 429 or 5xx), with one log sentence per wait saying what to check.
An answer that is a refusal (a revoked token) is not retried: the caller turns it into its ConfigError. The call
runs in a thread of its own, so a SIGTERM during a long connect timeout stops the bot at once.
"""

from __future__ import annotations

import http.client
import logging
import threading
import time
import urllib.error
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Generic, TypeVar

from slack_sdk.errors import SlackApiError

from bot.slack.guard import origin

log = logging.getLogger(__name__)
T = TypeVar("T")
POLL_SECONDS = 0.1
_SDK_LOG = "slack_sdk.web.base_client"


@dataclass(frozen=True)
class Backoff:
    first: float = 1.0
    cap: float = 60.0  # under systemd the bot keeps trying, about once a minute, until Slack answers or it is stopped

    def delays(self) -> Iterator[float]:
        delay = self.first
        while True:
            yield delay
            delay = min(self.cap, delay * 2)


DEFAULT_BACKOFF = Backoff()


def unreachable(err: BaseException) -> str | None:
    """Why Slack could not be reached, in a few words, if `err` says so; None for an answer to act on."""
    if isinstance(err, SlackApiError):
        status = getattr(err.response, "status_code", 0)
        return f"HTTP {status}" if status == 429 or status >= 500 else None
    if isinstance(err, urllib.error.URLError) and not isinstance(err, urllib.error.HTTPError):
        reason = err.reason
        return (reason.strerror or type(reason).__name__) if isinstance(reason, OSError) else str(reason)
    if isinstance(err, OSError):
        return err.strerror or type(err).__name__
    if isinstance(err, http.client.HTTPException):
        return type(err).__name__
    return None


def reach(
    call: Callable[[], T],
    *,
    api_url: str,
    stopping: Callable[[], bool],
    backoff: Backoff = DEFAULT_BACKOFF,
) -> T | None:
    """`call()`'s result once Slack answers it; None if `stopping()` came true first. Other errors propagate."""
    where = origin(api_url)
    shown = f"{where[0]}://{where[1]}:{where[2]}" if where else "SLACK_API_URL"
    delays = backoff.delays()
    attempts = 0
    while True:
        attempts += 1
        outcome = _Outcome(call)
        if not outcome.wait(stopping):
            return None
        if outcome.error is None:
            if attempts > 1:
                log.info("Reached Slack at %s after %d attempts", shown, attempts)
            return outcome.value
        reason = unreachable(outcome.error)
        if reason is None:
            raise outcome.error
        delay = next(delays)
        log.warning(
            "Cannot reach Slack at %s (%s), so trying again in %s: check this host's network connection, "
            "SLACK_API_URL and any HTTPS_PROXY setting.",
            shown,
            reason,
            _seconds(delay),
        )
        if _sleep(delay, stopping):
            return None


class _Outcome(Generic[T]):
    """`call()` in a daemon thread: a connect timeout must not hold up a SIGTERM (the thread is left to die)."""

    def __init__(self, call: Callable[[], T]) -> None:
        self.value: T | None = None
        self.error: BaseException | None = None
        self._call = call
        self._thread = threading.Thread(target=self._run, name="aispend-reach-slack", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            with _QuietSdk():
                self.value = self._call()
        except BaseException as err:  # handed to the caller's thread, which decides
            self.error = err

    def wait(self, stopping: Callable[[], bool]) -> bool:
        """True once the call has finished; False if `stopping()` came true first."""
        while self._thread.is_alive():
            if stopping():
                return False
            self._thread.join(POLL_SECONDS)
        return True


def _sleep(seconds: float, stopping: Callable[[], bool]) -> bool:
    """Sleep-poll (a signal handler must not meet a lock); True if `stopping()` came true."""
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        if stopping():
            return True
        time.sleep(min(POLL_SECONDS, left))
    return stopping()


def _seconds(delay: float) -> str:
    return f"{delay:.0f} s" if delay >= 1 else f"{delay:.2f} s"


class _QuietSdk(logging.Filter):
    """While a start-up call runs, slack_sdk's own "Failed to send a request" error is left out: the warning above
    says the same once, with what to check."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (
            record.name == _SDK_LOG and record.getMessage().startswith("Failed to send a request to Slack API server")
        )

    def __enter__(self) -> None:
        logging.getLogger(_SDK_LOG).addFilter(self)

    def __exit__(self, *exc: object) -> None:
        logging.getLogger(_SDK_LOG).removeFilter(self)
