"""Who spent it (issue 11): spend by API key and by user for a period. Pure, except the thin store loader.

Choices a reader of the numbers should know:
- A (day, provider, kind) is `billed` when the provider's cost API grouped by the spender covered that day: the
  figure is the sum of those costs. Otherwise it is a `token_share`: each billed (day, provider, workspace, model)
  total is split among the spenders by their share of that group's tokens, input (every input token, cached or
  not) plus output. The split is exact integer nano-dollars: floors first, then one nano each to the largest
  remainders (ties by spender id), so the shares of a group sum exactly to its billed cost.
- Billed and token-share dollars are never added together: a key with billed days and share days in one period
  has two lines, one of each basis, and a note says why.
- A day with no basis for a kind was not fetched (an older release, or a provider module that does not fetch
  spenders): it is left out with a note, never shown as $0.
- Names: the key's or user's last known name (archived and deleted ones keep theirs), "Console / Workbench" for
  Anthropic usage without a key, else the raw id. Emails only when asked for and allowed; a user-owned key's owner
  only for callers who may see people (service accounts are not people).
- Billed spend that no spender's usage covers (web search, storage, groups without per-key usage) is not assigned
  to anyone; a note gives the amount, so the lines plus it make the billed total.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Protocol

from bot.freshness import date_list
from bot.money import fmt_usd, nano_to_usd
from bot.periods import Period
from bot.records import (
    BILLED,
    KEY,
    NO_KEY,
    NO_WORKSPACE,
    SERVICE_ACCOUNT,
    TOKEN_SHARE,
    USER,
    SpenderLabel,
    provider_name,
)

NO_KEY_NAME = "Console / Workbench"
KIND_WORDS = {KEY: "API key", USER: "user"}
_SHORT = {KEY: "key", USER: "user"}  # in "per-key", "a key with both"
_UNASSIGNED = {
    KEY: "spend without per-key usage, such as web search, tools or storage",
    USER: "spend by API keys of no person, such as service accounts and Console use, or web search and storage",
}
BASIS_WORDS = {BILLED: "billed", TOKEN_SHARE: "token share"}

Labels = Mapping[tuple[str, str, str], SpenderLabel]


@dataclass(frozen=True, slots=True)
class SpenderRows:
    """The spender facts of a range of days, keyed as the report model (bot.spenders) reads them."""

    # (day, provider, kind, spender_id, workspace_id, model) -> input + output tokens
    tokens: dict[tuple[date, str, str, str, str, str], int]
    # (day, provider, kind, spender_id, workspace_id, model) -> billed nano
    costs: dict[tuple[date, str, str, str, str, str], int]
    # (day, provider, kind) -> (basis, reason)
    basis: dict[tuple[date, str, str], tuple[str, str | None]]
    # (day, provider, workspace_id, model) -> billed nano, the groups token shares split
    scopes: dict[tuple[date, str, str, str], int]


@dataclass(frozen=True, slots=True)
class SpenderLine:
    provider: str
    kind: str  # KEY or USER
    id: str  # NO_KEY for Console / Workbench
    name: str
    workspace_id: str | None  # the key's workspace/project when known; None for the Default Workspace or unknown
    total: Decimal
    basis: str  # BILLED or TOKEN_SHARE
    owner: str | None = None  # who owns the key: a service account, or a person for callers who may see people
    email: str | None = None  # only when emails were asked for and people may be seen


@dataclass(frozen=True, slots=True)
class SpenderView:
    """The spenders of one kind over a period, ready for the JSON, the terminal and Slack."""

    period: Period
    kind: str
    lines: list[SpenderLine] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    hidden: bool = False  # per-person data the caller may not see: no lines at all
    fetched: bool = False  # any day of the period has a basis for this kind


@dataclass(frozen=True, slots=True)
class KindRows:
    """One kind's spender facts over a set of days, aggregated as far as the exact split allows: billed cost summed
    over the billed days, tokens per token-share group, and each day's basis and billed groups. The store builds it
    in SQL (Store.spender_kind_rows); `kind_rows` builds the same from SpenderRows."""

    kind: str
    # (provider, spender_id) -> billed nano summed over the days whose basis is billed
    billed: dict[tuple[str, str], int]
    # (day, provider, workspace_id, model) of a token-share day -> spender_id -> input + output tokens (> 0 only:
    # a spender without tokens has no share)
    shares: dict[tuple[date, str, str, str], dict[str, int]]
    # (day, provider) -> (basis, reason)
    basis: dict[tuple[date, str], tuple[str, str | None]]
    # (day, provider, workspace_id, model) -> billed nano, the groups token shares split
    scopes: dict[tuple[date, str, str, str], int]


class SpenderStore(Protocol):
    def spender_kind_rows(self, start: date, end: date, kind: str) -> KindRows: ...
    def spender_labels_of(self, kind: str, spenders: Collection[tuple[str, str]]) -> Labels: ...


def load_spenders(
    store: SpenderStore, period: Period, kind: str, *, people: bool, emails: bool = False, top: int | None = None
) -> SpenderView:
    """The view of `kind` over `period`; with `top`, only its first `top` lines (the week reply's top spenders),
    the same as the full view's, and its notes all."""
    if kind == USER and not people:
        return SpenderView(period, kind, hidden=True)
    rows = store.spender_kind_rows(period.start, period.end, kind)
    totals = kind_totals(rows)
    shown = totals if top is None else _top_candidates(totals, top)
    labels = store.spender_labels_of(kind, {(p, s) for p, s, _b in shown})
    view = _view(rows, totals, labels, period, kind, people=people, emails=emails, shown=shown)
    return view if top is None else SpenderView(period, kind, view.lines[:top], view.notes, fetched=view.fetched)


def _top_candidates(totals: Totals, top: int) -> Totals:
    """The totals that may be among the first `top` lines: every one at least the top-th largest, ties included
    (names break ties, and they are read only for these)."""
    if len(totals) <= top:
        return totals
    least = sorted(totals.values(), reverse=True)[top - 1] if top > 0 else max(totals.values()) + 1
    return {key: nano for key, nano in totals.items() if nano >= least}


def split_by_tokens(total: int, tokens: Mapping[str, int]) -> dict[str, int]:
    """`total` nano split by `tokens` (largest remainder, ties by id): the parts sum exactly to `total`."""
    weights = {k: w for k, w in tokens.items() if w > 0}
    whole = sum(weights.values())
    if not weights:
        return {}
    sign, amount = (-1, -total) if total < 0 else (1, total)
    parts = {k: amount * w // whole for k, w in weights.items()}
    left = amount - sum(parts.values())
    for k in sorted(weights, key=lambda k: (-(amount * weights[k] % whole), k))[:left]:
        parts[k] += 1
    return {k: sign * v for k, v in parts.items()}


Amounts = dict[tuple[str, str, str, str, str], int]  # (provider, spender, basis, workspace_id, model) -> nano
Totals = dict[tuple[str, str, str], int]  # (provider, spender, basis) -> nano


def kind_rows(rows: SpenderRows, days: Collection[date], kind: str) -> KindRows:
    """The KindRows of `kind` over `days` from the full rows. Pure."""
    wanted = set(days)
    basis = {(d, p): b for (d, p, k), b in rows.basis.items() if k == kind and d in wanted}
    billed: dict[tuple[str, str], int] = defaultdict(int)
    for (d, p, k, s, _w, _m), nano in rows.costs.items():
        if k == kind and basis.get((d, p), ("",))[0] == BILLED:
            billed[(p, s)] += nano
    shares: dict[tuple[date, str, str, str], dict[str, int]] = defaultdict(dict)
    for (d, p, k, s, w, m), n in rows.tokens.items():
        if k == kind and n > 0 and basis.get((d, p), ("",))[0] == TOKEN_SHARE:
            shares[(d, p, w, m)][s] = shares[(d, p, w, m)].get(s, 0) + n
    scopes = {key: nano for key, nano in rows.scopes.items() if key[0] in wanted}
    return KindRows(kind, dict(billed), dict(shares), basis, scopes)


def kind_totals(rows: KindRows) -> Totals:
    """Each spender's dollars by basis: billed where the day is billed, else its exact token share of each billed
    group. Days without a basis contribute nothing."""
    out: Totals = defaultdict(int)
    for (p, s), nano in rows.billed.items():
        out[(p, s, BILLED)] += nano
    for (_d, p, _w, _m), spender, nano in _shares(rows.shares, rows.scopes):
        out[(p, spender, TOKEN_SHARE)] += nano
    return dict(out)


def spender_amounts(rows: SpenderRows, days: Collection[date], kind: str) -> Amounts:
    """Each spender's dollars over `days` by basis, workspace and model, as kind_totals counts them."""
    wanted = set(days)
    basis = {(d, p): b for (d, p, k), (b, _) in rows.basis.items() if k == kind and d in wanted}
    out: Amounts = defaultdict(int)
    for (d, p, k, s, w, m), nano in rows.costs.items():
        if k == kind and basis.get((d, p)) == BILLED:
            out[(p, s, BILLED, w, m)] += nano
    for (_d, p, w, m), spender, nano in _shares(kind_rows(rows, wanted, kind).shares, rows.scopes):
        out[(p, spender, TOKEN_SHARE, w, m)] += nano
    return dict(out)


Group = tuple[date, str, str, str]  # (day, provider, workspace_id, model)


def _shares(shares: Mapping[Group, Mapping[str, int]], scopes: Mapping[Group, int]) -> Iterator[tuple[Group, str, int]]:
    """(group, spender, nano) of each spender's exact share of each token-share group's billed cost."""
    for group, tokens in shares.items():
        for spender, nano in split_by_tokens(scopes.get(group, 0), tokens).items():
            yield group, spender, nano


def fetched_days(rows: SpenderRows, provider: str, kind: str) -> set[date]:
    """The days of `rows` with a basis for (provider, kind): the days whose per-spender figures are known."""
    return {d for (d, p, k) in rows.basis if p == provider and k == kind}


def build_spenders(
    rows: SpenderRows, labels: Labels, period: Period, kind: str, *, people: bool, emails: bool = False
) -> SpenderView:
    """Spend by `kind` over `period`. Pure."""
    if kind == USER and not people:
        return SpenderView(period, kind, hidden=True)
    facts = kind_rows(rows, period.dates(), kind)
    return _view(facts, kind_totals(facts), labels, period, kind, people=people, emails=emails)


def _view(
    rows: KindRows,
    totals: Totals,
    labels: Labels,
    period: Period,
    kind: str,
    *,
    people: bool,
    emails: bool,
    shown: Totals | None = None,
) -> SpenderView:
    lines = [
        spender_line(p, kind, s, b, nano, labels, people=people, emails=emails)
        for (p, s, b), nano in (totals if shown is None else shown).items()
    ]
    lines.sort(key=lambda line: (-line.total, line.provider, line.name, line.id, line.basis))
    notes = _notes(rows, rows.basis, totals, period, kind)
    return SpenderView(period, kind, lines, notes, fetched=bool(rows.basis))


def spender_line(
    provider: str, kind: str, spender: str, basis: str, nano: int, labels: Labels, *, people: bool, emails: bool
) -> SpenderLine:
    label = labels.get((provider, kind, spender))
    if label is not None and label.name:
        name = label.name  # the provider's own name for its null key too (OpenAI: "No API key")
    elif kind == KEY and spender == NO_KEY:
        name = NO_KEY_NAME
    else:
        name = spender
    workspace = label.workspace_id if label is not None and label.workspace_id != NO_WORKSPACE else None
    owner = None
    if label is not None and label.owner_id and (label.owner_kind == SERVICE_ACCOUNT or people):
        owned = labels.get((provider, label.owner_kind, label.owner_id))
        owner = owned.name if owned is not None and owned.name else label.owner_id
    email = label.email if label is not None and kind == USER and people and emails else None
    return SpenderLine(provider, kind, spender, name, workspace, nano_to_usd(nano), basis, owner, email)


def _notes(
    rows: KindRows,
    basis: Mapping[tuple[date, str], tuple[str, str | None]],
    totals: Mapping[tuple[str, str, str], int],
    period: Period,
    kind: str,
) -> list[str]:
    word, short = KIND_WORDS[kind], _SHORT[kind]
    notes = []
    spend_days: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for (d, p, _w, _m), nano in rows.scopes.items():
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
