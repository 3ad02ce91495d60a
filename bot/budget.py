"""The monthly budget in force: the one set from Slack (a store setting) wins over AISPEND_MONTHLY_BUDGET_USD.

One reading for the CLI, the Slack answers and the alert rules, so they can never disagree about the budget.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Protocol

from bot.config import Settings
from bot.errors import StoreError

BUDGET_KEY = "budget_usd"


class SettingsReader(Protocol):
    def get_setting(self, key: str) -> str | None: ...


def current_budget(store: SettingsReader, settings: Settings) -> tuple[Decimal | None, str | None]:
    """The monthly budget and where it comes from; a malformed stored value is an error with the fix."""
    stored = store.get_setting(BUDGET_KEY)
    if stored is not None:
        try:
            value = Decimal(stored)
        except InvalidOperation:
            value = Decimal(0)
        if not value.is_finite() or value <= 0:
            raise StoreError(
                f"The budget stored in the database ({stored!r}) is not a positive amount: "
                "set it again with `/aispend budget set <usd>`, or remove it with `/aispend budget clear`."
            )
        return value, "Set from Slack with `/aispend budget set`."
    if settings.monthly_budget_usd is not None:
        return settings.monthly_budget_usd, "From AISPEND_MONTHLY_BUDGET_USD."
    return None, None
