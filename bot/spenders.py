"""Who spent it (issue 11): spend by API key and by user for a period. Pure, except the thin store loader.

Choices a reader of the numbers should know:
- A (day, provider, kind) is `billed` or a `token_share` (the exact split of bot.spender_split).
- Billed and token-share dollars are never added together: a key with billed days and share days in one period
  has two lines, one of each basis, and a note says why (bot.spender_notes).
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
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Protocol

from bot.money import nano_to_usd
from bot.periods import Period
from bot.records import BILLED, KEY, NO_KEY, NO_WORKSPACE, SERVICE_ACCOUNT, TOKEN_SHARE, USER, SpenderLabel
from bot.spender_notes import spender_notes
from bot.spender_split import KindRows, SpenderRows, Totals, kind_rows

NO_KEY_NAME = "Console / Workbench"
BASIS_WORDS = {BILLED: "billed", TOKEN_SHARE: "token share"}

Labels = Mapping[tuple[str, str, str], SpenderLabel]


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
    # the lines a `top` view leaves out, per basis: how many, and their total (never summed across bases)
    more: dict[str, tuple[int, Decimal]] = field(default_factory=dict)


class SpenderStore(Protocol):
    def spender_kind_rows(self, start: date, end: date, kind: str) -> KindRows: ...
    def spender_labels_of(self, kind: str, spenders: Collection[tuple[str, str]]) -> Labels: ...


def load_spenders(
    store: SpenderStore, period: Period, kind: str, *, people: bool, emails: bool = False, top: int | None = None
) -> SpenderView:
    """The view of `kind` over `period`; with `top`, only its first `top` lines (a Slack reply's), the same as the
    full view's, with its notes all and the rest summed per basis in `more`: names are read only for those lines."""
    if kind == USER and not people:
        return SpenderView(period, kind, hidden=True)
    rows = store.spender_kind_rows(period.start, period.end, kind)
    shown = rows.totals if top is None else _top_candidates(rows.totals, top)
    labels = store.spender_labels_of(kind, {(p, s) for p, s, _b in shown})
    view = _view(rows, labels, period, people=people, emails=emails, shown=shown)
    if top is None:
        return view
    lines = view.lines[:top]
    return SpenderView(period, kind, lines, view.notes, fetched=view.fetched, more=_more(rows.totals, lines))


def _more(totals: Totals, lines: Collection[SpenderLine]) -> dict[str, tuple[int, Decimal]]:
    shown = {(x.provider, x.id, x.basis) for x in lines}
    count: dict[str, int] = defaultdict(int)
    nano: dict[str, int] = defaultdict(int)
    for line, amount in totals.items():
        if line not in shown:
            count[line[2]] += 1
            nano[line[2]] += amount
    return {basis: (count[basis], nano_to_usd(nano[basis])) for basis in sorted(count)}


def _top_candidates(totals: Totals, top: int) -> Totals:
    """The totals that may be among the first `top` lines: every one at least the top-th largest, ties included
    (names break ties, and they are read only for these)."""
    if len(totals) <= top:
        return totals
    least = sorted(totals.values(), reverse=True)[top - 1] if top > 0 else max(totals.values()) + 1
    return {key: nano for key, nano in totals.items() if nano >= least}


def build_spenders(
    rows: SpenderRows, labels: Labels, period: Period, kind: str, *, people: bool, emails: bool = False
) -> SpenderView:
    """Spend by `kind` over `period` from every row. Pure."""
    if kind == USER and not people:
        return SpenderView(period, kind, hidden=True)
    return _view(kind_rows(rows, period.dates(), kind), labels, period, people=people, emails=emails)


def _view(
    rows: KindRows, labels: Labels, period: Period, *, people: bool, emails: bool, shown: Totals | None = None
) -> SpenderView:
    kind = rows.kind
    lines = [
        spender_line(p, kind, s, b, nano, labels, people=people, emails=emails)
        for (p, s, b), nano in (rows.totals if shown is None else shown).items()
    ]
    lines.sort(key=lambda line: (-line.total, line.provider, line.name, line.id, line.basis))
    return SpenderView(period, kind, lines, spender_notes(rows, period), fetched=bool(rows.basis))


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
