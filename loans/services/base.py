"""Shared by the loans services: who may act on a loan (the roles a user holds towards it
and what refusals say), cents and today."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, TypeGuard

from django.utils import timezone
from django.utils.translation import gettext as _

from loans.models import (
    LoanApplication,
)
from loans.workflow import Actor

if TYPE_CHECKING:
    from common.types import AnyUser, User

CENT = Decimal("0.01")


def today() -> dt.date:
    """The local date (Asia/Shanghai): what "today" means for every rule."""
    return timezone.localdate()


def _link_approved(user: AnyUser, kind: str) -> TypeGuard[User]:
    return (
        user.is_authenticated
        and user.is_active
        and user.organisation_kind == kind
        and user.link_status == "approved"
    )


def is_enterprise_user_of(user: AnyUser, enterprise_id: int | None) -> bool:
    return _link_approved(user, "enterprise") and user.enterprise_id == enterprise_id


def is_officer_of(user: AnyUser, bank_id: int | None) -> bool:
    return bank_id is not None and _link_approved(user, "bank") and user.bank_id == bank_id


def _is_staff_with(user: AnyUser, perm: str) -> bool:
    return user.is_active and user.is_staff and user.has_perm(perm)


def actor_kinds(user: AnyUser, loan: LoanApplication) -> set[Actor]:
    """The roles `user` holds towards `loan`."""
    kinds: set[Actor] = set()
    if is_enterprise_user_of(user, loan.enterprise_id):
        kinds.add(Actor.ENTERPRISE)
    if is_officer_of(user, loan.bank_id):
        kinds.add(Actor.BANK)
    if _is_staff_with(user, "loans.review_loanapplication"):
        kinds.add(Actor.STAFF)
    if _is_staff_with(user, "loans.pay_compensationclaim"):
        kinds.add(Actor.FINANCE)
    return kinds


_REFUSED = {
    Actor.ENTERPRISE: _("Only the applying enterprise may do this."),
    Actor.STAFF: _("Only bureau staff reviewing loans may do this."),
    Actor.BANK: _("Only an officer of the bank this loan was forwarded to may do this."),
    Actor.FINANCE: _("Only bureau finance staff may pay compensation."),
}
