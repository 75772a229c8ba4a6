"""How figures read in Chinese (or English): counts with separators, money in 万元 / 亿元."""

from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from portal.statistics.lib import Change, number
from portal.statistics.sections.base import Kind

WAN = Decimal(10_000)
YI = Decimal(100_000_000)


def _grouped(amount: Decimal, places: int) -> str:
    quantum = Decimal(1).scaleb(-places)
    return f"{amount.quantize(quantum, rounding=ROUND_HALF_UP):,.{places}f}"


def money_display(yuan: Decimal) -> str:
    """Amounts of a hundred million yuan and more in 亿元, the rest in 万元, two decimals."""
    if abs(yuan) >= YI:
        return _("%(amount)s hundred million yuan") % {"amount": _grouped(yuan / YI, 2)}
    return _("%(amount)s ten thousand yuan") % {"amount": _grouped(yuan / WAN, 2)}


def figure_display(kind: Kind, value: object) -> str:
    amount = number(value)
    if amount is None:
        return "—"
    if kind == Kind.MONEY:
        return money_display(amount)
    if kind == Kind.PERCENT:
        return f"{_grouped(amount, 2)}%"
    if kind == Kind.NUMBER:
        return str(value)
    return _grouped(amount, 0)


def change_display(kind: Kind, change: Change | None) -> str:
    """'+12 (+3.4%)', '−3.20 万元 (−1.0%)', '0' or '—' when there is nothing to compare."""
    if change is None:
        return "—"
    if not change.delta:
        return "0"
    if kind == Kind.PERCENT:
        # A change of a percentage is in percentage points, not a percentage of it.
        return _("%(delta)s points") % {"delta": _signed(_grouped(change.delta, 2), change.delta)}
    if kind == Kind.MONEY:
        text = money_display(abs(change.delta))
    else:
        text = _grouped(abs(change.delta), 0)
    text = _signed(text, change.delta, absolute=True)
    if change.percent is not None and change.delta:
        text += f" ({_signed(f'{abs(change.percent)}%', change.percent, absolute=True)})"
    return text


def _signed(text: str, delta: Decimal, *, absolute: bool = False) -> str:
    if delta > 0:
        return f"+{text}"
    if delta < 0:
        return f"−{text}" if absolute else text.replace("-", "−", 1)
    return text
