"""The exactness rules of money settings, one place for every reader of them (no heavy imports:
the config module uses them at start-up).

Rates have at most 12 decimal places (stored DECIMAL(24, 12); a token cost then needs 18 places,
DECIMAL(38, 18)) and are below 1,000,000. The batch discount has at most 6 places and lies in
(0, 1]; the pricing rule (queries/views/010_pricing.sql) multiplies a serverless rate by it and
rounds the product to the rates' 12 places, half away from zero, wherever it prices: stored usage,
estimates and what-ifs alike.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

RATE_PLACES = 12
MAX_RATE = Decimal(1_000_000)
DISCOUNT_PLACES = 6


def _places(number: Decimal) -> int:
    """Decimal places that carry information (0.5000000 has 1)."""
    return max(0, -number.normalize().as_tuple().exponent) if number else 0


def rate_problem(text: str, unit: str = "per 1M tokens") -> str | None:
    """Why a rate cannot be stored exactly, or None (rate cards and prices given on the command line)."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        return "is not a number"
    if not value.is_finite() or value < 0:
        return "must be a number >= 0"
    if value >= MAX_RATE:
        return f"is not below {MAX_RATE:,} {unit}"
    if -value.as_tuple().exponent > RATE_PLACES:
        rounded = value.quantize(Decimal(1).scaleb(-RATE_PLACES))
        return (f"has more than {RATE_PLACES} decimal places (rates are exact to {RATE_PLACES} places: "
                f"round it, e.g. {rounded})")
    return None


def discount_problem(number: Decimal, shown: object) -> str | None:
    """Why a finite batch discount is refused, or None: it must lie in (0, 1] with at most 6 places."""
    if not Decimal(0) <= number <= Decimal(1):
        return f"must be between 0 and 1, not {shown}"
    if number == 0:
        return "must be above 0, not 0 (a free batch is a batch row with 0 rates on the card)"
    if _places(number) > DISCOUNT_PLACES:
        return f"{shown} has more than {DISCOUNT_PLACES} decimal places"
    return None
