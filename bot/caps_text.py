"""Provider spend caps as plain lines for `budget` (Slack and the terminal) and for the cap alert. Pure.

Names come from the provider: each line carries the `clean` form, and Slack shows the line `literal`ly
(bot.safe_text), so no mention, link or formatting can come from a workspace's name.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from bot.caps import CapForecast
from bot.money import fmt_usd, nano_to_usd
from bot.records import MONTHLY, ORG_SCOPE, provider_name
from bot.safe_text import clean

PERIOD_WORDS = {MONTHLY: "monthly", "week": "weekly", "day": "daily"}
REFUSED_AFTER = "after that its requests are refused"


def cap_title(f: CapForecast) -> str:
    """'Anthropic workspace prod-agents', 'OpenAI organization', with the name in its clean form."""
    if f.cap.scope == ORG_SCOPE:
        return f"{provider_name(f.cap.provider)} organization"
    kind = "project" if f.cap.provider == "openai" else "workspace"
    return f"{provider_name(f.cap.provider)} {kind} {clean(f.name)}"


def day_text(day: date) -> str:
    return f"{day:%b} {day.day}"


def usd(nano: int) -> str:
    """Whole dollars when exact ($2,000), cents otherwise ($1,999.50)."""
    text = fmt_usd(nano_to_usd(nano))
    return text.removesuffix(".00")


def cap_line(f: CapForecast) -> str:
    """One line of `budget`: the scope, month to date against the cap, and when it is reached at this pace."""
    period = PERIOD_WORDS.get(f.cap.period, f.cap.period)
    limit = f.cap.limit_nano
    pct = "" if limit == 0 else f" ({f.month_to_date * 100 // limit}%)"
    line = f"{cap_title(f)}: {usd(f.month_to_date)} this month of its {usd(limit)} {period} cap"
    if f.cap.period != MONTHLY:
        line = f"{cap_title(f)}: {usd(limit)} {period} cap (month to date {usd(f.month_to_date)}; not forecast)"
    elif f.reached and f.forecast_hit is not None:
        line += f"{pct}: reached on {day_text(f.forecast_hit)}, its requests are refused until the month ends"
    elif f.forecast_hit is not None:
        line += f"{pct}: reaches it around {day_text(f.forecast_hit)} at this pace"
    elif f.rate is None:
        line += f"{pct}: no forecast yet"
    else:
        line += f"{pct}: not reached this month at this pace"
    if not f.cap.enforced:
        line += " (the provider says it is not enforced now)"
    return line


def caps_lines(forecasts: Sequence[CapForecast], notes: Sequence[str]) -> list[str]:
    """Every cap's line, then why a provider's caps could not be read; [] when there is nothing to say."""
    return [*(cap_line(f) for f in forecasts), *notes]


def alert_line(f: CapForecast) -> str:
    """'Anthropic workspace prod-agents reaches its $2,000 cap around Nov 24; after that its requests are refused'."""
    assert f.forecast_hit is not None
    if f.reached:
        return (
            f"{cap_title(f)} reached its {usd(f.cap.limit_nano)} cap on {day_text(f.forecast_hit)}; "
            "its requests are refused until the month ends"
        )
    return (
        f"{cap_title(f)} reaches its {usd(f.cap.limit_nano)} cap around {day_text(f.forecast_hit)}; {REFUSED_AFTER} "
        f"({usd(f.month_to_date)} so far this month)"
    )
