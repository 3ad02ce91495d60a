"""Quiet hours (AISPEND_QUIET_HOURS): which recorded alerts wait for the window to end, and what to say about them.

Urgent alerts post anyway: a budget message that holds the 100 % threshold (the money is gone) and every cap
alert (past a cap the provider refuses requests). Everything else (spikes, anomalies, drops, the other budget
thresholds, the digest) stays recorded and pending, and the first evaluation after the window posts it, once,
through the same delivery as any other pending alert. Pure: `now` is a parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.alerts import payload
from bot.alerts.budget_rules import BudgetReport
from bot.alerts.cap_rules import CAP
from bot.alerts.model import AlertRecord
from bot.alerts.rules import BUDGET
from bot.config_values import QuietHours


def is_urgent(record: AlertRecord) -> bool:
    if record.kind == CAP:
        return True
    if record.kind != BUDGET:
        return False
    report = payload.loads(record.payload)
    return isinstance(report, BudgetReport) and any(a.threshold == "100" for a in report.alerts)


def holds(quiet: QuietHours | None, record: AlertRecord, now: datetime) -> bool:
    """Whether `record` waits at `now`: inside the window and not urgent."""
    return quiet is not None and quiet.contains(now) and not is_urgent(record)


def wait_text(quiet: QuietHours, now: datetime) -> str:
    """'waits for quiet hours (22:00-07:00 UTC) to end at 07:00 UTC'."""
    return f"waits for quiet hours ({quiet}) to end at {quiet.ends_after(now):%H:%M} UTC"


def waiting_lines(quiet: QuietHours | None, records: Sequence[AlertRecord], now: datetime) -> list[str]:
    """For `/aispend alerts`: each alert due to post that waits for quiet hours, with when it goes out."""
    if quiet is None:
        return []
    return [f"{r.summary}: {wait_text(quiet, now)}" for r in records if holds(quiet, r, now)]
