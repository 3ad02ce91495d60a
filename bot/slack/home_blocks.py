"""The App Home dashboard (HomeData in, a `home` view out) and the text of its blocks. Pure: no Slack, no store.

Parts, top to bottom: this week against last week; the month to date against the budget (with room for a chart
image, `chart_file_id`, set in one place below) and the providers' spend caps with their forecast; the week's
top models, workspaces and projects, API keys, and people (only in a view built for someone who may see them);
recent alerts with their state; each provider's data
freshness; and for admins the settings in force with the Settings button. Provider text goes through the same
helpers as every reply (bot.slack.blocks, bot.slack.spender_blocks, bot.safe_text), and the blocks through
`fit_blocks`, which stays well inside the Home tab's 100 blocks; the Settings button is kept whatever is cut.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.alerts.model import AlertRecord
from bot.alerts.overview import alert_state_text
from bot.caps_text import caps_lines
from bot.home_data import HomeData
from bot.money import fmt_usd
from bot.projection import projection_text
from bot.render_text import ago, period_title
from bot.report import KEY_VARIABLES, FreshnessLine, ProviderLine, provider_name
from bot.safe_text import TEXT_LIMIT, literal, mrkdwn
from bot.saved_settings import SettingInForce, source_text
from bot.slack.blocks import _budget_text, _table, _total_line
from bot.slack.kit import Block, context, fit_blocks, header, section
from bot.slack.spender_blocks import spender_table
from bot.spenders import SpenderView

SETTINGS_ACTION = "aispend_open_settings"
TOP_ROWS = 5
HOME_CUT_NOTE = "Some parts were cut to fit the Home tab: `/aispend` and `aispend report` show all of it."


def home_view(data: HomeData, *, chart_file_id: str | None = None) -> dict[str, Any]:
    """The `home` view for views.publish; `chart_file_id` (an uploaded PNG) adds the month's chart under it."""
    blocks: list[Block] = [
        header("AI spend dashboard"),
        context(f"Updated {data.now:%Y-%m-%d %H:%M} UTC · only you see this tab as it is"),
        section(
            f"*This week* · {literal(period_title(data.week.period).split(': ', 1)[-1])}\n{_total_line(data.week)}"
        ),
        section(_month_text(data)),
    ]
    if chart_file_id is not None:
        blocks.append(_image(chart_file_id, data))
    caps = caps_lines(data.week.caps, data.week.cap_notes)
    if caps:  # read only: past a cap the provider refuses that scope's requests
        blocks.append(section("*Provider spend caps*\n" + "\n".join(f"• {literal(line)}" for line in caps)))
    blocks += _tops(data)
    blocks.append(section(_alerts_text(data.alerts)))
    blocks.append(section(_freshness_text(data.week.providers, data.week.freshness, data.now)))
    keep: list[Block] = []
    if data.settings is not None:
        keep = [section(_settings_text(data.settings)), _settings_button()]
    return {"type": "home", "blocks": fit_blocks(blocks, keep=keep, note=HOME_CUT_NOTE)}


def _month_text(data: HomeData) -> str:
    title = f"*Month to date* · {data.now:%B %Y}"
    if data.week.budget is not None:
        return f"{title}\n{_budget_text(data.week.budget)}"
    mtd = fmt_usd(data.month.month_to_date) if data.month is not None else "not known yet"
    projection = projection_text(data.month) if data.month is not None else "no month-end projection yet"
    return (
        f"{title}\n*{mtd}* so far; {projection}.\n"
        "No monthly budget is set: an admin can set one under Settings below, with `/aispend budget set 500`, "
        "or with AISPEND_MONTHLY_BUDGET_USD."
    )


def _image(file_id: str, data: HomeData) -> Block:
    budget, month = data.week.budget, data.month
    mtd = budget.month_to_date if budget is not None else month.month_to_date if month is not None else None
    return {
        "type": "image",
        "slack_file": {"id": file_id},
        "alt_text": f"Month to date spend, {data.now:%B %Y}" + (f": {fmt_usd(mtd)}" if mtd is not None else ""),
    }


def _tops(data: HomeData) -> list[Block]:
    week = data.week
    out = []
    if week.models:
        out.append(section("*Top models this week*\n" + _table(week.models, TOP_ROWS)))
    if week.workspaces:
        out.append(section("*Top workspaces and projects this week*\n" + _table(week.workspaces, TOP_ROWS)))
    for title, view in (("Top API keys this week", data.keys), ("Top people this week", data.users)):
        text = _spenders(title, view)
        if text is not None:
            out.append(section(text))
    return out


def _spenders(title: str, view: SpenderView | None) -> str | None:
    if view is None or view.hidden:
        return None
    if not view.lines:
        what = "No spend" if view.fetched else "Nothing fetched by spender"
        return f"*{title}*\n{what} this week."
    return f"*{title}*\n" + spender_table(view.lines[:TOP_ROWS], TOP_ROWS)


def _alerts_text(alerts: Sequence[AlertRecord]) -> str:
    if not alerts:
        return "*Recent alerts*\nNone yet."
    lines = [f"• {a.created_at[:10]} {a.kind}: {mrkdwn(a.summary, TEXT_LIMIT)} — {alert_state_text(a)}" for a in alerts]
    return "*Recent alerts*\n" + "\n".join(lines)


def _freshness_text(providers: Sequence[ProviderLine], freshness: Sequence[FreshnessLine], now: datetime) -> str:
    complete = {f.provider: f for f in freshness}
    lines = []
    for line in providers:
        name = f"*{mrkdwn(provider_name(line.provider))}*"
        if line.status == "not_configured":
            lines.append(f"• {name}: not configured (set {KEY_VARIABLES.get(line.provider, 'its admin key')})")
            continue
        fresh = complete.get(line.provider)
        through = fresh.complete_through if fresh is not None else None
        days = f"complete through {through:%a %b} {through.day}" if through is not None else "no complete day yet"
        fetched = ago(fresh.fetched_at if fresh is not None else None, now)
        text = f"• {name}: {days}, fetched {fetched}"
        if line.status == "error":
            text += f" · :warning: last sync failed ({mrkdwn(line.error or 'unknown error', TEXT_LIMIT)})"
        lines.append(text)
    return "*Data freshness*\n" + ("\n".join(lines) if lines else "No provider is configured.")


def _settings_text(lines: Sequence[SettingInForce]) -> str:
    shown = [f"• {line.field.label}: {literal(line.shown)} _({source_text(line)})_" for line in lines]
    shown += [f"• :warning: {literal(line.problem)}" for line in lines if line.problem]
    return "*Settings* (you are an aispend admin)\n" + "\n".join(shown)


def _settings_button() -> Block:
    return {
        "type": "actions",
        "block_id": "aispend_home_settings",
        "elements": [
            {
                "type": "button",
                "action_id": SETTINGS_ACTION,
                "text": {"type": "plain_text", "text": "Settings"},
                "value": "settings",
            }
        ],
    }


def view_text(view: dict[str, Any]) -> str:
    """The text of a view's blocks, one block a paragraph: what `aispend demo` prints of the Home tab."""
    parts = []
    for block in view.get("blocks", []):
        texts = [block.get("text"), *block.get("fields", []), *block.get("elements", [])]
        found = [t["text"] for t in texts if isinstance(t, dict) and isinstance(t.get("text"), str)]
        found += [e["text"]["text"] for e in block.get("elements", []) if isinstance(e.get("text"), dict)]
        if block.get("type") == "image":
            found.append(f"[chart: {block.get('alt_text', '')}]")
        if found:
            parts.append("\n".join(found))
    return "\n\n".join(parts)
