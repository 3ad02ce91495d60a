"""Synthetic Claude Code activity for the simulated organization: who used Claude Code on which day, and how much.

Three people (by email) and one API key (a CI job) work on weekdays, one person also on weekends; every number
is a hash of (seed, day, actor), so any day can be served again identically. Rows follow the documented shape of
`/v1/organizations/usage_report/claude_code` (amounts in cents, `tool_actions` as a map by tool type).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from bot.simulator.catalog import digest

# (actor type, the actor's name field, its value, terminal, works weekends, model mix)
ACTORS: tuple[tuple[str, str, str, str, bool, tuple[str, ...]], ...] = (
    ("user_actor", "email_address", "ada@acme.example", "vscode", True, ("claude-opus-4-8", "claude-haiku-4-5")),
    ("user_actor", "email_address", "grace@acme.example", "iTerm.app", False, ("claude-sonnet-4-6",)),
    ("user_actor", "email_address", "linus@acme.example", "tmux", False, ("claude-sonnet-4-6", "claude-haiku-4-5")),
    ("api_actor", "api_key_name", "ci-claude-code", "non-interactive", False, ("claude-sonnet-4-6",)),
)
TOOLS = ("edit_tool", "multi_edit_tool", "write_tool", "notebook_edit_tool")


@dataclass(frozen=True, slots=True)
class ClaudeCodeRow:
    """One served row, kept as its JSON object (the simulator serves it exactly)."""

    actor_type: str
    actor: str
    json: dict[str, Any]

    @property
    def estimated_cents(self) -> int:
        return sum(int(m["estimated_cost"]["amount"]) for m in self.json["model_breakdown"])


def claude_code_rows(seed: int, today: date, day: date, org_id: str) -> tuple[ClaudeCodeRow, ...]:
    """The rows of one UTC day: none after today; today's partial day is served like any other."""
    if day > today:
        return ()
    rows = []
    for actor_type, field, name, terminal, weekends, models in ACTORS:
        if day.weekday() >= 5 and not weekends:
            continue
        raw = digest(seed, "claude-code", day.isoformat(), name) + digest(seed, "claude-code-tools", day, name)

        def n(slot: int, lo: int, span: int, raw: bytes = raw) -> int:
            return lo + int.from_bytes(raw[2 * slot : 2 * slot + 2], "big") % span

        breakdown = []
        for i, model in enumerate(models):
            output = n(10 + i, 5_000, 40_000)
            breakdown.append(
                {
                    "model": model,
                    "tokens": {
                        "input": output * 3,
                        "output": output,
                        "cache_read": output * 20,
                        "cache_creation": output // 2,
                    },
                    "estimated_cost": {"currency": "USD", "amount": n(14 + i, 5, 2_500)},
                }
            )
        row = {
            "date": f"{day.isoformat()}T00:00:00Z",
            "actor": {"type": actor_type, field: name},
            "organization_id": org_id,
            "customer_type": "api",
            "terminal_type": terminal,
            "core_metrics": {
                "num_sessions": n(0, 1, 12),
                "lines_of_code": {"added": n(1, 0, 2_000), "removed": n(2, 0, 800)},
                "commits_by_claude_code": n(3, 0, 6),
                "pull_requests_by_claude_code": n(4, 0, 3),
            },
            "tool_actions": {
                tool: {"accepted": n(16 + 2 * j, 0, 40), "rejected": n(17 + 2 * j, 0, 6)}
                for j, tool in enumerate(TOOLS)
            },
            "model_breakdown": breakdown,
        }
        rows.append(ClaudeCodeRow(actor_type, name, row))
    return tuple(rows)
