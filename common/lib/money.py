"""Money: Decimal yuan everywhere; official lists speak 万元 (10,000 yuan).

Every page, email and message shows an amount through `format_yuan` (or, on a page that
says it is in 万元, `format_wan_grouped`); the template filters `yuan` and `wan`
(common/templatetags/money.py) call them. `format_wan` is the plain text of official lists.
"""

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

WAN = Decimal(10000)
CENT = Decimal("0.01")
MAX_WAN_PLACES = 6


class AmountError(ValueError):
    pass


# What a list means by a number: ASCII digits, an optional sign and decimal point. Python's
# Decimal() and int() also take "1_000", "1e3", "NaN" and full-width digits; a list never
# means those, and "1_000" read as 1000 hides a typing slip.
_PLAIN_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
_PLAIN_INTEGER = re.compile(r"[+-]?[0-9]+")


def decimal_from_text(text: str) -> Decimal:
    """A Decimal from plain decimal notation only; anything else raises AmountError."""
    if not _PLAIN_DECIMAL.fullmatch(text):
        raise AmountError(text)
    return Decimal(text)


def int_from_text(text: str) -> int:
    """An int from ASCII digits with an optional sign only; anything else raises ValueError."""
    if not _PLAIN_INTEGER.fullmatch(text):
        raise ValueError(text)
    return int(text)


def wan_to_yuan(raw: object) -> Decimal:
    """Exact conversion of a 万元 amount (text, int or Decimal) to yuan with two decimals.

    Floats from spreadsheet cells go through their shortest repr, never binary arithmetic:
    65.37 万元 is exactly 653,700.00 yuan. More than six decimals in 万元 is an error.
    """
    if isinstance(raw, bool):
        raise AmountError(raw)
    try:
        if isinstance(raw, float):
            wan = Decimal(repr(raw))  # may be '1e-05': the float's own shortest form
        elif isinstance(raw, int | Decimal):
            wan = Decimal(raw)
        else:
            wan = decimal_from_text(str(raw).strip().replace(",", ""))
    except InvalidOperation as exc:
        raise AmountError(raw) from exc
    if not wan.is_finite():
        raise AmountError(raw)
    if wan.as_tuple().exponent < -MAX_WAN_PLACES:  # type: ignore[operator]
        raise AmountError(raw)
    return (wan * WAN).quantize(CENT)


def yuan_to_wan(yuan: Decimal) -> Decimal:
    """Yuan to 万元, normalised without trailing zeros (653700.00 -> 65.37)."""
    wan = (Decimal(yuan) / WAN).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
    normal = wan.normalize()
    # normalize() may give an exponent form such as 1E+1; fix it to plain notation.
    return normal.quantize(Decimal(1)) if normal == normal.to_integral() else normal


def format_wan(yuan: Decimal | None) -> str:
    """'65.37' style text for a yuan amount, as official lists show it."""
    if yuan is None:
        return ""
    return f"{yuan_to_wan(yuan):f}"


def format_yuan(yuan: Decimal | int | None) -> str:
    """'1,113,333.33': yuan with thousands separators and two decimals, half up; '' for None.

    Comma grouping is what Chinese uses too, so it does not depend on the locale or on
    USE_THOUSAND_SEPARATOR (which would also group ids and years in templates).
    """
    if yuan is None:
        return ""
    amount = Decimal(yuan).quantize(CENT, rounding=ROUND_HALF_UP)
    return f"{_unsigned_zero(amount):,.2f}"


def format_wan_grouped(yuan: Decimal | int | None) -> str:
    """'1,234.5' for 12,345,000 yuan: 万元 as official lists write it (`format_wan`: exact to
    the cent, no trailing zeros, so '200' and '65.37'), with thousands separators."""
    if yuan is None:
        return ""
    wan = yuan_to_wan(Decimal(yuan))
    places = max(0, -wan.as_tuple().exponent)  # type: ignore[operator]
    return f"{_unsigned_zero(wan):,.{places}f}"


def _unsigned_zero(amount: Decimal) -> Decimal:
    # -0.004 rounds to a negative zero, which would print as "-0.00".
    return amount if amount else abs(amount)
