"""Money is an integer amount of minor units plus an ISO 4217 currency code; never a float.

Every amount column is a BIGINT of minor units (cents for USD, yen for JPY) next to
a three-letter currency column.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import lru_cache

from babel.numbers import format_currency, get_currency_precision, list_currencies

MAX_AMOUNT = 10**12  # one trillion minor units: far above any real price, far below BIGINT


@lru_cache(maxsize=1)
def _iso_currencies() -> frozenset[str]:
    return frozenset(code for code in list_currencies() if len(code) == 3 and code.isalpha())


def is_currency(code: str) -> bool:
    return code in _iso_currencies()


def from_major(amount: int, currency: str) -> int:
    """A whole amount of major units (10 → 10.00) in minor units of ``currency`` (1000 USD cents, 10 yen)."""
    return amount * 10 ** get_currency_precision(currency)


def parse_major(text: str, currency: str) -> int:
    """What a person types ("49", "49.90", "1,299.00") in minor units of ``currency``; ValueError
    for anything else, a negative amount, or more decimals than the currency has."""
    try:
        amount = Decimal(text.strip().replace(",", ""))
    except InvalidOperation:
        raise ValueError("not an amount") from None
    minor = amount.scaleb(get_currency_precision(currency))
    if not amount.is_finite() or amount < 0 or minor != minor.to_integral_value():
        raise ValueError(f"not an amount of {currency}")
    return int(minor)


def allocate(amount: int, weights: list[int]) -> list[int]:
    """Split ``amount`` (minor units, or units) in proportion to ``weights``, as whole numbers
    that add up to exactly ``amount``: each part is rounded down, and what rounding left goes
    one unit at a time to the largest remainders (ties to the earlier part). All zeros when
    the weights are. A negative amount is split as its opposite."""
    total = sum(weights)
    if total == 0 or amount == 0:
        return [0] * len(weights)
    if weights.count(0) == len(weights) - 1:  # one weight takes it all (a last-click split)
        return [amount if weight else 0 for weight in weights]
    sign, amount = (-1, -amount) if amount < 0 else (1, amount)
    parts, remainders = [], []
    for weight in weights:
        part, rest = divmod(amount * weight, total)
        parts.append(part)
        remainders.append(rest)
    left = amount - sum(parts)
    if left:  # (a stable sort, reversed, keeps the earlier of equal remainders first)
        for index in sorted(range(len(weights)), key=remainders.__getitem__, reverse=True)[:left]:
            parts[index] += 1
    return [sign * part for part in parts] if sign < 0 else parts


def major_text(amount: int, currency: str) -> str:
    """Minor units as a plain number people can edit: 4990 USD → "49.90", 500 JPY → "500"."""
    return str(Decimal(amount).scaleb(-get_currency_precision(currency)))


def format_money(amount: int, currency: str, locale: str = "en_US") -> str:
    """Minor units as people read them: 4900 USD → "$49.00", 500 JPY → "¥500"."""
    major = Decimal(amount).scaleb(-get_currency_precision(currency))
    return format_currency(major, currency, locale=locale)
