"""The Claude Code report: per-actor activity over a period and Anthropic's estimated cost (CONTRACT §4 `claude_code`).

Store → `build_claude_code` (pure) → `ClaudeCodeReport` → JSON / text / Block Kit. The dollars are Anthropic's own
estimates from its Claude Code Analytics API: labelled ESTIMATE_LABEL everywhere and never added to any total.
Actors are people (Anthropic sends their emails; shown by the name Anthropic's user list gives that email, and by
the email only when asked for, as `report users --emails`) or API key names. Either is personal data: only for
those who may see people.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from bot.money import fmt_usd, nano_to_usd
from bot.periods import Period
from bot.records import API_ACTOR, USER, ClaudeCodeActorSums, ClaudeCodeStatus, SpenderLabel
from bot.safe_text import clean

ESTIMATE_LABEL = "estimated by Anthropic"
PROVIDER = "anthropic"
MAX_HISTORY_DAYS = 90  # as bot.providers.anthropic_claude_code.MAX_DAYS (the report layer does not import providers)
ESTIMATE_NOTE = (
    "Claude Code dollars are estimated by Anthropic (its Claude Code Analytics API), not billed cost, and are "
    "never added to any total."
)
NOT_FETCHED = (
    "Claude Code activity has not been fetched yet: run `aispend sync` with ANTHROPIC_ADMIN_KEY set to an Admin key "
    "of the organization."
)


@dataclass(frozen=True, slots=True)
class ActorLine:
    actor_type: str  # USER_ACTOR or API_ACTOR
    actor: str  # an email (personal data) or an API key's name, as the provider sent it
    sessions: int
    lines_added: int
    lines_removed: int
    commits: int
    pull_requests: int
    edits_accepted: int
    edits_rejected: int
    estimated: Decimal  # exact dollars, estimated by Anthropic
    name: str | None = None  # the person's name in Anthropic's user list, when it lists this email
    email: bool = False  # show the email itself (beside the name)

    @property
    def person(self) -> str:
        """The person or key as reports name it: the user's name (the email only when no name is known or emails
        were asked for), or the key's name."""
        if self.actor_type == API_ACTOR or self.name is None:
            return self.actor
        return f"{self.name} ({self.actor})" if self.email else self.name

    @property
    def shown(self) -> str:
        """The one-line display form: the person, or `API key <name>`; cleaned of control characters."""
        return f"API key {clean(self.actor)}" if self.actor_type == API_ACTOR else clean(self.person)


@dataclass(frozen=True, slots=True)
class ClaudeCodeReport:
    period: Period
    actors: tuple[ActorLine, ...]  # by estimated dollars, most first
    estimated: Decimal | None  # None when Claude Code activity was never fetched
    notes: tuple[str, ...]


class ClaudeCodeStore(Protocol):
    def claude_code_actors(self, start: date, end: date) -> list[ClaudeCodeActorSums]: ...
    def claude_code_statuses(self) -> dict[str, ClaudeCodeStatus]: ...
    def spender_labels_of_kind(self, provider: str, kind: str) -> dict[tuple[str, str, str], SpenderLabel]: ...


def load_claude_code(store: ClaudeCodeStore, period: Period, *, emails: bool = False) -> ClaudeCodeReport:
    sums, statuses = store.claude_code_actors(period.start, period.end), store.claude_code_statuses()
    # only people need names, and only Anthropic's user list names them (not the thousands of keys)
    people = any(s.actor_type != API_ACTOR for s in sums)
    names = people_names(store.spender_labels_of_kind(PROVIDER, USER)) if people else {}
    return build_claude_code(period, sums, statuses, names=names, emails=emails)


def people_names(labels: Mapping[tuple[str, str, str], SpenderLabel]) -> dict[str, str]:
    """Anthropic users' emails (case-folded) -> their names, from the user list the spender sync keeps."""
    return {
        label.email.casefold(): label.name
        for (provider, kind, _), label in labels.items()
        if provider == PROVIDER and kind == USER and label.email and label.name
    }


def build_claude_code(
    period: Period,
    sums: Sequence[ClaudeCodeActorSums],
    statuses: Mapping[str, ClaudeCodeStatus],
    *,
    names: Mapping[str, str] | None = None,
    emails: bool = False,
) -> ClaudeCodeReport:
    known = names or {}
    lines = [
        ActorLine(
            s.actor_type,
            s.actor,
            s.sessions,
            s.lines_added,
            s.lines_removed,
            s.commits,
            s.pull_requests,
            s.edits_accepted,
            s.edits_rejected,
            nano_to_usd(s.estimated_nano),
            None if s.actor_type == API_ACTOR else known.get(s.actor.casefold()),
            emails,
        )
        for s in sums
        if s.provider == PROVIDER
    ]
    lines.sort(key=lambda line: (-line.estimated, line.actor_type, line.actor))
    status = statuses.get(PROVIDER)
    notes = [ESTIMATE_NOTE]
    if status is None and not lines:
        return ClaudeCodeReport(period, (), None, (*notes, NOT_FETCHED))
    if status is not None and status.unavailable:
        notes.append(status.unavailable)
    if status is not None and status.first_day is not None and period.start < status.first_day:
        notes.append(
            f"Claude Code activity has been fetched from {status.first_day} on (a first sync reads at most its last "
            f"{MAX_HISTORY_DAYS} days), so the period's earlier days are not included."
        )
    total = sum((s.estimated_nano for s in sums if s.provider == PROVIDER), 0)
    return ClaudeCodeReport(period, tuple(lines), nano_to_usd(total), tuple(notes))


def claude_code_json(report: ClaudeCodeReport | None) -> dict[str, Any]:
    """CONTRACT §4 `claude_code`; with no report, or nothing fetched, `{"estimated_usd": null, "users": []}`."""
    if report is None:
        return {"estimated_usd": None, "users": []}
    return {
        "estimated_usd": report.estimated,
        "users": [
            {
                "actor": line.person,
                "sessions": line.sessions,
                "lines_added": line.lines_added,
                "lines_removed": line.lines_removed,
                "commits": line.commits,
                "pull_requests": line.pull_requests,
                "edits_accepted": line.edits_accepted,
                "edits_rejected": line.edits_rejected,
                "estimated_usd": line.estimated,
            }
            for line in report.actors
        ],
    }


def render_claude_code_text(report: ClaudeCodeReport) -> str:
    """The terminal form (the caller filters it through bot.safe_text.terminal)."""
    p = report.period
    estimated = "n/a" if report.estimated is None else fmt_usd(report.estimated)
    out = [
        f"Claude Code, {p.name} ({p.start} to {p.end}): {estimated} {ESTIMATE_LABEL} (not billed, not in any total)",
    ]
    if report.actors:
        width = min(max(len(line.shown) for line in report.actors), 48)
        out.append("")
        out.append(f"  {'actor':<{width}}  sessions  lines +/-      commits  PRs  edits ok/no  {ESTIMATE_LABEL}")
        for line in report.actors:
            name = line.shown if len(line.shown) <= width else line.shown[: width - 1] + "…"
            lines = f"+{line.lines_added}/-{line.lines_removed}"
            edits = f"{line.edits_accepted}/{line.edits_rejected}"
            out.append(
                f"  {name:<{width}}  {line.sessions:>8}  {lines:<13}  {line.commits:>7}  {line.pull_requests:>3}  "
                f"{edits:>11}  {fmt_usd(line.estimated)}"
            )
    elif report.estimated is not None:
        out.append("No Claude Code activity in this period.")
    out += ["", *(f"Note: {note}" for note in report.notes)]
    return "\n".join(out)
