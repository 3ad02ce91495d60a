"""The rows of `aispend export`: billed spend of a period at one grain, streamed a day at a time.

What the rows promise (README, "Exports for finance"):
- Their `usd` sums exactly to `report --json`'s `total_usd` for the same period, and per provider to its
  provider lines: every row is billed cost from the cost endpoints (integer nano-dollars, summed by SQLite),
  never an estimate.
- Grains: `item` (the default: one row per day, provider, workspace/project, model, service tier and cost type,
  the finest the bills give), `day`, `model` and `workspace` (those three with tokens: providers report tokens per
  model, not per line item). `key` and `user` split each day's bill among spenders the way `report keys|users`
  does; the `basis` column says how each row was found: `billed` (the provider's own cost per spender),
  `token_share` (a billed group split exactly by tokens: an attribution, not a bill), `unassigned` (billed spend
  no spender's figures cover, such as web search) or `not_fetched` (days synced without per-spender data). The
  shares of a group add up to its billed cost to the nano-dollar, so the attribution never changes the sum.
- A row with tokens but no cost row at its grain has no `usd` (None): the bill has no figure for it yet.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Generator, Iterator, Mapping
from decimal import Decimal

from bot.money import nano_to_usd
from bot.periods import Period
from bot.records import BILLED, KEY, NO_MODEL, NO_WORKSPACE, TOKEN_SHARE, USER, Label, SpenderLabel
from bot.report.model import DEFAULT_WORKSPACE_NAMES, NON_MODEL_LABEL
from bot.spenders import SpenderRows, spender_amounts, spender_line
from bot.store import Store
from bot.store import export as reads

UNASSIGNED = "unassigned"
NOT_FETCHED = "not_fetched"
GRAINS = ("item", "day", "model", "workspace", "key", "user")
DEFAULT_GRAIN = "item"
TOKENS = ("input_tokens", "output_tokens", "cache_read_tokens", "cache_write_tokens")
_WS = ("workspace_id", "workspace")
COLUMNS: dict[str, tuple[str, ...]] = {
    "item": ("date", "provider", *_WS, "model", "cost_type", "service_tier", "usd"),
    "day": ("date", "provider", "usd", *TOKENS),
    "model": ("date", "provider", "model", "usd", *TOKENS),
    "workspace": ("date", "provider", *_WS, "usd", *TOKENS),
    "key": ("date", "provider", "key_id", "key", *_WS, "model", "basis", "usd", *TOKENS),
    "user": ("date", "provider", "user_id", "user", *_WS, "model", "basis", "usd", *TOKENS),
}
# Columns of numbers we write ourselves; every other column may hold provider text.
NUMERIC = frozenset({"usd", *TOKENS})
_UNASSIGNED_NAMES = {
    KEY: "(not assigned to a key: web search, tools, storage or Console spend without per-key figures)",
    USER: "(not assigned to a person: service accounts, web search, tools or storage)",
}
_NOT_FETCHED_NAMES = {KEY: "(per-key figures not synced for this day)", USER: "(per-user figures not synced)"}

Cell = str | int | Decimal | None
Row = dict[str, Cell]
Tokens4 = tuple[int, int, int, int]


def columns(grain: str, *, emails: bool = False) -> tuple[str, ...]:
    cols = COLUMNS[grain]
    if grain == USER and emails:
        at = cols.index("user") + 1
        cols = (*cols[:at], "email", *cols[at:])
    return cols


def export_rows(store: Store, period: Period, grain: str, *, people: bool, emails: bool = False) -> Generator[Row]:
    """The rows of `grain` over `period`, oldest day first. `people`: whether per-person names may be shown (the
    `user` grain is nothing but people, so it needs them; for keys it is whether a person who owns one is named)."""
    if grain == USER and not people:
        raise ValueError("the user grain holds people's names: check may_see_people before asking for it")
    labels = store.labels()
    if grain == "item":
        for day, p, w, m, item, tier, nano in reads.item_rows(store, period.start, period.end):
            yield {
                "date": day,
                "provider": p,
                **_workspace(p, w, labels),
                "model": _model(m),
                "cost_type": item,
                "service_tier": tier,
                "usd": nano_to_usd(nano),
            }
        return
    if grain in (KEY, USER):
        yield from _spender_rows(store, period, grain, labels, people=people, emails=emails)
        return
    for row in reads.group_rows(store, period.start, period.end, grain):
        day_text, provider, group, amount, counts = row[0], row[1], row[2:-5], row[-5], row[-4:]
        out: Row = {"date": day_text, "provider": provider}
        if grain == "model":
            out["model"] = _model(group[0])
        if grain == "workspace":
            out.update(_workspace(provider, group[0], labels))
        out["usd"] = None if amount is None else nano_to_usd(amount)
        out.update(zip(TOKENS, counts, strict=True))
        yield out


def _model(model: str) -> str:
    return model if model != NO_MODEL else NON_MODEL_LABEL


def _workspace(provider: str, workspace_id: str, labels: Mapping[tuple[str, str], Label]) -> Row:
    if workspace_id == NO_WORKSPACE:
        return {"workspace_id": None, "workspace": DEFAULT_WORKSPACE_NAMES.get(provider, "Default")}
    label = labels.get((provider, workspace_id))
    return {"workspace_id": workspace_id, "workspace": label.name if label and label.name else workspace_id}


def _spender_rows(
    store: Store,
    period: Period,
    kind: str,
    ws_labels: Mapping[tuple[str, str], Label],
    *,
    people: bool,
    emails: bool,
) -> Iterator[Row]:
    """Day by day, so memory holds one day's spenders (and the names seen so far), whatever the period."""
    names: dict[tuple[str, str, str], SpenderLabel] = {}
    asked: set[tuple[str, str]] = set()
    for day in period.dates():
        facts = store.spender_rows(day, day)
        amounts = spender_amounts(facts, [day], kind)
        tokens = reads.spender_tokens(store, day, kind)
        basis = {p: b for (_d, p, k), (b, _r) in facts.basis.items() if k == kind}
        wanted = {(p, s) for p, s, *_ in amounts} | {(p, s) for p, s, _w, _m in tokens}
        if wanted - asked:
            names.update(store.spender_labels_of(kind, wanted - asked))
            asked |= wanted
        cells = _day_cells(facts, amounts, tokens, basis)
        for (p, s, b, ws, model), (nano, counts) in sorted(cells.items(), key=_order):
            row: Row = {"date": day.isoformat(), "provider": p}
            id_col, name_col = ("key_id", "key") if kind == KEY else ("user_id", "user")
            if b in (UNASSIGNED, NOT_FETCHED):
                row[id_col] = None
                row[name_col] = (_UNASSIGNED_NAMES if b == UNASSIGNED else _NOT_FETCHED_NAMES)[kind]
            else:
                line = spender_line(p, kind, s, b, 0, names, people=people, emails=emails)
                row[id_col], row[name_col] = s or None, line.name
                if kind == USER and emails:
                    row["email"] = line.email
            row.update(_workspace(p, ws, ws_labels) if ws is not None else {"workspace_id": None, "workspace": None})
            row["model"] = None if model is None else _model(model)
            row["basis"] = b
            row["usd"] = None if nano is None else nano_to_usd(nano)
            row.update(zip(TOKENS, counts or (None, None, None, None), strict=True))
            yield row


