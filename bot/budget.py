"""The monthly budget: what counts as one, and the one in force.

`parse_budget` is the only definition of a valid budget (grammar and bounds), shared by
AISPEND_MONTHLY_BUDGET_USD, `/aispend budget set` and the value read back from the database, so the three can
never disagree. The budget set from Slack (a store setting) wins over the environment; one reading for the CLI,
the Slack answers and the alert rules.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)

BUDGET_KEY = "budget_usd"
# Larger amounts are typos, and past ~26 digits exact Decimal formatting of them fails (1e30 crashed reports).
MAX_BUDGET = Decimal(1_000_000_000)
BUDGET_FORMAT = "US dollars such as 500, 1200.50 or $1,200"
# dollars with optional $, thousands commas and cents: no exponents, no signs, no NaN or Infinity
_AMOUNT = re.compile(r"^\$?(\d{1,3}(,\d{3})+|\d+)(\.\d{1,2})?$", re.ASCII)
_CENT = Decimal("0.01")
SET_FROM_SLACK = "Set from Slack (`/aispend budget set` or the Home tab's Settings)."


class BudgetError(ValueError):
    """Why an amount cannot be a budget: `str()` is a clause such as "must be above $0"."""

    def __init__(self, clause: str, *, is_zero: bool = False) -> None:
        self.is_zero = is_zero
        super().__init__(clause)


def parse_amount(text: str) -> Decimal | None:
    """Exact dollars from `500`, `1200.50` or `$1,200`; None for anything else."""
    if not _AMOUNT.match(text):
        return None
    return Decimal(text.lstrip("$").replace(",", ""))


def parse_budget(text: str) -> Decimal:
    """A monthly budget from text as a person types it; BudgetError saying what is wrong otherwise."""
    amount = parse_amount(text.strip())
    if amount is None:
        raise BudgetError(f"must be {BUDGET_FORMAT}")
    return check_budget(amount)


def check_budget(amount: Decimal) -> Decimal:
    """`amount` when it is a budget: whole cents, above $0 and at most MAX_BUDGET; BudgetError otherwise."""
    if not amount.is_finite():
        raise BudgetError(f"must be {BUDGET_FORMAT}")
    if amount <= 0:
        raise BudgetError("must be above $0", is_zero=True)
    if amount > MAX_BUDGET:
        raise BudgetError(f"must be at most ${MAX_BUDGET:,} a month")
    if amount != amount.quantize(_CENT):
        raise BudgetError("must be in whole cents, such as 1200.50")
    return amount


class SettingsReader(Protocol):
    def get_setting(self, key: str) -> str | None: ...


@dataclass(frozen=True, slots=True)
class BudgetInForce:
    amount: Decimal | None
    source: str | None  # where it comes from, for the `/aispend budget` answer
    problem: str | None = None  # a stored value that was set aside, with the fix: a note for reports


def budget_in_force(store: SettingsReader, settings: Settings) -> BudgetInForce:
    """The monthly budget, where it comes from, and what was wrong with the stored one if it was set aside.

    A stored value that is not a budget (a database edited by hand, or written before the bounds existed) is
    not used: the environment's budget applies instead, and `problem` says what is wrong and the fix.
    """
    stored = store.get_setting(BUDGET_KEY)
    fallback = settings.monthly_budget_usd
    if stored is not None:
        try:
            return BudgetInForce(check_budget(Decimal(stored)), SET_FROM_SLACK)
        except (InvalidOperation, BudgetError):
            pass
        problem = (
            f"The budget stored in the database ({stored[:40]!r}) is not a valid amount, so "
            f"{'AISPEND_MONTHLY_BUDGET_USD applies' if fallback is not None else 'no budget applies'}: set it "
            "again with `/aispend budget set <usd>`, or remove it with `/aispend budget clear`."
        )
        log.warning("%s", problem)
        return BudgetInForce(fallback, problem, problem)
    if fallback is not None:
        return BudgetInForce(fallback, "From AISPEND_MONTHLY_BUDGET_USD.")
    return BudgetInForce(None, None)


def current_budget(store: SettingsReader, settings: Settings) -> tuple[Decimal | None, str | None]:
    """(amount, source) of `budget_in_force`; the source is the problem when the stored value was set aside."""
    budget = budget_in_force(store, settings)
    return budget.amount, budget.source
