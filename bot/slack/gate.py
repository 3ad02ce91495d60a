"""Acks before answers: a count of Slack requests not yet answered by the HTTP layer.

Slack waits at most 3 s for an ack, but a response_url stays valid for 30 minutes. Under a burst, the answer
work (report, blocks, the POST to the response_url) competes with the acks for the one interpreter lock, so the
work pool waits, briefly and boundedly, while acks are still in flight.
"""

from __future__ import annotations

import threading
import time


class AckGate:
    def __init__(self) -> None:
        self._pending = 0
        self._idle = threading.Condition()

    def enter(self) -> None:
        with self._idle:
            self._pending += 1

    def leave(self) -> None:
        with self._idle:
            self._pending -= 1
            if self._pending <= 0:
                self._idle.notify_all()

    @property
    def pending(self) -> int:
        return self._pending

    def wait_idle(self, max_wait: float) -> None:
        """Return when no request awaits its ack, or after `max_wait` seconds, whichever comes first."""
        deadline = time.monotonic() + max_wait
        with self._idle:
            while self._pending > 0:
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                self._idle.wait(left)
