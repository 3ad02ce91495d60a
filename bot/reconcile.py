"""Reconciliation (issue 14): for each complete day, billed cost against the list-price estimate of the same usage.

Pure: priced usage rows, the billed (day, provider, model) amounts and the days that are final in; a
`Reconciliation` out, shown by `aispend report --reconcile [PERIOD]` (text and JSON) and, where a provider's
day differs by more than 10 %, by a line in the weekly digest. This is how aispend shows its estimates can be
trusted, and where a price change, a negotiated discount or a product without usage shows up.

What is compared: token usage of each model against that model's billed cost. Left out on both sides, and said
so: Priority Tier usage (never billed per token), web searches and other costs without a model (billed on lines
of their own), and models the price database does not know (unpriced).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any, Protocol

from bot.estimates import round_nano
from bot.freshness import ProviderFetches, date_list, is_final
from bot.money import fmt_usd, nano_to_usd
from bot.periods import Period
from bot.pricing import DATABASE, PRIORITY_TIERS, Price, price_usage
from bot.records import NO_MODEL, PricedUsage, provider_name
from bot.safe_text import clean

THRESHOLD = Decimal("0.10")  # a day differs when billed is more than 10 % off the estimate
_RATIO = Decimal("0.01")
MATCH, DIFFERS, NOT_BILLED, UNPRICED, NO_USAGE = "match", "differs", "not_billed", "unpriced", "no_usage"
LEFT_OUT = (
    "Left out on both sides: Priority Tier usage (not billed per token), web searches and other costs without a "
    f"model (billed on their own lines), and models {DATABASE} does not know."
)


@dataclass(frozen=True, slots=True)
class ReconcileRow:
    day: date
    provider: str
    model: str
    billed: Decimal
    estimated: Decimal | None  # None: unpriced, or no usage to price
    status: str  # MATCH, DIFFERS, NOT_BILLED, UNPRICED or NO_USAGE

    @property
    def ratio(self) -> Decimal | None:
        """billed / estimated where both exist (a day not billed yet has no ratio, not 0×)."""
        return ratio(self.billed, self.estimated) if self.status in (MATCH, DIFFERS) else None


@dataclass(frozen=True, slots=True)
class ProviderDay:
    """One provider's complete day over the models both billed and priced."""

    day: date
    provider: str
    billed: Decimal
    estimated: Decimal

    @property
    def ratio(self) -> Decimal | None:
        return ratio(self.billed, self.estimated)

    @property
    def differs(self) -> bool:
        return differs(self.billed, self.estimated)


@dataclass(frozen=True, slots=True)
class Reconciliation:
    period: Period
    rows: tuple[ReconcileRow, ...]  # by day, provider, then billed dollars
    providers: tuple[ProviderDay, ...]  # by day, provider
    notes: tuple[str, ...]


def ratio(billed: Decimal, estimated: Decimal | None) -> Decimal | None:
    if estimated is None or estimated == 0:
        return None
    return (billed / estimated).quantize(_RATIO, ROUND_HALF_EVEN)


def differs(billed: Decimal, estimated: Decimal | None) -> bool:
    if estimated is None:
        return False
    if estimated == 0:
        return billed != 0
    return abs(billed - estimated) > THRESHOLD * estimated


def billed_model(model: str, billed: Collection[str]) -> str:
    """The billed model a usage model's cost is booked under: OpenAI bills `ft:gpt-4o-2024-08-06:acme::id` as
    `ft:gpt-4o-2024-08-06` (its line items name the base model of a fine-tune)."""
    if model in billed or not model.startswith("ft:"):
        return model
    return ":".join(model.split(":")[:2])


