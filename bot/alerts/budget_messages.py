"""Budget alert messages: a budget report -> Block Kit blocks plus a `text` fallback, and its Details thread."""

from __future__ import annotations

from bot.alerts.budget_rules import BudgetReport
from bot.alerts.format import bullets, day_text, usd
from bot.alerts.messages import ALERT_CUT, MessageState, actions, state_blocks, state_text
from bot.alerts.rules import PROJECTED, share_pct
from bot.slack.kit import Message, context, fit, header, section


def budget_headline(report: BudgetReport) -> str:
    crossed = [int(a.threshold) for a in report.alerts if a.threshold != PROJECTED]
    budget = usd(report.budget)
    if crossed and max(crossed) >= 100:
        return f"Over budget: {report.pct_used}% of the {budget} monthly budget used"
    if crossed:
        now = f" ({report.pct_used}% now)" if report.pct_used != max(crossed) else ""
        return f"{max(crossed)}% of the {budget} monthly budget used{now}"
    return f"On pace to exceed the {budget} monthly budget"


def pace_text(report: BudgetReport) -> str:
    """'At this pace: $1,530.00 by Nov 30 (128% of the budget, $330.00 over); the budget runs out around Nov 27.'"""
    share = share_pct(report.projected, report.budget)
    over = report.projected - report.budget
    verdict = f"{usd(over)} over" if over > 0 else f"{usd(-over)} under"
    text = f"At this pace: {usd(report.projected)} by {day_text(report.month_end)} ({share}% of the budget, {verdict})"
    if report.reach_day is not None:
        text += f"; the budget runs out around {day_text(report.reach_day)}"
    return text + "."


def _budget_spent_text(report: BudgetReport) -> str:
    return (
        f"{usd(report.month_to_date)} of the {usd(report.budget)} budget spent in {report.month_end:%B} "
        f"through {day_text(report.today)} ({report.pct_used}%)."
    )


def _crossed_text(report: BudgetReport) -> str:
    names = [
        f"{a.threshold}%" if a.threshold != PROJECTED else "projected month end above budget" for a in report.alerts
    ]
    return "Crossed: " + ", ".join(names) + "."


def budget_message(report: BudgetReport, identity: str, *, state: MessageState | None = None) -> Message:
    state = state or MessageState()
    icon = ":rotating_light:" if any(a.threshold == "100" for a in report.alerts) else ":warning:"
    blocks = [
        header(budget_headline(report), icon),
        section(f"*{_budget_spent_text(report)}*\n{pace_text(report)}"),
        context(
            f"{_crossed_text(report)} Each threshold (50%, 80%, 100%, projected) is reported once a month. "
            "Change the budget with `/aispend budget set`."
        ),
    ]
    text = f"{budget_headline(report)}. {_budget_spent_text(report)} {pace_text(report)} {_crossed_text(report)}"
    tail = [*state_blocks(state), actions(identity, state)]
    return fit(text + state_text(state), blocks, keep=tail, note=ALERT_CUT)


def budget_details(report: BudgetReport) -> Message:
    lines = [
        f"Budget for {report.month_end:%B %Y}: {usd(report.budget)}",
        f"Spent through {day_text(report.today)}: {usd(report.month_to_date)} ({report.pct_used}%)",
        f"Burn rate: {usd(report.rate)} per day",
        f"Projected month end: {usd(report.projected)} ({share_pct(report.projected, report.budget)}% of the budget)",
    ]
    if report.reach_day is not None:
        lines.append(f"Budget runs out around {day_text(report.reach_day)} at this pace")
    blocks = [section("*Budget details*\n" + bullets(lines))]
    return fit("Budget details: " + "; ".join(lines) + ".", blocks)
