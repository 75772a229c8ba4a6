"""Partner banks and their circuit breaker on the non-performing ratio."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from common.audit import save_with_audit
from loans.models import (
    LENT_STATUSES,
    NON_PERFORMING_STATUSES,
    Bank,
    LoanApplication,
)
from loans.services.base import CENT, _is_staff_with

if TYPE_CHECKING:
    from common.types import User


def bank_npl_ratio(bank: Bank) -> Decimal:
    """Outstanding principal of non-performing loans over that of every loan lent, in %."""
    rows = (
        LoanApplication.objects.filter(bank=bank, status__in=LENT_STATUSES)
        .values("status")
        .annotate(outstanding=Sum(F("approved_amount") - F("repaid_principal")))
    )
    lent = sum((row["outstanding"] or Decimal(0) for row in rows), Decimal(0))
    bad = sum(
        (
            row["outstanding"] or Decimal(0)
            for row in rows
            if row["status"] in NON_PERFORMING_STATUSES
        ),
        Decimal(0),
    )
    if lent <= 0:
        return Decimal(0)
    return (bad * 100 / lent).quantize(CENT, rounding=ROUND_HALF_UP)


@transaction.atomic
def bank_circuit_breaker_refresh(*, bank: Bank | None, acting_user: User) -> Bank | None:
    """Recompute the bank's non-performing ratio and pause it above its threshold (a loan
    not yet forwarded has no bank: nothing to do)."""
    if bank is None:
        return None
    return _circuit_breaker_refresh(bank=bank, acting_user=acting_user)


def _circuit_breaker_refresh(*, bank: Bank, acting_user: User) -> Bank:
    bank = Bank.objects.select_for_update().get(pk=bank.pk)
    ratio = bank_npl_ratio(bank)
    paused = ratio > bank.npl_threshold_pct
    reason = (
        _("non-performing ratio %(ratio)s%% is above the threshold of %(threshold)s%%")
        % {"ratio": ratio, "threshold": bank.npl_threshold_pct}
        if paused
        else ""
    )
    if (bank.npl_ratio_pct, bank.paused, bank.paused_reason) != (ratio, paused, reason):
        bank.npl_ratio_pct, bank.paused, bank.paused_reason = ratio, paused, reason
        save_with_audit(bank, acting_user=acting_user, reason="circuit breaker")
    return bank


@transaction.atomic
def bank_save(*, bank: Bank, acting_user: User) -> Bank:
    """Create or change a partner bank (staff), then re-check its circuit breaker."""
    if not (
        _is_staff_with(acting_user, "loans.change_bank")
        or _is_staff_with(acting_user, "loans.add_bank")
    ):
        raise PermissionDenied(_("Only bureau staff may change partner banks."))
    save_with_audit(bank, acting_user=acting_user, reason="saved")
    return _circuit_breaker_refresh(bank=bank, acting_user=acting_user)