CellKey = tuple[str, str, str, str | None, str | None]  # provider, spender, basis, workspace_id, model


def _day_cells(
    facts: SpenderRows,
    amounts: Mapping[tuple[str, str, str, str, str], int],
    tokens: Mapping[tuple[str, str, str, str], Tokens4],
    basis: Mapping[str, str],
) -> dict[CellKey, tuple[int | None, Tokens4 | None]]:
    """One day's spender cells: each spender's dollars (and tokens), and the billed remainder no spender covers, so
    that per provider the cells sum to the day's bill exactly."""
    scopes: dict[str, dict[tuple[str, str], int]] = defaultdict(dict)
    for (_d, p, w, m), nano in facts.scopes.items():
        scopes[p][(w, m)] = nano
    cells: dict[CellKey, tuple[int | None, Tokens4 | None]] = {}
    for (p, s, b, w, m), nano in amounts.items():
        cells[(p, s, b, w, m)] = (nano, tokens.get((p, s, w, m)) if b == basis.get(p) else None)
    for (p, s, w, m), counts in tokens.items():
        day_basis = basis.get(p)
        if day_basis is not None and (p, s, day_basis, w, m) not in cells:
            cells[(p, s, day_basis, w, m)] = (None, counts)  # tokens with no dollars of this basis at this grain
    for p, groups in scopes.items():
        b = basis.get(p, NOT_FETCHED)
        if b == NOT_FETCHED:
            for (w, m), nano in groups.items():
                cells[(p, "", NOT_FETCHED, w, m)] = (nano, None)
        elif b == TOKEN_SHARE:
            shared: dict[tuple[str, str], int] = defaultdict(int)
            for (q, _s, kb, w, m), nano in amounts.items():
                if q == p and kb == TOKEN_SHARE:
                    shared[(w, m)] += nano
            for (w, m), nano in groups.items():
                if nano != shared.get((w, m), 0):
                    cells[(p, "", UNASSIGNED, w, m)] = (nano - shared.get((w, m), 0), None)
        else:
            assert b == BILLED
            # per-spender cost may be grouped differently from the bill (no model), so the rest is per provider-day
            rest = sum(groups.values()) - sum(n for (q, _s, kb, _w, _m), n in amounts.items() if q == p and kb == b)
            if rest:
                cells[(p, "", UNASSIGNED, None, None)] = (rest, None)
    return cells


_BASIS_ORDER = {BILLED: 0, TOKEN_SHARE: 1, UNASSIGNED: 2, NOT_FETCHED: 3}


def _order(item: tuple[CellKey, object]) -> tuple[object, ...]:
    p, s, b, w, m = item[0]
    return (p, _BASIS_ORDER.get(b, 9), s, w or "", m or "")
