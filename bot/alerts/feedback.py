"""Expected / Not expected (issue 13): what people said about an anomaly alert, kept for the ledger and the corpus.

Expected (planned work) mutes the anomalies of the alert's scopes for FEEDBACK_MUTE_DAYS (weekly spikes, daily
anomalies and drops; budget warnings are not anomalies). Not expected mutes nothing. Both record who said so and
when, are listed by `/aispend alerts`, and stay in the ledger beside the alert's payload: labelled examples for
tuning the rules. A later answer to the same alert replaces the earlier one.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.alerts.anomaly import ANOMALY
from bot.alerts.drops import DROP
from bot.alerts.rules import SPIKE

EXPECTED = "expected"
NOT_EXPECTED = "not_expected"
VERDICTS = (EXPECTED, NOT_EXPECTED)
FEEDBACK_KINDS = frozenset({SPIKE, ANOMALY, DROP})
FEEDBACK_MUTE_DAYS = 7


@dataclass(frozen=True, slots=True)
class Feedback:
    identity: str  # the alert's
    kind: str
    summary: str  # the alert's one line
    verdict: str  # EXPECTED or NOT_EXPECTED
    by: str  # Slack user id
    at: str  # ISO 8601 UTC "…Z"
    until: str | None  # Expected: when the mute ends; None for Not expected


def feedback_line(f: Feedback) -> str:
    """'expected (planned work) by <@U1> at 2026-11-25 09:14 UTC, its scopes muted until 2026-12-02 09:14 UTC'."""
    when = f.at[:16].replace("T", " ")
    if f.verdict == EXPECTED:
        until = f", its scopes' anomalies muted until {f.until[:16].replace('T', ' ')} UTC" if f.until else ""
        return f"expected (planned work) by <@{f.by}> at {when} UTC{until}"
    return f"not expected, said <@{f.by}> at {when} UTC"
