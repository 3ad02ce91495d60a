"""The exact token-share split (issue 11, who spent it) and the per-spender facts it works on. Pure.

A (day, provider, kind) is `billed` when the provider's cost API grouped by the spender covered that day: a
spender's figure is the sum of those costs. Otherwise it is a `token_share`: each billed (day, provider,
workspace, model) total is split among the spenders by their share of that group's tokens, input (every input
token, cached or not) plus output. The split is exact integer nano-dollars: floors first, then one nano each to
the largest remainders (ties by spender id), so the shares of a group sum exactly to its billed cost.

The store keeps each day's per-spender result of this split (bot.store.spender_totals, written with the day), so a
report sums a few thousand rows instead of splitting tens of thousands; `kind_rows` computes the same from every
row and is what the store's figures are tested against.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterator, Mapping
from dataclasses import dataclass
from datetime import date

from bot.records import BILLED, TOKEN_SHARE

Amounts = dict[tuple[str, str, str, str, str], int]  # (provider, spender, basis, workspace_id, model) -> nano
Totals = dict[tuple[str, str, str], int]  # (provider, spender, basis) -> nano
Group = tuple[date, str, str, str]  # (day, provider, workspace_id, model)


@dataclass(frozen=True, slots=True)
class SpenderRows:
    """The spender facts of a range of days, keyed as the report model reads them."""

    # (day, provider, kind, spender_id, workspace_id, model) -> input + output tokens
    tokens: dict[tuple[date, str, str, str, str, str], int]
    # (day, provider, kind, spender_id, workspace_id, model) -> billed nano
    costs: dict[tuple[date, str, str, str, str, str], int]
    # (day, provider, kind) -> (basis, reason)
    basis: dict[tuple[date, str, str], tuple[str, str | None]]
    # (day, provider, workspace_id, model) -> billed nano, the groups token shares split
    scopes: dict[tuple[date, str, str, str], int]


@dataclass(frozen=True, slots=True)
class KindRows:
    """One kind's figures over a set of days: each spender's dollars by basis, each day's basis, and each day's
    billed total (what the notes compare the lines with). The store reads it from its per-day split
    (Store.spender_kind_rows); `kind_rows` builds the same from SpenderRows."""

    kind: str
    # (provider, spender_id, basis) -> nano: billed where the day is billed, else the exact token share; days
    # without a basis contribute nothing
    totals: Totals
    # (day, provider) -> (basis, reason)
    basis: dict[tuple[date, str], tuple[str, str | None]]
    # (day, provider) -> the day's billed total (every cost row), for days with any cost
    spend: dict[tuple[date, str], int]


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


def shares(groups: Mapping[Group, Mapping[str, int]], scopes: Mapping[Group, int]) -> Iterator[tuple[Group, str, int]]:
    """(group, spender, nano) of each spender's exact share of each token-share group's billed cost (a group
    without billed cost gives its spenders 0)."""
    for group, tokens in groups.items():
        for spender, nano in split_by_tokens(scopes.get(group, 0), tokens).items():
            yield group, spender, nano


def _basis_of(rows: SpenderRows, wanted: Collection[date], kind: str) -> dict[tuple[date, str], tuple[str, str | None]]:
    return {(d, p): b for (d, p, k), b in rows.basis.items() if k == kind and d in wanted}


def _share_groups(
    rows: SpenderRows, basis: Mapping[tuple[date, str], tuple[str, str | None]], kind: str
) -> dict[Group, dict[str, int]]:
    groups: dict[Group, dict[str, int]] = defaultdict(dict)
    for (d, p, k, s, w, m), n in rows.tokens.items():
        if k == kind and n > 0 and basis.get((d, p), ("",))[0] == TOKEN_SHARE:
            groups[(d, p, w, m)][s] = groups[(d, p, w, m)].get(s, 0) + n
    return groups


def kind_rows(rows: SpenderRows, days: Collection[date], kind: str) -> KindRows:
    """The KindRows of `kind` over `days` from the full rows."""
    wanted = set(days)
    basis = _basis_of(rows, wanted, kind)
    totals: Totals = defaultdict(int)
    for (d, p, k, s, _w, _m), nano in rows.costs.items():
        if k == kind and basis.get((d, p), ("",))[0] == BILLED:
            totals[(p, s, BILLED)] += nano
    for (_d, p, _w, _m), spender, nano in shares(_share_groups(rows, basis, kind), rows.scopes):
        totals[(p, spender, TOKEN_SHARE)] += nano
    spend: dict[tuple[date, str], int] = defaultdict(int)
    for (d, p, _w, _m), nano in rows.scopes.items():
        if d in wanted:
            spend[(d, p)] += nano
    return KindRows(kind, dict(totals), basis, dict(spend))


def spender_amounts(rows: SpenderRows, days: Collection[date], kind: str) -> Amounts:
    """Each spender's dollars over `days` by basis, workspace and model, as kind_rows counts them."""
    wanted = set(days)
    basis = _basis_of(rows, wanted, kind)
    out: Amounts = defaultdict(int)
    for (d, p, k, s, w, m), nano in rows.costs.items():
        if k == kind and basis.get((d, p), ("",))[0] == BILLED:
            out[(p, s, BILLED, w, m)] += nano
    for (_d, p, w, m), spender, nano in shares(_share_groups(rows, basis, kind), rows.scopes):
        out[(p, spender, TOKEN_SHARE, w, m)] += nano
    return dict(out)


def daily_amounts(rows: SpenderRows, days: Collection[date], kind: str) -> dict[tuple[str, str, str], dict[date, int]]:
    """Each (provider, spender, basis) line's dollars per day over `days`, as kind_rows counts them."""
    wanted = set(days)
    basis = _basis_of(rows, wanted, kind)
    out: dict[tuple[str, str, str], dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for (d, p, k, s, _w, _m), nano in rows.costs.items():
        if k == kind and basis.get((d, p), ("",))[0] == BILLED:
            out[(p, s, BILLED)][d] += nano
    for (d, p, _w, _m), spender, nano in shares(_share_groups(rows, basis, kind), rows.scopes):
        out[(p, spender, TOKEN_SHARE)][d] += nano
    return out


def fetched_days(rows: SpenderRows, provider: str, kind: str) -> set[date]:
    """The days of `rows` with a basis for (provider, kind): the days whose per-spender figures are known."""
    return {d for (d, p, k) in rows.basis if p == provider and k == kind}
