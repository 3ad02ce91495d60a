"""Spend by API key or by user (bot.spenders) as terminal text: one line per spender, each saying whether its
dollars are billed or a token share. Provider names are cleaned here; the CLI passes the whole text through
`terminal`."""

from __future__ import annotations

from collections.abc import Sequence

from bot.money import fmt_usd
from bot.records import KEY, provider_name
from bot.render_text import NOTE_WIDTH, period_title
from bot.safe_text import clean
from bot.spenders import BASIS_WORDS, SpenderLine, SpenderView

TITLES = {KEY: "AI spend by API key", "user": "AI spend by user"}
NO_PEOPLE = "Spend by person is not shown here."


def spender_title(view: SpenderView) -> str:
    return period_title(view.period).replace("AI spend", TITLES[view.kind], 1)


def line_name(line: SpenderLine, limit: int = 60) -> str:
    """The spender's clean name, with its owner (and email) when the view carries them."""
    extra = [clean(x, 40) for x in (line.owner,) if x]
    if line.email:
        extra.append(clean(line.email, 60))
    owner = f" ({'owner ' if line.kind == KEY else ''}{', '.join(extra)})" if extra else ""
    return f"{clean(line.name, limit)}{owner} · {clean(provider_name(line.provider))}"


def render_spenders(view: SpenderView) -> str:
    lines = [spender_title(view)]
    if view.hidden:
        return "\n".join([*lines, NO_PEOPLE])
    if view.lines:
        lines += _table([(line_name(x), fmt_usd(x.total), BASIS_WORDS[x.basis]) for x in view.lines])
    elif view.fetched:
        lines.append("  No spend in this period.")
    else:
        lines.append("  Nothing was fetched by spender for this period.")
    if view.notes:
        lines += ["", "Notes", *(f"  • {clean(note, NOTE_WIDTH)}" for note in view.notes)]
    return "\n".join(lines)


def _table(rows: Sequence[tuple[str, str, str]]) -> list[str]:
    name_w = max(len(r[0]) for r in rows)
    money_w = max(len(r[1]) for r in rows)
    return [f"  {a.ljust(name_w)}  {b.rjust(money_w)}  {c}" for a, b, c in rows]


TOP_SPENDERS = 3


def top_spenders(view: SpenderView | None) -> str:
    """The summary's "Top spenders" line (keys), or "" when there is no spender data; starts with a blank line."""
    if view is None or view.hidden or not view.lines:
        return ""
    shown = [f"{line_name(x, 40)} {fmt_usd(x.total)} ({BASIS_WORDS[x.basis]})" for x in view.lines[:TOP_SPENDERS]]
    return "\n\nTop spenders (API keys): " + "; ".join(shown)
