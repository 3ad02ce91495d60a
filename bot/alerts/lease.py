"""The alerts lease: one evaluation (thread or process) at a time records and posts, and a dead holder is no wall.

The lease is a row in SQLite (bot.store.alerts) with an expiry, renewed before every post. Its holder reads
"host:pid:thread:uuid". When it is taken, the holder's host and pid say whether it can still be alive: a holder on
this host whose process is gone (killed mid-post, crashed, OOM), or that names this process's pid but was not made
by it (an earlier process with the same pid: a container restarts as pid 1), is taken over at once and logged; a
live holder, or one on another host sharing the database, is waited for (logged) until it releases the lease or
it expires after LEASE_TTL.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.store.alerts import AlertStore

logger = logging.getLogger("aispend.alerts")

LEASE = "alerts"
LEASE_TTL = timedelta(minutes=10)
LEASE_POLL = 0.2  # seconds between attempts while another evaluation holds the lease


@dataclass(frozen=True, slots=True)
class ElapsedClock:
    """The caller's `now`, advanced by real elapsed time, so a lease renewed mid-run really moves forward."""

    start: datetime
    t0: float

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.monotonic() - self.t0)


_OURS: set[str] = set()  # every holder this process made: one with our host and pid that is not here is older
_OURS_LOCK = threading.Lock()


def new_holder() -> str:
    holder = f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}:{uuid.uuid4().hex[:8]}"
    with _OURS_LOCK:
        _OURS.add(holder)
    return holder


def holder_is_gone(holder: str) -> bool:
    """True only when `holder` ran on this host in a process that no longer exists; unknown means alive."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():  # this process, or an earlier one with the same pid (a container restarted: pid 1 again)
        with _OURS_LOCK:
            return holder not in _OURS
    try:
        os.kill(pid, 0)  # signal 0 only asks whether the process exists
    except ProcessLookupError:
        return True
    except OSError:  # PermissionError: it exists, run by another user
        return False
    return False


def acquire(alert_store: AlertStore, holder: str, clock: Callable[[], datetime], wait: float) -> bool:
    """Take the lease, waiting up to `wait` seconds for another evaluation to finish with it (logged)."""
    deadline = time.monotonic() + wait
    waiting_for: str | None = None
    while True:
        now = clock()
        if alert_store.acquire_lease(LEASE, holder, now, now + LEASE_TTL):
            return True
        current = alert_store.lease(LEASE)
        if current is None:
            continue  # released between the two statements: try again at once
        other, expires = current
        if holder_is_gone(other):
            if alert_store.take_over_lease(LEASE, holder, other, now + LEASE_TTL):
                logger.warning(
                    "took over the alerts lease from %s: that process is no longer running (stopped mid-evaluation?)",
                    other,
                )
                return True
            continue
        if waiting_for != other:
            waiting_for = other
            logger.info("the alerts lease is held by %s until %s; waiting up to %g s for it", other, expires, wait)
        if time.monotonic() >= deadline:
            logger.warning(
                "gave up waiting for the alerts lease held by %s (until %s): that evaluation posts what is due",
                other,
                expires,
            )
            return False
        time.sleep(LEASE_POLL)
