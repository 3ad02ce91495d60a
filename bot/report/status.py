"""Each provider's status line in the report (ok, error, not configured) and the sync-state tests behind it."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from bot.money import nano_to_usd
from bot.records import SyncState
from bot.report.model import KNOWN_PROVIDERS, STUCK_SYNC, ProviderLine, ReportInputs


def _has_data(provider: str, inputs: ReportInputs) -> bool:
    return inputs.data_ranges.get(provider) is not None or any(p == provider for _, p in inputs.daily)


def _stuck(state: SyncState, now: datetime) -> bool:
    """A sync logged as running for longer than any real one takes: its process died (killed, host restarted)."""
    try:
        started = datetime.fromisoformat(state.started_at)
    except ValueError:
        return True
    if started.tzinfo is None or now.tzinfo is None:  # the log is UTC; compare like with like
        started, now = started.replace(tzinfo=None), now.replace(tzinfo=None)
    return now - started > STUCK_SYNC


def _provider_lines(inputs: ReportInputs, now: datetime) -> list[ProviderLine]:
    totals: dict[str, int] = defaultdict(int)
    for (_, provider), nano in inputs.daily.items():
        totals[provider] += nano
    names = set(KNOWN_PROVIDERS) | set(inputs.configured) | set(totals) | set(inputs.sync_states)
    names |= {p for p, r in inputs.data_ranges.items() if r is not None}
    lines = []
    for provider in names:
        state = inputs.sync_states.get(provider)
        synced = state.last_success_at if state else None
        total = nano_to_usd(totals.get(provider, 0))
        if provider not in inputs.configured and not _has_data(provider, inputs):
            lines.append(ProviderLine(provider, total, "not_configured", synced))
        elif state is not None and state.status == "error":
            lines.append(ProviderLine(provider, total, "error", synced, _one_line(state.error or "unknown error")))
        elif synced is None and not _has_data(provider, inputs):
            running = state is not None and state.status == "running"
            reason = "the first sync is still running" if running else "never synced; run `aispend sync`"
            if state is not None and running and _stuck(state, now):
                reason = f"the first sync, started at {state.started_at}, never finished; run `aispend sync`"
            lines.append(ProviderLine(provider, total, "error", None, reason))
        else:
            lines.append(ProviderLine(provider, total, "ok", synced))
    return sorted(lines, key=lambda line: (-line.total, line.provider))


def _one_line(text: str) -> str:
    """Error text fit for a parenthesis or a status column: one line, no closing period."""
    return " ".join(text.split()).rstrip(".")
