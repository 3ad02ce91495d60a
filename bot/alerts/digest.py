"""The weekly digest: last week's spend report as one channel message. Pure: a Report in, a Message out.

Provider names enter its lines in their clean form and every line is shown `literal`ly (bot.safe_text), in the
blocks and the `text` alike; the message passes bot.slack.kit's size guard like every other.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from bot.alerts.format import bullets, range_text
from bot.money import fmt_usd
from bot.render_text import change_text, sparkline
from bot.report import ModelLine, Report, WorkspaceLine, provider_name
from bot.safe_text import NOTE_LIMIT, clean, literal
from bot.slack.kit import Message, context, fit, header, section

TOP = 5
MAX_NOTES = 5


def _line(item: ModelLine | WorkspaceLine) -> str:
    archived = ", archived" if isinstance(item, WorkspaceLine) and item.archived else ""
    return f"{clean(item.name)} ({provider_name(item.provider)}{archived}) {fmt_usd(item.total)}"


def _top(items: Sequence[ModelLine | WorkspaceLine]) -> list[str]:
    lines = [_line(i) for i in items[:TOP]]
    if len(items) > TOP:
        rest = sum((i.total for i in items[TOP:]), Decimal(0))
        lines.append(f"{len(items) - TOP} more {fmt_usd(rest)}")
    return lines


def digest_message(report: Report, differences: Sequence[str] = ()) -> Message:
    """Total and change, providers, top workspaces/projects and models, budget, notes.

    `differences` are bot.reconcile's lines for the week's days whose bill is more than 10 % off the list-price
    estimate ("OpenAI billed 2.2× the list-price estimate on Nov 24: ...")."""
    p = report.period
    when = range_text(p.start, p.end)
    change = change_text(report.change_pct, report.previous_total, report.total)
    total = f"{fmt_usd(report.total)} ({change} vs {fmt_usd(report.previous_total)} the week before)"
    providers = [
        f"{provider_name(x.provider)} {fmt_usd(x.total)}" for x in report.providers if x.status != "not_configured"
    ]
    workspaces, models = _top(report.workspaces), _top(report.models)
    daily = sparkline([d.total for d in report.daily])

    blocks = [
        header(f"Weekly AI spend: {when}", ":calendar:"),
        section(f"*{literal(total)}*\nDaily: {daily}"),
    ]
    if providers:
        blocks.append(section("*Providers*\n" + literal(bullets(providers))))
    if workspaces:
        blocks.append(section("*Top workspaces and projects*\n" + literal(bullets(workspaces))))
    if models:
        blocks.append(section("*Top models*\n" + literal(bullets(models))))
    budget_text = ""
    if report.budget is not None:
        b = report.budget
        projected = (
            "no projection yet"
            if b.projected_total is None or b.projected_pct is None
            else f"projected {fmt_usd(b.projected_total)} ({b.projected_pct:.0f}%)"
        )
        budget_text = (
            f"Budget: {fmt_usd(b.month_to_date)} of {fmt_usd(b.monthly_budget)} used this month ({b.pct_used:.0f}%), "
            f"{projected}."
        )
        blocks.append(section(budget_text))
    shown = list(differences[:MAX_NOTES])
    if shown:
        blocks.append(section("*Billed vs list-price estimate*\n" + literal(bullets(shown))))
    if report.notes:
        # notes are our sentences, but some quote a provider's error
        blocks.append(context(literal(" ".join(clean(n, NOTE_LIMIT) for n in report.notes[:MAX_NOTES]))))
    blocks.append(context("Weekly digest from aispend · `/aispend week` for the full report"))

    parts = [f"Weekly AI spend, {when}: {total}."]
    if providers:
        parts.append(", ".join(providers) + ".")
    if workspaces:
        parts.append("Top workspaces and projects: " + ", ".join(workspaces) + ".")
    if models:
        parts.append("Top models: " + ", ".join(models) + ".")
    if budget_text:
        parts.append(budget_text)
    parts += [f"{line}." for line in shown]
    return fit(literal(" ".join(parts)), blocks)
