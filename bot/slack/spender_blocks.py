"""`/aispend keys` and `/aispend users` as Block Kit, and the week reply's "Top spenders" section. Pure.

Every line says whether its dollars are billed or a token share; the rest-of-list line sums each basis apart,
so billed and token-share dollars never meet in one figure. Names are provider text: cleaned into the code
table (`code`), literal everywhere else, and the message goes through `fit`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from decimal import Decimal

from bot.money import fmt_usd
from bot.render_spenders import line_name, spender_title
from bot.safe_text import NOTE_LIMIT, code, literal, mrkdwn
from bot.slack.kit import Block, Message, context, fit, header, section
from bot.spender_notes import KIND_WORDS
from bot.spenders import BASIS_WORDS, SpenderLine, SpenderView

LIST_ROWS = 20
_QUOTE_START = re.compile(r"^(\s*)>", re.MULTILINE)
TOP_ROWS = 3


def spender_message(view: SpenderView) -> Message:
    blocks: list[Block] = [header(spender_title(view))]
    if view.lines:
        blocks.append(section(spender_table(view.lines, LIST_ROWS, view.more)))
    elif view.fetched:
        blocks.append(section(f"No spend by {KIND_WORDS[view.kind]} in this period."))
    else:
        blocks.append(section(f"Spend by {KIND_WORDS[view.kind]} has not been fetched for this period."))
    if view.notes:
        blocks.append(context("\n".join(f"• {mrkdwn(n, NOTE_LIMIT)}" for n in view.notes)))
    return fit(_fallback(view), blocks)


def spender_table(
    lines: Sequence[SpenderLine], rows: int, more: Mapping[str, tuple[int, Decimal]] | None = None
) -> str:
    """The first `rows` lines, then per basis how many more and their total: the lines after those, and the ones
    a `top` view left out (`more`)."""
    shown, rest = lines[:rows], lines[rows:]
    table = [(line_name(x, 38), fmt_usd(x.total), BASIS_WORDS[x.basis]) for x in shown]
    for basis, word in BASIS_WORDS.items():
        left_out, left_total = (more or {}).get(basis, (0, Decimal(0)))
        rest_of = [x for x in rest if x.basis == basis]
        if rest_of or left_out:
            total = sum((x.total for x in rest_of), left_total)
            table.append((f"… {len(rest_of) + left_out} more", fmt_usd(total), word))
    name_w = max(len(a) for a, _, _ in table)
    money_w = max(len(b) for _, b, _ in table)
    body = "\n".join(f"{a.ljust(name_w)}  {b.rjust(money_w)}  {c}" for a, b, c in table)
    # a name that starts a line with ">" must not look like a quote, even where Slack would not format it
    unquoted = _QUOTE_START.sub(lambda m: m.group(1) + "\u203a", body)
    return f"```{code(unquoted)}```"


def top_spenders_block(view: SpenderView | None) -> Block | None:
    """The week reply's top keys, or None when there is no spender data."""
    if view is None or view.hidden or not view.lines:
        return None
    return section("*Top spenders (API keys)*\n" + spender_table(view.lines[:TOP_ROWS], TOP_ROWS))


def top_spenders_text(view: SpenderView | None) -> str:
    """The same for the `text` fallback: the top key, literal."""
    if view is None or view.hidden or not view.lines:
        return ""
    top = view.lines[0]
    return literal(f" Top key: {line_name(top, 40)} {fmt_usd(top.total)} ({BASIS_WORDS[top.basis]}).")


def _fallback(view: SpenderView) -> str:
    parts = [f"{spender_title(view)}:"]
    if view.lines:
        parts.append(
            "; ".join(f"{line_name(x, 40)} {fmt_usd(x.total)} ({BASIS_WORDS[x.basis]})" for x in view.lines[:5]) + "."
        )
    else:
        parts.append("no spend by " + KIND_WORDS[view.kind] + ".")
    return literal(" ".join(parts))
