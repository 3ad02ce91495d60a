"""The spend report as plain text: what `aispend report` prints and what the Slack reply says.

Pure functions of a Report and `now`. The small pieces (sparkline, bar, ago, change_text, period_title,
compare_label, fmt_count) are public because the Block Kit builder shows the same facts the same way.
Provider names and errors appear in their clean one-line form (bot.safe_text), so a name can neither break a
table row nor send a control or escape sequence to the terminal.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from bot.caps_text import caps_lines
from bot.estimates import detail_lines, summary_line
from bot.freshness import through_text
from bot.money import fmt_usd
from bot.periods import Period
from bot.projection import projection_text
from bot.report import KEY_VARIABLES, ModelLine, ProviderLine, Report, WorkspaceLine, provider_name
from bot.report.usage import usage_summary
from bot.safe_text import TEXT_LIMIT, clean

SPARKS = "▁▂▃▄▅▆▇█"
_EIGHTHS = "▏▎▍▌▋▊▉"
TOP_N = 5
BAR_WIDTH = 10
NOTE_WIDTH = 2000


def sparkline(values: Sequence[Decimal]) -> str:
    """One block per value, scaled from the lowest to the highest; a flat series is a flat line."""
    if not values:
        return ""
    low, high = min(values), max(values)
    if high == low:
        return (SPARKS[0] if high == 0 else SPARKS[3]) * len(values)
    steps = len(SPARKS) - 1
    return "".join(SPARKS[int(((v - low) * steps / (high - low)).to_integral_value(ROUND_HALF_EVEN))] for v in values)


def bar(value: Decimal, maximum: Decimal, width: int = BAR_WIDTH) -> str:
    """A bar of `width` cells for `maximum`, in eighths; any positive value shows at least a sliver."""
    if maximum <= 0 or value <= 0:
        return ""
    eighths = int((value * width * 8 / maximum).to_integral_value(ROUND_HALF_EVEN))
    full, rest = divmod(min(max(eighths, 1), width * 8), 8)
    return "█" * full + (_EIGHTHS[rest - 1] if rest else "")


def ago(ts: str | datetime | None, now: datetime) -> str:
    """'just now', '12 min ago', '3 h ago', '2 days ago'; 'never' for None. Naive times are taken as UTC."""
    if ts is None:
        return "never"
    then = datetime.fromisoformat(ts) if isinstance(ts, str) else ts
    then = then if then.tzinfo else then.replace(tzinfo=UTC)
    now = now if now.tzinfo else now.replace(tzinfo=UTC)
    delta = now - then
    if delta < timedelta(minutes=1):
        return "just now"
    if delta < timedelta(hours=1):
        return f"{delta // timedelta(minutes=1)} min ago"
    if delta < timedelta(days=1):
        return f"{delta // timedelta(hours=1)} h ago"
    days = delta.days
    return "1 day ago" if days == 1 else f"{days} days ago"


def change_text(pct: Decimal | None, previous: Decimal, current: Decimal | None = None) -> str:
    """'▲ 34.6%', '▼ 12.0%', 'no change', or 'new' when the previous period had no spend."""
    if pct is None or previous == 0:
        return "no change" if current is not None and current == 0 else "new"
    if pct > 0:
        return f"▲ {pct:.1f}%"
    if pct < 0:
        return f"▼ {-pct:.1f}%"
    return "no change"


def period_title(period: Period) -> str:
    start, end = period.start.isoformat(), period.end.isoformat()
    if period.name == "today":
        return f"AI spend today, {end} (UTC, so far)"
    if period.name == "yesterday":
        return f"AI spend yesterday, {end} (UTC)"
    if period.name == "month":
        return f"AI spend, {period.end:%B %Y} to date: {start} to {end} (UTC, today so far)"
    days = "1 day" if period.days == 1 else f"{period.days} days"
    return f"AI spend, last {days}: {start} to {end} (UTC)"


def compare_label(period: Period) -> str:
    if period.name == "today":
        return "yesterday's whole day"
    if period.name == "yesterday":
        return "the day before"
    if period.name == "month":
        return f"the same days of {period.prev_start:%B}"
    return "the previous day" if period.days == 1 else f"the previous {period.days} days"


def fmt_count(n: int) -> str:
    """Token counts: 950, 12.3K, 4.6M, 1.2B."""
    for size, suffix in ((10**9, "B"), (10**6, "M"), (10**3, "K")):
        if abs(n) >= size:
            return f"{Decimal(n) / size:.1f}{suffix}"
    return str(n)


def render_text(report: Report, now: datetime) -> str:
    p = report.period
    lines = [
        period_title(p),
        f"Total: {fmt_usd(report.total)}  {change_text(report.change_pct, report.previous_total, report.total)}"
        f" vs {compare_label(p)}: {fmt_usd(report.previous_total)}",
    ]
    estimated = summary_line(report.estimates) if report.estimates else None
    if estimated and report.estimates:  # apart from the billed total, on its own lines
        lines += [estimated, *(f"  {line}" for line in detail_lines(report.estimates))]
    lines += [
        "",
        "Providers",
        *_table(
            [
                (clean(provider_name(x.provider)), fmt_usd(x.total), _status(x, now) + _through(report, x))
                for x in report.providers
            ]
        ),
    ]
    for title, items in (("Top models", report.models), ("Top workspaces and projects", report.workspaces)):
        if items:
            lines += ["", title, *_top(items)]
    if len(report.daily) > 1:
        lines += ["", _daily(report)]
    lines += ["", _tokens(report)]
    other = usage_summary(report.usage)
    if other:
        lines.append(f"Other usage: {other}")
    if report.month is not None:
        billed_only = " (billed only: the estimates above are not in it)" if estimated else ""
        lines.append(
            f"Month to date: {fmt_usd(report.month.month_to_date)}; {projection_text(report.month)}{billed_only}"
        )
    if report.budget is not None:
        b = report.budget
        over = b.projected_pct is not None and b.projected_pct > 100
        warn = " (over budget)" if b.pct_used >= 100 else " (on track to go over)" if over else ""
        projected = (
            "no projection yet"
            if b.projected_total is None or b.projected_pct is None
            else f"projected {fmt_usd(b.projected_total)} ({b.projected_pct:.1f}%)"
        )
        lines.append(
            f"Budget: {fmt_usd(b.month_to_date)} of {fmt_usd(b.monthly_budget)} used this month ({b.pct_used:.1f}%);"
            f" {projected}{warn}"
        )
    caps = caps_lines(report.caps, report.cap_notes) if report.month or report.budget else []
    if caps:
        lines += ["", "Provider spend caps", *(f"  • {clean(line, NOTE_WIDTH)}" for line in caps)]
    if report.notes:
        # our sentences, but some quote a provider's error
        lines += ["", "Notes", *(f"  • {clean(note, NOTE_WIDTH)}" for note in report.notes)]
    return "\n".join(lines)


def _through(report: Report, line: ProviderLine) -> str:
    """Through which day the provider's figures are final, when the period reaches past it (issue 14 item 4)."""
    fresh = {f.provider: f for f in report.freshness}.get(line.provider)
    if line.status != "ok" or fresh is None or fresh.fetched_at is None:
        return ""
    return through_text(fresh.complete_through, report.period.end)


