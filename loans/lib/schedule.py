"""A loan's repayment schedule, as plain data (no Django).

The knowledge-value credit loan is repaid the way the partner banks' product sheets state it:
interest every month on the principal, the whole principal at maturity (按月付息、到期还本).
Instalment k falls due k months after disbursement, on the same day of the month (the last
day of a shorter month); the last one, at maturity, carries the principal. Each month's
interest is principal × annual rate ÷ 12, rounded half-up to the cent.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")


@dataclass(frozen=True)
class Instalment:
    number: int
    due_on: dt.date
    principal: Decimal
    interest: Decimal

    @property
    def total(self) -> Decimal:
        return self.principal + self.interest


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved by `months` calendar months, kept within the target month (Jan 31 + 1 →
    Feb 28 or 29)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def maturity(disbursed_on: dt.date, term_months: int) -> dt.date:
    return add_months(disbursed_on, term_months)


def monthly_interest(principal: Decimal, annual_rate_pct: Decimal) -> Decimal:
    return (principal * annual_rate_pct / Decimal(1200)).quantize(CENT, rounding=ROUND_HALF_UP)


def interest_monthly_principal_at_maturity(
    *, principal: Decimal, annual_rate_pct: Decimal, term_months: int, disbursed_on: dt.date
) -> list[Instalment]:
    """The instalments of a loan of `principal` yuan disbursed on `disbursed_on`."""
    if principal <= 0 or annual_rate_pct <= 0 or term_months <= 0:
        raise ValueError("principal, rate and term must be positive")
    interest = monthly_interest(principal, annual_rate_pct)
    return [
        Instalment(
            number=k,
            due_on=add_months(disbursed_on, k),
            principal=principal if k == term_months else Decimal("0.00"),
            interest=interest,
        )
        for k in range(1, term_months + 1)
    ]


def first_unpaid(
    instalments: list[Instalment], *, principal_paid: Decimal, interest_paid: Decimal
) -> Instalment | None:
    """The earliest instalment not covered by what was paid (payments settle the oldest
    instalment first, interest and principal each against their own dues)."""
    principal_due = interest_due = Decimal(0)
    for instalment in sorted(instalments, key=lambda i: i.due_on):
        principal_due += instalment.principal
        interest_due += instalment.interest
        if principal_due > principal_paid or interest_due > interest_paid:
            return instalment
    return None
