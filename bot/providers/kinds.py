"""Usage by kind (bot.usage_kinds) while a fetch reads it: sums per grain key, the kinds read, the kinds refused.

A usage endpoint an organization lacks answers a 4xx: that kind becomes a note (its stored rows stay as they were),
never a failed sync; an auth error still fails the sync, and a rate limit or server error is retried and then
fails it as every other report does. Chunks run concurrently: a refusal in any chunk drops the kind's rows from
the whole window, so the store never replaces a kind's days with a partial window.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from bot.providers.http import ApiError, FetchSession, JsonClient, JsonObject, Params, RequestRefused
from bot.providers.windows import report_rows
from bot.records import KindUsage, ProviderData, provider_name
from bot.spill import RecordSpill, kind_usage
from bot.usage_kinds import KINDS

KindKey = tuple[date, str, str, str, str, bool | None, str, str]  # day, kind, ws, model, tier, batch, detail, metric
# 4xx answers that are not "this organization cannot read this kind": auth (fails the sync), and the statuses
# the client retries (timeout, conflict, rate limit)
_NOT_REFUSALS = frozenset({401, 403, 408, 409, 429})
_intern = sys.intern


def refusal(auth_codes: frozenset[str]) -> Callable[[ApiError], bool]:
    """Whether an error answer means the kind is unavailable to this organization (a note, not a failure)."""
    return lambda e: 400 <= e.status < 500 and e.status not in _NOT_REFUSALS and e.code not in auth_codes


def unavailable_reason(provider: str, kinds: tuple[str, ...], error: ApiError) -> str:
    label = " and ".join(KINDS[(provider, k)].label if (provider, k) in KINDS else k for k in kinds)
    return (
        f"{provider_name(provider)} {label} usage could not be read (HTTP {error.status}: {error.message}), so it "
        "shows what earlier syncs stored; the spend figures are complete. Nothing to do unless you use it."
    )


@dataclass(slots=True)
class KindSums:
    sums: dict[KindKey, int] = field(default_factory=dict)
    records: list[KindUsage] = field(default_factory=list)
    fetched: set[str] = field(default_factory=set)
    unavailable: dict[str, str] = field(default_factory=dict)

    def add(self, key: KindKey, quantity: int) -> None:
        if not quantity:
            return  # a zero count is no row: the report sums what is there
        day, kind, ws, model, tier, batch, detail, metric = key
        key = (day, _intern(kind), _intern(ws), _intern(model), _intern(tier), batch, _intern(detail), _intern(metric))
        self.sums[key] = self.sums.get(key, 0) + quantity

    def seal(self, provider: str, spill: RecordSpill | None = None) -> None:
        """Move the sums into records and drop the sums; with a spill, the records go there, per kind (issue 11 §7)."""
        records = [KindUsage(provider, *key, q) for key, q in sorted(self.sums.items(), key=_sort_key)]
        self.sums = {}
        if spill is None:
            self.records += records
            return
        by_kind: dict[str, list[KindUsage]] = {}
        for r in records:
            by_kind.setdefault(r.kind, []).append(r)
        for kind, part in by_kind.items():
            spill.add(kind_usage(kind), part)

    def merge(self, other: KindSums) -> None:
        for key, quantity in other.sums.items():
            self.sums[key] = self.sums.get(key, 0) + quantity
        self.records += other.records
        self.fetched |= other.fetched
        self.unavailable.update(other.unavailable)
        other.sums, other.records, other.fetched, other.unavailable = {}, [], set(), {}

    def fill(self, data: ProviderData) -> None:
        self.seal(data.provider, data.spilled)
        refused = set(self.unavailable)
        if data.spilled is not None:
            for kind in refused:
                data.spilled.discard(kind_usage(kind))
        records = [r for r in self.records if r.kind not in refused] if refused else self.records
        records.sort(key=lambda r: (r.day, r.kind, r.workspace_id, r.model, r.service_tier, _batch(r.batch)))
        data.usage_kinds = records
        data.usage_kinds_fetched = tuple(sorted(self.fetched - refused))
        data.usage_kinds_unavailable = dict(sorted(self.unavailable.items()))
        data.warnings += list(dict.fromkeys(data.usage_kinds_unavailable.values()))
        self.records = []


def _batch(batch: bool | None) -> int:
    return -1 if batch is None else int(batch)


def _sort_key(item: tuple[KindKey, int]) -> tuple[object, ...]:
    day, kind, ws, model, tier, batch, detail, metric = item[0]
    return (day, kind, ws, model, tier, _batch(batch), detail, metric)


def read_kind(
    client: JsonClient,
    provider: str,
    kinds: tuple[str, ...],
    path: str,
    params: Params,
    start_field: str,
    lo: date,
    hi: date,
    session: FetchSession,
    on_row: Callable[[KindSums, date, JsonObject], None],
    auth_codes: frozenset[str] = frozenset(),
    on_bucket: Callable[[], None] | None = None,
) -> KindSums:
    """The report of `kinds` (one endpoint) for [lo, hi) into fresh sums; a refusal leaves only the reason.

    `on_bucket` runs after each whole day, as the sums are sealed (for a caller that sums the rows twice)."""

    def sealed() -> None:
        out.seal(provider, session.spill)
        if on_bucket is not None:
            on_bucket()

    out = KindSums(fetched=set(kinds))
    try:
        report_rows(
            client,
            path,
            params,
            session,
            start_field,
            lo,
            hi,
            lambda day, row: on_row(out, day, row),
            sealed,
            refused=refusal(auth_codes),
        )
    except RequestRefused as exc:
        reason = unavailable_reason(provider, kinds, exc.error)
        return KindSums(fetched=set(kinds), unavailable=dict.fromkeys(kinds, reason))
    return out