def _status(line: ProviderLine, now: datetime) -> str:
    if line.status == "not_configured":
        return f"not configured: set {KEY_VARIABLES.get(line.provider, 'its admin key')}"
    if line.status == "error":
        last = "" if line.last_synced_at is None else f"; last good sync {ago(line.last_synced_at, now)}"
        return f"⚠ {clean(line.error or 'unknown error', TEXT_LIMIT)}{last}"
    return "never synced" if line.last_synced_at is None else f"synced {ago(line.last_synced_at, now)}"


def _label(item: ModelLine | WorkspaceLine) -> str:
    archived = " · archived" if isinstance(item, WorkspaceLine) and item.archived else ""
    return f"{clean(item.name)} · {clean(provider_name(item.provider))}{archived}"


def _top(items: Sequence[ModelLine | WorkspaceLine]) -> list[str]:
    shown, rest = items[:TOP_N], items[TOP_N:]
    top = max((i.total for i in shown), default=Decimal(0))
    rows = [(_label(i), fmt_usd(i.total), bar(i.total, top)) for i in shown]
    if rest:
        rows.append((f"… {len(rest)} more", fmt_usd(sum((i.total for i in rest), Decimal(0))), ""))
    return _table(rows)


def _table(rows: Sequence[tuple[str, str, str]]) -> list[str]:
    """Name left-aligned, amount right-aligned, then the last column."""
    name_w = max((len(r[0]) for r in rows), default=0)
    money_w = max((len(r[1]) for r in rows), default=0)
    return [f"  {a.ljust(name_w)}  {b.rjust(money_w)}  {c}".rstrip() for a, b, c in rows]


def _daily(report: Report) -> str:
    totals = [d.total for d in report.daily]
    low = min(report.daily, key=lambda d: d.total)
    high = max(report.daily, key=lambda d: d.total)
    return (
        f"Daily: {sparkline(totals)}  low {fmt_usd(low.total)} on {low.date.isoformat()},"
        f" high {fmt_usd(high.total)} on {high.date.isoformat()}"
    )


def _tokens(report: Report) -> str:
    t = report.tokens
    ratio = "n/a" if report.cache_hit_ratio is None else f"{report.cache_hit_ratio * 100:.1f}%"
    return (
        f"Tokens: {fmt_count(t.input)} input ({fmt_count(t.cache_read)} cache reads,"
        f" {fmt_count(t.cache_write)} cache writes), {fmt_count(t.output)} output; cache hit ratio {ratio}"
    )
