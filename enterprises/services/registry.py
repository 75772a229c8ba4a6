"""Every write to the enterprise registry.

Each service is atomic, validates with full_clean(), and records the acting user in the
audit trail (django-simple-history reads `_history_user` and `_change_reason`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from common.audit import save_with_audit
from common.lib import uscc as uscc_lib
from enterprises.models import AnnualFigures, Enterprise, HighTechCertificate, TechFirmRegistration

if TYPE_CHECKING:
    from common.types import User

# Fields an enterprise user may change on its own profile; the rest is the registry's.
CONTACT_FIELDS = (
    "contact_person",
    "contact_phone",
    "contact_email",
    "address",
    # Where the bureau pays the firm: the firm knows its account best.
    "bank_name",
    "bank_account",
)
FIGURE_FIELDS = (
    "revenue",
    "rd_expenditure",
    "employees",
    "rd_staff",
    "invention_patents",
    "utility_models",
    "software_copyrights",
    "high_end_talent",
    "new_products",
)


def _check_override(*, acting_user: User, code: str, reason: str) -> None:
    if reason and not uscc_lib.is_valid(code) and not acting_user.is_staff:
        raise PermissionDenied(_("Only bureau staff may accept a code that fails the check."))


@transaction.atomic
def enterprise_create(
    *, acting_user: User, uscc: str, name: str, uscc_override_reason: str = "", **fields: Any
) -> Enterprise:
    """Add an enterprise to the registry. A code failing the check needs staff and a reason."""
    code = uscc_lib.normalise(uscc)
    _check_override(acting_user=acting_user, code=code, reason=uscc_override_reason)
    enterprise = Enterprise(
        uscc=code, name=name.strip(), uscc_override_reason=uscc_override_reason, **fields
    )
    save_with_audit(enterprise, acting_user=acting_user, reason="created")
    return enterprise


@transaction.atomic
def enterprise_update(*, enterprise: Enterprise, acting_user: User, **fields: Any) -> Enterprise:
    """Change registry fields (staff). The USCC override rule is checked as on creation."""
    enterprise = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    for name, value in fields.items():
        setattr(enterprise, name, value)
    _check_override(
        acting_user=acting_user,
        code=uscc_lib.normalise(enterprise.uscc),
        reason=enterprise.uscc_override_reason,
    )
    save_with_audit(enterprise, acting_user=acting_user, reason="updated")
    return enterprise


@transaction.atomic
def enterprise_update_contact(
    *, enterprise: Enterprise, acting_user: User, **contact: str
) -> Enterprise:
    """Change the contact and bank fields an enterprise keeps itself; any other field is
    refused. The bank pair is checked by the model (digits, length, both or neither)."""
    unknown = set(contact) - set(CONTACT_FIELDS)
    if unknown:
        raise PermissionDenied(f"Not contact fields: {sorted(unknown)}")
    enterprise = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    for name, value in contact.items():
        setattr(enterprise, name, value.strip())
    save_with_audit(enterprise, acting_user=acting_user, reason="contact updated")
    return enterprise


@transaction.atomic
def enterprise_get_or_create_pending(
    *, uscc: str, name: str, acting_user: User | None
) -> tuple[Enterprise, bool]:
    """The enterprise with this (valid) code, or a new pending record for staff to complete.
    `acting_user` is None when the record comes from a sign-up (nobody is logged in)."""
    code = uscc_lib.validate(uscc)
    existing = Enterprise.objects.filter(uscc=code).first()
    if existing:
        return existing, False
    enterprise = Enterprise(uscc=code, name=name.strip(), status=Enterprise.Status.PENDING)
    save_with_audit(enterprise, acting_user=acting_user, reason="pending record created")
    return enterprise, True


@transaction.atomic
def enterprise_activate(*, enterprise: Enterprise, acting_user: User) -> Enterprise:
    """Staff confirm a pending record as a registry entry."""
    enterprise = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    if enterprise.status != Enterprise.Status.ACTIVE:
        enterprise.status = Enterprise.Status.ACTIVE
        save_with_audit(enterprise, acting_user=acting_user, reason="activated")
    return enterprise


@transaction.atomic
def annual_figures_submit(
    *, enterprise: Enterprise, year: int, acting_user: User, **figures: Decimal | int
) -> AnnualFigures:
    """Create or replace an enterprise's figures for a year, unless staff have locked them."""
    unknown = set(figures) - set(FIGURE_FIELDS)
    if unknown:
        raise ValueError(f"Not annual figures: {sorted(unknown)}")
    record = (
        AnnualFigures.objects.select_for_update().filter(enterprise=enterprise, year=year).first()
    )
    if record is None:
        record = AnnualFigures(enterprise=enterprise, year=year)
    elif record.locked and not acting_user.is_staff:
        raise ValidationError(
            _("The figures for %(year)s are locked by the bureau and can no longer be changed.")
            % {"year": year}
        )
    for name, value in figures.items():
        setattr(record, name, value)
    record.submitted_by = acting_user
    save_with_audit(record, acting_user=acting_user, reason="figures submitted")
    return record


@transaction.atomic
def annual_figures_set_locked(
    *, figures: AnnualFigures, locked: bool, acting_user: User
) -> AnnualFigures:
    """Staff lock (or unlock) a year's figures against edits by the enterprise."""
    record = AnnualFigures.objects.select_for_update().get(pk=figures.pk)
    if record.locked != locked:
        record.locked = locked
        save_with_audit(record, acting_user=acting_user, reason="locked" if locked else "unlocked")
    return record


@transaction.atomic
def tech_firm_registration_remove(
    *, registration: TechFirmRegistration, removed_on: dt.date, acting_user: User
) -> TechFirmRegistration:
    """Record that a firm left the tech-firm database on `removed_on`."""
    record = TechFirmRegistration.objects.select_for_update().get(pk=registration.pk)
    record.removed_on = removed_on
    save_with_audit(record, acting_user=acting_user, reason="removed")
    return record


@transaction.atomic
def high_tech_certificate_revoke(
    *, certificate: HighTechCertificate, revoked_on: dt.date, acting_user: User
) -> HighTechCertificate:
    """Record the revocation of a certificate from `revoked_on`."""
    record = HighTechCertificate.objects.select_for_update().get(pk=certificate.pk)
    record.revoked_on = revoked_on
    save_with_audit(record, acting_user=acting_user, reason="revoked")
    return record
