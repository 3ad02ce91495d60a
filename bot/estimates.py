"""Estimates apart from the bill (CONTRACT §4 `estimates`): usage at list price where the cost report has no figure.

Pure: priced-usage rows and the billed days in, `Estimates` out. Three kinds of usage are estimated:
- today so far, for a provider whose cost report has nothing for today yet;
- complete days whose usage is stored but whose cost report has no figures yet (the cost report lags usage);
- Anthropic Priority Tier usage on any day (never in its cost report), at the standard list price, labelled so.

A (day, provider) counts as billed as soon as its cost report has any amount for it; its usage is then the bill's,
not an estimate's. Estimates are never added into a total: they are their own JSON object and their own lines
("≈ $412 estimated, not yet billed"). A model the price database does not know is listed as unpriced, never $0.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from bot.money import fmt_usd, nano_to_usd
from bot.pricing import PRIORITY_TIERS, Price, price_usage
from bot.records import PricedUsage, provider_name
from bot.safe_text import clean

TODAY = "today so far, not yet billed"
LAGGING = "not yet billed: the cost report has no figures for this day yet"
PRIORITY = "Priority Tier: never in Anthropic's cost report; at standard list price"
LABEL = "estimated, not yet billed"


@dataclass(frozen=True, slots=True)
class EstimateLine:
    provider: str
    model: str
    day: date
    usd: Decimal
    reason: str  # TODAY, LAGGING or PRIORITY


@dataclass(frozen=True, slots=True)
class UnpricedLine:
    provider: str
    model: str
    day: date
    reason: str  # why it has no price (an unknown model, a tier without a list price...)
    tokens: int  # input + output tokens left out of the estimate


@dataclass(frozen=True, slots=True)
class Estimates:
    total: Decimal  # the sum of the lines: an estimate itself, in no billed total
    lines: tuple[EstimateLine, ...]  # by day, provider, then dollars
    unpriced: tuple[UnpricedLine, ...]
    adjustments: tuple[str, ...] = ()  # what aispend applied that the price database lacks

    @property
    def empty(self) -> bool:
        return not self.lines and not self.unpriced


NO_ESTIMATES = Estimates(Decimal(0), (), ())


def round_nano(nano: Decimal) -> int:
    return int(nano.to_integral_value(ROUND_HALF_EVEN))


def reason_for(row: PricedUsage, billed: Mapping[tuple[date, str], int], today: date) -> str | None:
    """Why `row` is estimated, or None when the bill covers it."""
    if row.provider == "anthropic" and row.service_tier in PRIORITY_TIERS:
        return PRIORITY
    if billed.get((row.day, row.provider), 0) != 0:
        return None
    if row.day == today:
        return TODAY
    return LAGGING if row.day < today else None


def build_estimates(
    rows: Iterable[PricedUsage], billed: Mapping[tuple[date, str], int], start: date, end: date, *, today: date
) -> Estimates:
    """The estimates of the days [start, end]; `billed` is (day, provider) -> billed nano-dollars of those days."""
    sums: dict[tuple[date, str, str, str], Decimal] = defaultdict(Decimal)
    unpriced: dict[tuple[date, str, str, str], int] = defaultdict(int)
    adjustments: set[str] = set()
    for row in rows:
        if not start <= row.day <= end:
            continue
        reason = reason_for(row, billed, today)
        if reason is None:
            continue
        price = price_usage(row)
        if isinstance(price, Price):
            sums[(row.day, row.provider, row.model, reason)] += price.nano
            adjustments.update(price.adjustments)
        else:
            unpriced[(row.day, row.provider, row.model, price.reason)] += tokens_of(row)
    lines = [
        EstimateLine(provider, model, day, nano_to_usd(round_nano(nano)), reason)
        for (day, provider, model, reason), nano in sums.items()
    ]
    lines.sort(key=lambda e: (e.day, e.provider, -e.usd, e.model, e.reason))
    missing = [UnpricedLine(p, m, d, r, n) for (d, p, m, r), n in sorted(unpriced.items())]
    total = sum((line.usd for line in lines), Decimal(0))
    return Estimates(total, tuple(lines), tuple(missing), tuple(sorted(adjustments)))


# the estimate prices the chat and completion tokens of the usage report; the other kinds (images, seconds,
# GB-days, searches, embeddings...) have no line in it, so they are named rather than left out as if free
KIND_NOT_PRICED = "{amount}: not in the estimate (aispend prices chat and completion tokens only)"


def unpriced_kinds(
    days: Mapping[date, Sequence[tuple[str, str, str]]], billed: Mapping[tuple[date, str], int], *, today: date
) -> list[UnpricedLine]:
    """What an estimate leaves out because no price exists for it: the usage kinds besides tokens (`days` maps each
    day to (provider, kind label, amount text)) on the days the estimate stands in for the bill."""
    out = []
    for day in sorted(days):
        for provider, label, amount in days[day]:
            if day <= today and billed.get((day, provider), 0) == 0:
                out.append(UnpricedLine(provider, label, day, KIND_NOT_PRICED.format(amount=amount), 0))
    return out


def tokens_of(row: PricedUsage) -> int:
    return row.uncached_input + row.cache_read + row.cache_write_5m + row.cache_write_1h + row.output


def estimates_json(estimates: Estimates | None) -> dict[str, Any]:
    """CONTRACT §4 `estimates`; with no estimates `{"total_usd": 0, "lines": [], "unpriced": []}`."""
    e = estimates or NO_ESTIMATES
    return {
        "total_usd": e.total,
        "lines": [
            {"provider": x.provider, "model": x.model, "date": x.day.isoformat(), "usd": x.usd, "reason": x.reason}
            for x in e.lines
        ],
        "unpriced": [
            {
                "provider": u.provider,
                "model": u.model,
                "date": u.day.isoformat(),
                "reason": u.reason,
                "tokens": u.tokens,
            }
            for u in e.unpriced
        ],
        "adjustments": list(e.adjustments),  # what aispend applied that the price database lacks
    }


def summary_line(estimates: Estimates) -> str | None:
    """'≈ $412.00 estimated, not yet billed (usage at list price; not in any total)', or None with nothing to say."""
    if estimates.empty:
        return None
    line = f"≈ {fmt_usd(estimates.total)} {LABEL} (usage at list price; not in any total)"
    if estimates.unpriced:
        models = sorted({clean(u.model) or "(no model)" for u in estimates.unpriced})
        line += f"; unpriced: {', '.join(models[:3])}{' and more' if len(models) > 3 else ''}"
    return line


def detail_lines(estimates: Estimates, limit: int = 6) -> list[str]:
    """One line per provider and reason: '≈ $12.40 OpenAI, today so far, not yet billed'."""
    groups: dict[tuple[str, str], list[EstimateLine]] = defaultdict(list)
    for line in estimates.lines:
        groups[(line.provider, line.reason)].append(line)
    out = []
    for (provider, reason), items in sorted(groups.items(), key=lambda kv: -sum(x.usd for x in kv[1])):
        usd = sum((x.usd for x in items), Decimal(0))
        days = sorted({x.day for x in items})
        when = days[0].isoformat() if len(days) == 1 else f"{days[0].isoformat()} to {days[-1].isoformat()}"
        out.append(f"≈ {fmt_usd(usd)} {clean(provider_name(provider))}, {when}: {reason}")
    for u in estimates.unpriced:
        out.append(
            f"unpriced: {clean(u.model) or '(no model)'} ({clean(provider_name(u.provider))}, {u.day.isoformat()}): "
            f"{u.reason}"
        )
    out = out[:limit] + ([f"… {len(out) - limit} more"] if len(out) > limit else [])
    return [*out, f"list prices adjusted: {'; '.join(estimates.adjustments)}"] if estimates.adjustments else out
