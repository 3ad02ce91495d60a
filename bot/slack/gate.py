"""Acks before answers: the HTTP layer counts Slack requests in flight, and answers wait for a quiet moment.

Slack waits at most 3 s for an ack, but a response_url stays valid for 30 minutes. Under a burst, the answer
work (report, blocks, the POST to the response_url) competes with the acks for the one interpreter lock, so the
work pool waits, briefly and boundedly, until no request is in flight and, after a burst, none has arrived or
been acked for `quiet` seconds. The quiet spell matters because the event loop acks one request at a time:
between two of them nothing is in flight, yet the next is already waiting in its socket. A lone request (no
traffic within `quiet` before it) is not a burst, so its answer goes as soon as its ack is sent.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

QUIET_SECONDS = 0.02  # a burst's requests reach the loop closer together than this; nobody notices the wait


class AckGate:
    def __init__(self, quiet: float = QUIET_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self._pending = 0
        # the latest arrival or ack sent: when the loop is slow to ack, the spell must count from the ack, or
        # answers would start while the burst is still being read
        self._last_seen = float("-inf")
        self._run = 0  # arrivals in the current burst: each within `quiet` of the traffic before
        self._quiet = quiet
        self._clock = clock
        self._changed = threading.Condition()

    def enter(self) -> None:
        with self._changed:
            now = self._clock()
            self._run = self._run + 1 if now - self._last_seen < self._quiet else 1
            self._pending += 1
            self._last_seen = now

    def leave(self) -> None:
        with self._changed:
            self._pending -= 1
            self._last_seen = self._clock()
            if self._pending <= 0:
                self._changed.notify_all()

    @property
    def pending(self) -> int:
        return self._pending

    def hold(self, now: float) -> float | None:
        """How much longer answers should wait at `now`: None while a request is in flight, 0.0 once it is quiet."""
        if self._pending > 0:
            return None
        if self._run < 2:
            return 0.0
        return max(0.0, self._last_seen + self._quiet - now)

    def wait_idle(self, max_wait: float) -> None:
        """Return once nothing is in flight and the quiet spell has passed, or after `max_wait` seconds."""
        deadline = self._clock() + max_wait
        with self._changed:
            while True:
                now = self._clock()
                hold = self.hold(now)
                if hold == 0.0 or now >= deadline:
                    return
                self._changed.wait(deadline - now if hold is None else min(hold, deadline - now))
