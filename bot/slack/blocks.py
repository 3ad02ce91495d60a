"""Report → Block Kit message (blocks + `text` fallback). Pure: no Slack calls, no clock, no store.

The blocks show the same facts as `render_text`, with its helpers (sparkline, bar, ago, change_text...), laid
out for Slack: header, total and change, providers, top models and workspaces with bars, the daily sparkline,
month projection and budget, freshness and notes. Every provider string goes through bot.safe_text (clean
names in the tables, literal mrkdwn elsewhere), and `bot.slack.kit.fit` keeps the reply inside Slack's limits
so a large organization can never make Slack reject it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from bot.caps_text import caps_lines
from bot.estimates import detail_lines, summary_line
from bot.freshness import date_list, through_text
from bot.money import fmt_usd
from bot.projection import projection_text
from bot.render_text import TOP_N, ago, bar, change_text, compare_label, fmt_count, period_title, sparkline
from bot.report import KEY_VARIABLES, BudgetStatus, ModelLine, ProviderLine, Report, WorkspaceLine, provider_name
from bot.report.usage import fmt_quantity, kind_text, top_models, usage_summary
from bot.safe_text import NOTE_LIMIT, TEXT_LIMIT, clean, code, escape, literal, mrkdwn
from bot.slack.kit import Block, Message, context, fields, fit, header, section
from bot.slack.spender_blocks import top_spenders_block, top_spenders_text
from bot.spenders import SpenderView
from bot.usage_kinds import TOKEN_KINDS

View = Literal["summary", "models", "workspaces", "keys", "users"]  # keys and users: bot.slack.spender_blocks
LIST_ROWS = 20  # rows in the full `models` / `workspaces` views
NAME_WIDTH = 38
SPARK_POINTS = 62  # longer periods are shown in buckets of several days


def report_message(report: Report, now: datetime, view: View = "summary", keys: SpenderView | None = None) -> Message:
    """The reply for `view`; `keys` (the period's spend by key, without people) adds the summary's top spenders."""
    p = report.period
    title = period_title(p)
    if view != "summary":
        title = title.replace("AI spend", "AI spend by model" if view == "models" else "AI spend by workspace", 1)
    blocks: list[Block] = [header(title), section(_total_line(report))]
    estimated = _estimates_text(report)
    if estimated:
        blocks.append(context(estimated))
    blocks += [section(w) for w in _sync_warnings(report.providers, now)]
    if view == "summary":
        blocks.append(fields([_provider_field(line, report.total, now) for line in report.providers]))
        for name, items in (("Top models", report.models), ("Top workspaces and projects", report.workspaces)):
            if items:
                blocks.append(section(f"*{name}*\n" + _table(items, TOP_N)))
        top_keys = top_spenders_block(keys)
        if top_keys is not None:
            blocks.append(top_keys)
        if len(report.daily) > 1:
            blocks.append(section(_daily(report)))
        if report.month is not None:
            m = report.month
            projection = projection_text(m, "*projected month end*")
            billed_only = " (billed only, estimates not in it)" if estimated else ""
            blocks.append(section(f"*Month to date* {fmt_usd(m.month_to_date)} · {projection}{billed_only}"))
        if report.budget is not None:
            blocks.append(section(_budget_text(report.budget)))
        if usage_summary(report.usage):
            blocks.append(context(f"Other usage: {usage_summary(report.usage)}"))
    else:
        lines: Sequence[ModelLine | WorkspaceLine] = report.models if view == "models" else report.workspaces
        what = "model" if view == "models" else "workspace or project"
        blocks.append(section(_table(lines, LIST_ROWS) if lines else f"No spend by {what} in this period."))
        usage = _usage_by_model(report) if view == "models" else ""
        if usage:
            blocks.append(section(usage))
    blocks.append(context(_freshness(report, now)))
    notes = _other_notes(report)
    if notes:
        # notes are our sentences, but some quote a provider's error: shown literally, like every provider text
        blocks.append(context("\n".join(f"• {mrkdwn(n, NOTE_LIMIT)}" for n in notes)))
    fallback = _fallback(report, now, view) + (top_spenders_text(keys) if view == "summary" else "")
    return fit(fallback, blocks)


def budget_message(report: Report, now: datetime, source: str | None) -> Message:
    """`/aispend budget`: month to date against the budget; `report` is for the `month` period."""
    month = f"{report.period.end:%B %Y}"
    blocks: list[Block] = [header(f"AI spend budget, {month}")]
    blocks += [section(w) for w in _sync_warnings(report.providers, now)]
    if report.budget is None:
        mtd = report.month.month_to_date if report.month else report.total
        text = (
            f"No monthly budget is set. Month to date: *{fmt_usd(mtd)}*.\n"
            "An admin can set one with `/aispend budget set 500`, or set AISPEND_MONTHLY_BUDGET_USD."
        )
        fallback = f"{month}: no monthly budget is set; month to date {fmt_usd(mtd)}."
    else:
        text = _budget_text(report.budget) + (f"\n_{escape(source)}_" if source else "")
        fallback = f"{month}: " + _budget_fallback(report.budget)
    blocks.append(section(text))
    caps = caps_lines(report.caps, report.cap_notes)
    if caps:
        # provider-enforced limits: past one, that scope's requests are refused (read only, aispend sets none)
        blocks.append(section("*Provider spend caps*\n" + "\n".join(f"• {literal(line)}" for line in caps)))
        fallback += " Caps: " + "; ".join(literal(line) for line in caps) + "."
    blocks.append(context(_freshness(report, now)))
    return fit(fallback, blocks)


# --- pieces -------------------------------------------------------------------------------------------------


def _estimates_text(report: Report) -> str | None:
    """The estimates, apart from the billed total: the summary and a line per provider and reason (mrkdwn)."""
    e = report.estimates
    summary = summary_line(e) if e else None
    if e is None or summary is None:
        return None
    return "\n".join([f"*{literal(summary)}*", *(f"• {literal(line)}" for line in detail_lines(e))])


def _total_line(report: Report) -> str:
    change = change_text(report.change_pct, report.previous_total, report.total)
    diff = report.total - report.previous_total
    delta = f" ({'+' if diff >= 0 else ''}{fmt_usd(diff)})" if report.previous_total and diff else ""
    return (
        f"*{fmt_usd(report.total)}*   {change}{delta} vs {compare_label(report.period)}"
        f" ({fmt_usd(report.previous_total)})"
    )


def _provider_field(line: ProviderLine, total: Decimal, now: datetime) -> str:
    name = f"*{mrkdwn(provider_name(line.provider))}*"
    if line.status == "not_configured":
        return f"{name}\nnot configured (set {KEY_VARIABLES.get(line.provider, 'its admin key')})"
    share = f" ({line.total * 100 / total:.0f}%)" if total > 0 else ""
    if line.status == "error":
        status = ":warning: sync failed" if line.last_synced_at else ":warning: no data"
    else:
        status = f"synced {ago(line.last_synced_at, now)}"
    return f"{name}\n{fmt_usd(line.total)}{share} · {status}"


def _warning_notes(line: ProviderLine) -> set[str]:
    # the report's own wording of the same facts, so the notes do not repeat the warning line
    name = provider_name(line.provider)
    return {
        f"{name}: the last sync failed ({line.error}); figures may be stale.",
        f"{name}: {line.error}, so its spend is not shown.",
    }


def _sync_warnings(providers: Sequence[ProviderLine], now: datetime) -> list[str]:
    out = []
    for line in providers:
        if line.status != "error":
            continue
        name, error = mrkdwn(provider_name(line.provider)), mrkdwn(line.error or "unknown error", TEXT_LIMIT)
        if line.last_synced_at is None:
            out.append(f":warning: *{name}*: {error}, so its spend is not shown.")
        else:
            out.append(
                f":warning: *{name}*: the last sync failed ({error}). Figures may be stale (last good sync"
                f" {ago(line.last_synced_at, now)}); check the bot's log or run `aispend doctor`."
            )
    return out


def _other_notes(report: Report) -> list[str]:
    shown: set[str] = set()
    for line in report.providers:
        if line.status == "error":
            shown |= _warning_notes(line)
    return [n for n in report.notes if n not in shown]


def _table(items: Sequence[ModelLine | WorkspaceLine], rows: int) -> str:
    shown, rest = items[:rows], items[rows:]
    top = max((i.total for i in shown), default=Decimal(0))
    lines = [(_label(i), fmt_usd(i.total), bar(i.total, top)) for i in shown]
    if rest:
        lines.append((f"… {len(rest)} more", fmt_usd(sum((i.total for i in rest), Decimal(0))), ""))
    name_w = max(len(a) for a, _, _ in lines)
    money_w = max(len(b) for _, b, _ in lines)
    body = "\n".join(f"{a.ljust(name_w)}  {b.rjust(money_w)}  {c}".rstrip() for a, b, c in lines)
    return f"```{code(body)}```"


def _label(item: ModelLine | WorkspaceLine) -> str:
    """A table row's name: the provider's name made one clean line, so it can neither break the table nor the block."""
    archived = " (archived)" if isinstance(item, WorkspaceLine) and item.archived else ""
    return f"{clean(item.name, NAME_WIDTH - len(archived))}{archived} · {clean(provider_name(item.provider))}"


def _daily(report: Report) -> str:
    days = report.daily
    totals = [d.total for d in days]
    size = math.ceil(len(totals) / SPARK_POINTS)
    points = [sum(totals[i : i + size], Decimal(0)) for i in range(0, len(totals), size)]
    unit = "" if size == 1 else f" (each mark is {size} days)"
    low = min(days, key=lambda d: d.total)
    high = max(days, key=lambda d: d.total)
    return (
        f"*Daily*{unit}  `{sparkline(points)}`\n"
        f"low {fmt_usd(low.total)} on {_day(low.date)}, high {fmt_usd(high.total)} on {_day(high.date)}"
    )


def _day(day: date) -> str:
    return f"{day:%a %b} {day.day}"


def _budget_text(b: BudgetStatus) -> str:
    used = min(b.pct_used, Decimal(100))
    meter = bar(used, Decimal(100)).ljust(10, "·")
    warn = (
        "  :rotating_light: over budget"
        if b.pct_used >= 100
        else "  :warning: on track to go over"
        if b.projected_pct is not None and b.projected_pct > 100
        else ""
    )
    return (
        f"*Budget* `{meter}` {fmt_usd(b.month_to_date)} of {fmt_usd(b.monthly_budget)} this month"
        f" ({b.pct_used:.1f}%); {_projected(b)}{warn}"
    )


def _projected(b: BudgetStatus) -> str:
    if b.projected_total is None or b.projected_pct is None:
        return "no projection yet"
    return f"projected {fmt_usd(b.projected_total)} ({b.projected_pct:.1f}%)"


def _usage_by_model(report: Report) -> str:
    """The models view's usage beyond tokens: each kind's quantity and its top models (provider names, escaped)."""
    rows = []
    for line in report.usage:
        if (line.provider, line.kind) in TOKEN_KINDS:
            continue
        top = ", ".join(f"{mrkdwn(model)} {fmt_quantity(q, line.unit)}" for model, q in top_models(line))
        rows.append(f"• {mrkdwn(provider_name(line.provider))} {kind_text(line)}" + (f": {top}" if top else ""))
    return "*Other usage*\n" + "\n".join(rows) if rows else ""


def _budget_fallback(b: BudgetStatus) -> str:
    return f"budget {fmt_usd(b.month_to_date)} of {fmt_usd(b.monthly_budget)} used ({b.pct_used:.1f}%), {_projected(b)}"


def _freshness(report: Report, now: datetime) -> str:
    parts = []
    fresh = {f.provider: f for f in report.freshness}
    for line in report.providers:
        if line.status != "not_configured":
            info = fresh.get(line.provider)
            # through which day its figures are final, when the period reaches past it (issue 14 item 4)
            through = (
                ""
                if info is None or info.fetched_at is None
                else through_text(info.complete_through, report.period.end)
            )
            parts.append(f"{mrkdwn(provider_name(line.provider))} synced {ago(line.last_synced_at, now)}{through}")
    t = report.tokens
    ratio = "" if report.cache_hit_ratio is None else f", cache hit {report.cache_hit_ratio * 100:.0f}%"
    parts.append(f"{fmt_count(t.input)} input / {fmt_count(t.output)} output tokens{ratio}")
    return " · ".join(parts)


def _fallback(report: Report, now: datetime, view: View) -> str:
    p = report.period
    change = change_text(report.change_pct, report.previous_total, report.total)
    previous = fmt_usd(report.previous_total)
    parts = [f"{period_title(p)}: {fmt_usd(report.total)}, {change} vs {compare_label(p)} ({previous})."]
    providers = [line for line in report.providers if line.status != "not_configured"]
    if providers:
        parts.append(", ".join(f"{clean(provider_name(x.provider))} {fmt_usd(x.total)}" for x in providers) + ".")
    if view in ("summary", "models") and report.models:
        top = report.models[0]
        parts.append(f"Top model: {clean(top.name)} {fmt_usd(top.total)}.")
    if view in ("summary", "workspaces") and report.workspaces:
        top_w = report.workspaces[0]
        parts.append(f"Top workspace: {clean(top_w.name)} {fmt_usd(top_w.total)}.")
    estimated = summary_line(report.estimates) if report.estimates else None
    if estimated:
        parts.append(f"{estimated}.")
    if report.month is not None and view == "summary":
        projected = report.month.projected_total
        parts.append(
            "No month-end projection yet." if projected is None else f"Projected month end {fmt_usd(projected)}."
        )
    if report.budget is not None and view == "summary":
        parts.append(_budget_fallback(report.budget).capitalize() + ".")
    if view == "summary" and usage_summary(report.usage):
        parts.append(f"Other usage: {usage_summary(report.usage)}.")
    for line in report.providers:
        if line.status == "error":
            error = clean(line.error or "unknown error", TEXT_LIMIT)
            parts.append(f"⚠ {clean(provider_name(line.provider))}: last sync failed ({error}).")
    if report.not_final:
        parts.append(f"Not final yet: {date_list(list(report.not_final))}.")
    return literal(" ".join(parts))
