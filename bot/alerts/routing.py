"""Which channel each alert kind goes to: AISPEND_ALERT_CHANNEL by default, budget and cap alerts to
AISPEND_BUDGET_CHANNEL and spikes, anomalies and drops to AISPEND_ANOMALY_CHANNEL when those are set.

Any kind not named here (a new rule's) counts as an anomaly, so it never lands in the budget channel by accident;
the weekly digest is a summary, not an alert, and stays in the default channel. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.alerts.cap_rules import CAP
from bot.alerts.model import AlertRecord
from bot.alerts.quiet import holds, wait_text
from bot.alerts.render import DIGEST
from bot.alerts.rules import BUDGET
from bot.config import Settings
from bot.config_values import QuietHours

BUDGET_KINDS = frozenset({BUDGET, CAP})


@dataclass(frozen=True, slots=True)
class Route:
    default: str
    budget: str | None = None
    anomaly: str | None = None
    quiet: QuietHours | None = None

    @classmethod
    def of(cls, settings: Settings, default: str) -> Route:
        return cls(default, settings.budget_channel, settings.anomaly_channel, settings.quiet_hours)

    def channel_for(self, kind: str) -> str:
        if kind == DIGEST:
            return self.default
        if kind in BUDGET_KINDS:
            return self.budget or self.default
        return self.anomaly or self.default

    def held(self, record: AlertRecord, now: datetime) -> str | None:
        """Why `record` is not posted at `now` (it waits for quiet hours), or None: it goes out."""
        if self.quiet is None or not holds(self.quiet, record, now):
            return None
        return wait_text(self.quiet, now)
