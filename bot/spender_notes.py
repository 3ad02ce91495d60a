"""The notes under a spender view (issue 11): which basis each provider's per-key or per-user figures have, days
not fetched by spender, and billed spend no spender's usage covers. Pure.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from bot.freshness import date_list
from bot.money import fmt_usd, nano_to_usd
from bot.periods import Period
from bot.records import BILLED, KEY, TOKEN_SHARE, USER, provider_name
from bot.spender_split import KindRows

KIND_WORDS = {KEY: "API key", USER: "user"}
_SHORT = {KEY: "key", USER: "user"}  # in "per-key", "a key with both"
_UNASSIGNED = {
    KEY: "spend without per-key usage, such as web search, tools or storage",
    USER: "spend by API keys of no person, such as service accounts and Console use, or web search and storage",
}


def spender_notes(rows: KindRows, period: Period) -> list[str]:
    """The notes of `rows` (one kind over `period`), in provider order."""
    basis, totals, kind = rows.basis, rows.totals, rows.kind
    word, short = KIND_WORDS[kind], _SHORT[kind]
    notes = []
    spend_days: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for (d, p), nano in rows.spend.items():
        if period.start <= d <= period.end:
            spend_days[p][d] += nano
    for provider in sorted(set(spend_days) | {p for _, p in basis}):
        name = provider_name(provider)
        by_basis: dict[str, list[date]] = defaultdict(list)
        reasons: list[str] = []
        for d in period.dates():
            found = basis.get((d, provider))
            if found is not None:
                by_basis[found[0]].append(d)
                if found[0] == TOKEN_SHARE and found[1] and found[1] not in reasons:
                    reasons.append(found[1])
        if by_basis.get(TOKEN_SHARE):
            notes += reasons or [
                f"{name} gives no billed cost per {short}, so its per-{short} figures are token shares of the billed "
                "total, not billed cost."
            ]
        if by_basis.get(BILLED) and by_basis.get(TOKEN_SHARE):
            notes.append(
                f"{name}: per-{short} cost was billed on {date_list(by_basis[BILLED])} and a token share on "
                f"{date_list(by_basis[TOKEN_SHARE])}; a {short} with both has one line of each, never added together."
            )
        missing = sorted(d for d, nano in spend_days[provider].items() if nano and (d, provider) not in basis)
        if missing:
            unsplit = fmt_usd(nano_to_usd(sum(spend_days[provider][d] for d in missing)))
            notes.append(
                f"{name}'s spend by {word} was not fetched for {date_list(missing)}, so the {unsplit} billed on "
                f"those days is not shown by {word}: they were synced without it (by an earlier release, or the "
                f"provider did not give it); `aispend sync --days {_days_back(period, missing[0])}` fetches it where "
                "the provider can."
            )
        covered = sum(nano for d, nano in spend_days[provider].items() if (d, provider) in basis)
        shown = sum(nano for (p, _s, _b), nano in totals.items() if p == provider)
        if covered != shown and covered:
            gap = nano_to_usd(covered - shown)
            if gap > 0:
                notes.append(
                    f"{fmt_usd(gap)} of {name}'s billed spend has no per-{short} figure ({_UNASSIGNED[kind]}), so it "
                    "is not assigned to anyone."
                )
            else:
                notes.append(
                    f"{name}'s per-{short} billed cost is {fmt_usd(-gap)} more than its billed total; the total stays "
                    "the billed figure from the cost report."
                )
    return notes


def _days_back(period: Period, first: date) -> int:
    """The `aispend sync --days N` that reaches back to `first` (a sync's window ends with today)."""
    today = period.end if period.includes_partial_today else period.end + timedelta(days=1)
    return min(400, (today - first).days + 1)