def build_reconciliation(
    period: Period,
    rows: Iterable[PricedUsage],
    billed: Mapping[tuple[date, str, str], int],
    final: Collection[tuple[date, str]],
) -> Reconciliation:
    """Billed against estimated for the (day, provider) pairs in `final` (complete days) within the period."""
    estimated: dict[tuple[date, str, str], Decimal] = defaultdict(Decimal)
    unpriced: set[tuple[date, str, str]] = set()
    billed_by_day: dict[tuple[date, str], set[str]] = defaultdict(set)
    for (day, provider, model), nano in billed.items():
        if nano and model != NO_MODEL:
            billed_by_day[(day, provider)].add(model)
    for row in rows:
        if (row.day, row.provider) not in final or not period.start <= row.day <= period.end:
            continue
        if row.provider == "anthropic" and row.service_tier in PRIORITY_TIERS:
            continue
        key = (row.day, row.provider, billed_model(row.model, billed_by_day[(row.day, row.provider)]))
        price = price_usage(row)
        if isinstance(price, Price):
            estimated[key] += price.nano - price.web_nano
        else:
            unpriced.add(key)
    lines = []
    keys = {k for k in billed if k[2] != NO_MODEL and billed[k]} | set(estimated) | unpriced
    for key in keys:
        day, provider, model = key
        if (day, provider) not in final or not period.start <= day <= period.end:
            continue
        paid = nano_to_usd(billed.get(key, 0))
        guess = None if key in unpriced or key not in estimated else nano_to_usd(round_nano(estimated[key]))
        if key in unpriced:
            status = UNPRICED
        elif guess is None:
            status = NO_USAGE
        elif not billed_by_day.get((day, provider)):
            status = NOT_BILLED
        else:
            status = DIFFERS if differs(paid, guess) else MATCH
        lines.append(ReconcileRow(day, provider, model, paid, guess, status))
    lines.sort(key=lambda r: (r.day, r.provider, -r.billed, -(r.estimated or 0), r.model))
    sums: dict[tuple[date, str], list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for line in lines:
        if line.status in (MATCH, DIFFERS) and line.estimated is not None:
            sums[(line.day, line.provider)][0] += line.billed
            sums[(line.day, line.provider)][1] += line.estimated
    days = tuple(ProviderDay(d, p, b, e) for (d, p), (b, e) in sorted(sums.items()))
    notes = [LEFT_OUT]
    lagging = sorted({(r.day, r.provider) for r in lines if r.status == NOT_BILLED})
    if lagging:
        notes.append(
            "Not billed yet, so not compared: "
            + ", ".join(f"{provider_name(p)} {d.isoformat()}" for d, p in lagging)
            + " (the cost report has no figures for these days yet)."
        )
    priced_days = {(r.day, r.provider) for r in lines if r.estimated is not None or r.status == UNPRICED}
    unpriced_days = sorted({(r.day, r.provider) for r in lines if r.status == NO_USAGE} - priced_days)
    if unpriced_days:
        by_provider: dict[str, list[date]] = defaultdict(list)
        for d, p in unpriced_days:
            by_provider[p].append(d)
        for p, missing in sorted(by_provider.items()):
            notes.append(
                f"{provider_name(p)} has no usage stored at the grain a price needs for {date_list(missing)} (synced "
                f"before this release, or more than 62 days before a sync), so those days are not compared; "
                f"`aispend sync --days N` reaching them fetches it."
            )
    return Reconciliation(period, tuple(lines), days, tuple(notes))


def difference_line(day: ProviderDay) -> str:
    """'OpenAI billed 2.2× the list-price estimate on Nov 24: a price change, a discount, or an unpriced product'."""
    name = provider_name(day.provider)
    when = f"{day.day:%b} {day.day.day}"
    if day.estimated == 0:
        return f"{name} billed {fmt_usd(day.billed)} on {when} for usage priced at $0: an unpriced product"
    times = (day.billed / day.estimated).quantize(Decimal("0.1") if day.billed >= day.estimated else _RATIO)
    return (
        f"{name} billed {times}× the list-price estimate on {when} ({fmt_usd(day.billed)} billed, "
        f"{fmt_usd(day.estimated)} estimated): a price change, a discount, or an unpriced product"
    )


def difference_lines(reconciliation: Reconciliation) -> list[str]:
    return [difference_line(d) for d in reconciliation.providers if d.differs]


def reconciliation_json(r: Reconciliation) -> dict[str, Any]:
    p = r.period
    return {
        "period": {"name": p.name, "start": p.start.isoformat(), "end": p.end.isoformat()},
        "threshold_pct": THRESHOLD * 100,
        "rows": [
            {
                "date": x.day.isoformat(),
                "provider": x.provider,
                "model": x.model,
                "billed_usd": x.billed,
                "estimated_usd": x.estimated,
                "ratio": x.ratio,
                "status": x.status,
            }
            for x in r.rows
        ],
        "providers": [
            {
                "date": d.day.isoformat(),
                "provider": d.provider,
                "billed_usd": d.billed,
                "estimated_usd": d.estimated,
                "ratio": d.ratio,
                "differs": d.differs,
            }
            for d in r.providers
        ],
        "differences": difference_lines(r),
        "notes": list(r.notes),
    }


def render_reconciliation(r: Reconciliation) -> str:
    """The terminal table (the caller filters it through bot.safe_text.terminal)."""
    p = r.period
    out = [f"Billed vs list-price estimate, {p.name}: {p.start} to {p.end} (UTC, complete days only)", ""]
    if not r.rows:
        out.append("No complete day with usage and billed cost in this period.")
    else:
        names = [clean(x.model) for x in r.rows]
        width = min(max(len(n) for n in names), 40)
        out.append(f"  {'date':<10}  {'provider':<9}  {'model':<{width}}  {'billed':>11}  {'estimated':>11}  ratio")
        for x, name in zip(r.rows, names, strict=True):
            name = name if len(name) <= width else name[: width - 1] + "…"
            guess = "unpriced" if x.status == UNPRICED else "-" if x.estimated is None else fmt_usd(x.estimated)
            shown = "" if x.ratio is None else f"{x.ratio}×"
            flag = {DIFFERS: "  ⚠ differs", NOT_BILLED: "  not billed yet", NO_USAGE: "  no usage"}.get(x.status, "")
            out.append(
                f"  {x.day.isoformat():<10}  {clean(provider_name(x.provider)):<9}  {name:<{width}}  "
                f"{fmt_usd(x.billed):>11}  {guess:>11}  {shown}{flag}".rstrip()
            )
    lines = difference_lines(r)
    if lines:
        out += ["", f"Days that differ by more than {THRESHOLD * 100:.0f} %:", *(f"  • {line}" for line in lines)]
    elif r.providers:
        out += ["", f"Every provider's day is within {THRESHOLD * 100:.0f} % of its list-price estimate."]
    out += ["", *(f"Note: {note}" for note in r.notes)]
    return "\n".join(out)


class ReconcileStore(Protocol):
    def priced_usage(self, start: date, end: date) -> list[PricedUsage]: ...
    def model_daily(self, start: date, end: date) -> dict[tuple[date, str, str], int]: ...
    def fetches(self, start: date, end: date) -> dict[str, ProviderFetches]: ...


def load_reconciliation(store: ReconcileStore, period: Period) -> Reconciliation:
    """The reconciliation of the period's complete days: those each provider fetched after they ended."""
    final = {
        (day, provider)
        for provider, info in store.fetches(period.start, period.end).items()
        for day in period.dates()
        if is_final(day, info.fetched(day))
    }
    rows = store.priced_usage(period.start, period.end)
    return build_reconciliation(period, rows, store.model_daily(period.start, period.end), final)
