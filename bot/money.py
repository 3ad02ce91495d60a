"""Exact money: amounts are integer nano-dollars (1e-9 USD) in storage and Decimal dollars in reports.

Provider amounts arrive as Anthropic decimal strings of cents and OpenAI numbers (or strings) of dollars
with float noise. Both are parsed with Decimal and quantized once, on ingest, to nano-dollars; from there
every sum is integer arithmetic, in Python and in SQLite alike. Rounding to cents happens only for display.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation

NANO_PER_USD = 1_000_000_000
_NANO = Decimal(NANO_PER_USD)
_CENT = Decimal("0.01")


class AmountError(ValueError):
    """An amount that is not a finite decimal number."""


def parse_decimal(value: object) -> Decimal:
    """A finite Decimal from an int, float or numeric string; anything else raises AmountError."""
    if isinstance(value, bool) or value is None:
        raise AmountError(f"not a number: {value!r}")
    if isinstance(value, int | float | str):
        try:
            # str() of a float is its shortest round-trip repr, so 0.1 stays "0.1", not 0.1000000000000000055...
            number = Decimal(str(value).strip())
        except InvalidOperation:
            raise AmountError(f"not a number: {value!r}") from None
        if not number.is_finite():
            raise AmountError(f"not a finite number: {value!r}")
        return number
    raise AmountError(f"not a number: {value!r}")


# No single provider cost row comes near $1 billion; a larger one is garbage, and summing such rows would
# overflow SQLite's 64-bit integers.
MAX_ROW_NANO = 10**18


def row_nano(nano: int) -> int:
    """`nano` when it is a believable amount for one cost row; AmountError otherwise."""
    if abs(nano) > MAX_ROW_NANO:
        raise AmountError(f"out of range: {nano} nano-dollars")
    return nano


def usd_to_nano(usd: Decimal) -> int:
    return int((usd * _NANO).to_integral_value(rounding=ROUND_HALF_EVEN))


def cents_to_nano(cents: Decimal) -> int:
    return int((cents * _NANO / 100).to_integral_value(rounding=ROUND_HALF_EVEN))


def nano_to_usd(nano: int) -> Decimal:
    """Exact dollars; trailing zeros stripped so JSON shows 812.4, not 812.400000000."""
    value = Decimal(nano) / _NANO
    return value.normalize() if value else Decimal(0)


def fmt_usd(usd: Decimal) -> str:
    """Display form, rounded to the cent: $1,093.17 (negative as -$3.20)."""
    cents = usd.quantize(_CENT, rounding=ROUND_HALF_EVEN)
    sign = "-" if cents < 0 else ""
    return f"{sign}${abs(cents):,.2f}"


def pct_change(current: Decimal, previous: Decimal) -> Decimal | None:
    """Percent change rounded to 2 places; None when there is nothing to compare against."""
    if previous == 0:
        return None
    return ((current - previous) * 100 / previous).quantize(_CENT, rounding=ROUND_HALF_EVEN)
