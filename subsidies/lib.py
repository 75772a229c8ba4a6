"""Pure rules of the subsidy programmes (no Django): the R&D audit caps and money rounding."""

from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
ZERO = Decimal("0.00")

# The basis an audit states, and how far "other related costs" may go on it.
BASIS_TAX = "tax"  # tax super-deduction: other ≤ 10/90 of the first five categories
BASIS_HIGH_TECH = "high_tech"  # high-tech recognition: other ≤ 20% of the total


def cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def other_cap(*, basis: str, first_five: Decimal) -> Decimal:
    """The most "other related costs" may count for, given the first five categories.

    On the high-tech basis other ≤ 20% × (first five + other), that is other ≤ first five / 4.
    Rounded down to the cent, so the allowed amount never exceeds the rule.
    """
    if basis == BASIS_TAX:
        cap = first_five * Decimal(10) / Decimal(90)
    elif basis == BASIS_HIGH_TECH:
        cap = first_five / Decimal(4)
    else:
        raise ValueError(f"unknown basis {basis!r}")
    return cap.quantize(CENT, rounding=ROUND_DOWN)


def audited_eligible(*, basis: str, first_five: Decimal, other: Decimal) -> tuple[Decimal, Decimal]:
    """(other allowed, eligible total) with the basis' cap applied to `other`."""
    allowed = min(other, other_cap(basis=basis, first_five=first_five))
    return allowed, first_five + allowed


def rate_with_cap(*, base: Decimal, rate: Decimal, cap: Decimal | None) -> Decimal:
    """rate × base in yuan to the cent, never above `cap` (when there is one)."""
    amount = cents(base * rate)
    return min(amount, cap) if cap is not None else amount


def percent(rate: Decimal) -> str:
    """A rate as policy documents write it, without trailing zeros: 0.1 is "10%", 0.125
    "12.5%"."""
    text = f"{rate * 100:f}"
    if "." in text:  # trailing zeros of the fraction only: a rate of 1 is "100%"
        text = text.rstrip("0").rstrip(".")
    return text + "%"
