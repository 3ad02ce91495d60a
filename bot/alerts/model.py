"""What the alert tables hold, as plain records: the store returns them, messages and the CLI render them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

PENDING = "pending"  # to be posted: never tried, or Slack refused it (so it is certainly not in the channel)
POSTING = "posting"  # a post began at attempt_at and its outcome is unknown: the channel is checked before another
UNCERTAIN = "uncertain"  # the outcome is unknown and the bot cannot read the channel: an admin checks, then resends
POSTED = "posted"
FAILED = "failed_permanent"
ACKNOWLEDGED = "acknowledged"
STATES = (PENDING, POSTING, UNCERTAIN, POSTED, FAILED, ACKNOWLEDGED)


@dataclass(frozen=True, slots=True)
class AlertRecord:
    """One alert message: recorded before it is posted, then updated as delivery and buttons go."""

    identity: str  # "spike|2026-11-15..2026-11-21", a follow-up adds "|2"; "budget|2026-11"; "digest|…"
    kind: str  # "spike" | "budget" | "digest"
    period: str
    state: str  # one of STATES
    summary: str  # one line, for `/aispend alerts` and logs
    payload: str  # JSON (bot.alerts.payload), re-rendered for retries, buttons and Details
    channel: str | None
    ts: str | None
    attempts: int
    last_error: str | None
    created_at: str  # ISO 8601 UTC "…Z"
    posted_at: str | None
    acked_by: str | None
    acked_at: str | None
    attempt_at: str | None = None  # when the post whose outcome is unknown began (states posting, uncertain)


@dataclass(frozen=True, slots=True)
class Snooze:
    """A muted scope: no alert for it is recorded or posted before `until`."""

    scope: str  # SpikeAlert.mute_scope / BudgetAlert.mute_scope
    label: str  # what people read: "workspace batch-jobs (anthropic)", "budget warnings"
    until: str  # ISO 8601 UTC "…Z"
    by: str  # Slack user id
    created_at: str


@dataclass(frozen=True, slots=True)
class FoundAlert:
    """A message one evaluation produced: new scopes only (or, in a dry run, what would be posted)."""

    identity: str
    kind: str
    text: str  # the message's text fallback: the same key facts as its blocks
    scopes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Delivery:
    """What happened to one recorded message in this run."""

    identity: str
    state: str  # POSTED, PENDING (will be retried), POSTING (outcome unknown, checked next time), UNCERTAIN or FAILED
    error: str | None = None  # Slack's error code or the network failure
    fix: str | None = None  # one sentence saying what to do, for permanent failures and uncertain outcomes


@dataclass(frozen=True, slots=True)
class AlertRun:
    """One `aispend alerts` / scheduled evaluation: what fired and what delivery did."""

    today: date  # the day the rules treated as today
    dry_run: bool
    found: tuple[FoundAlert, ...] = ()
    deliveries: tuple[Delivery, ...] = ()
    skipped: str | None = None  # why nothing was evaluated (another process holds the lease)
    notes: tuple[str, ...] = ()

    @property
    def posted(self) -> list[str]:
        return [d.identity for d in self.deliveries if d.state == POSTED]

    @property
    def pending(self) -> list[str]:
        return [d.identity for d in self.deliveries if d.state == PENDING]

    @property
    def failed(self) -> list[str]:
        return [d.identity for d in self.deliveries if d.state == FAILED]

    @property
    def uncertain(self) -> list[str]:
        return [d.identity for d in self.deliveries if d.state == UNCERTAIN]
