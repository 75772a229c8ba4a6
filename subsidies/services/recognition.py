"""The yearly high-tech recognition pipeline: recommended in a numbered batch, passed the
municipal preliminary review, recognised (drafting the reward claim) or not."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from common.audit import save_with_audit
from enterprises.models import Enterprise, HighTechCertificate
from subsidies.models import (
    HighTechApplication,
    HighTechApplicationStatusChange,
    Programme,
    SubsidyClaim,
    SubsidyPolicy,
)
from subsidies.services.base import (
    Status,
    _reason,
    _require_staff,
    _user,
)
from subsidies.services.claims import subsidy_claim_draft

# ------------------------------------------------------------- high-tech recognition


ApplicationStatus = HighTechApplication.Status


def _move_application(
    application: HighTechApplication, target: str, *, acting_user: Any, note: str = ""
) -> HighTechApplication:
    if not application.can_become(target):
        raise ValidationError(
            _("This application is %(status)s and cannot become %(target)s.")
            % {
                "status": application.get_status_display(),
                "target": ApplicationStatus(target).label,
            }
        )
    from_status = application.status
    application.status = target
    save_with_audit(application, acting_user=acting_user, reason=f"{from_status} → {target}")
    HighTechApplicationStatusChange.objects.create(
        application=application,
        from_status=from_status,
        to_status=target,
        note=note,
        acting_user=_user(acting_user),
    )
    return application


def _require_application_staff(acting_user: Any) -> None:
    _require_staff(acting_user, "subsidies.change_hightechapplication")


@transaction.atomic
def high_tech_application_recommend(
    *,
    enterprise: Enterprise,
    year: int,
    batch_number: int,
    recommended_on: dt.date,
    acting_user: Any,
) -> HighTechApplication:
    """Staff recommend an enterprise for recognition in a numbered batch of the year."""
    _require_staff(acting_user, "subsidies.add_hightechapplication")
    if HighTechApplication.objects.filter(enterprise=enterprise, year=year).exists():
        raise ValidationError(
            {
                "enterprise": _("This enterprise is already recommended for %(year)s.")
                % {"year": year}
            }
        )
    application = HighTechApplication(
        enterprise=enterprise, year=year, batch_number=batch_number, recommended_on=recommended_on
    )
    save_with_audit(application, acting_user=acting_user, reason="recommended")
    HighTechApplicationStatusChange.objects.create(
        application=application,
        to_status=ApplicationStatus.RECOMMENDED,
        acting_user=_user(acting_user),
    )
    return application


def _lock_application(application: HighTechApplication) -> HighTechApplication:
    return (
        HighTechApplication.objects.select_for_update(of=("self",))
        .select_related("enterprise")
        .get(pk=application.pk)
    )


@transaction.atomic
def high_tech_application_pass_preliminary(
    *, application: HighTechApplication, acting_user: Any
) -> HighTechApplication:
    """The municipal preliminary review passed the application."""
    _require_application_staff(acting_user)
    locked = _lock_application(application)
    return _move_application(locked, ApplicationStatus.PRELIMINARY_PASSED, acting_user=acting_user)


@transaction.atomic
def high_tech_application_reject(
    *, application: HighTechApplication, reason: str, acting_user: Any
) -> HighTechApplication:
    """The application was not recognised (at preliminary review or in the end)."""
    _require_application_staff(acting_user)
    locked = _lock_application(application)
    reason = _reason(reason)
    return _move_application(
        locked, ApplicationStatus.NOT_RECOGNISED, acting_user=acting_user, note=reason
    )


@transaction.atomic
def high_tech_application_recognise(
    *, application: HighTechApplication, certificate: HighTechCertificate, acting_user: Any
) -> SubsidyClaim | None:
    """Link the certificate and draft the matching reward claim (new or re-recognition) for
    the enterprise to confirm. Returns the drafted claim, or None when that year has no
    policy of the programme or the enterprise already claims it."""
    _require_application_staff(acting_user)
    locked = _lock_application(application)
    if certificate.enterprise_id != locked.enterprise_id:
        raise ValidationError({"certificate": _("The certificate is another enterprise's.")})
    if certificate.issued_on.year != locked.year:
        raise ValidationError(
            {
                "certificate": _("The certificate was not issued in %(year)s.")
                % {"year": locked.year}
            }
        )
    locked.certificate = certificate
    _move_application(
        locked, ApplicationStatus.RECOGNISED, acting_user=acting_user, note=certificate.number
    )
    programme = (
        Programme.HTE_NEW
        if certificate.kind == HighTechCertificate.Kind.NEW
        else Programme.HTE_RENEWAL
    )
    exists = SubsidyClaim.objects.filter(
        Q(certificate=certificate)
        | Q(enterprise=locked.enterprise, programme=programme, year=locked.year),
    ).exclude(status=Status.REJECTED)
    if (
        exists.exists()
        or not SubsidyPolicy.objects.filter(code=programme, year=locked.year).exists()
    ):
        return None
    return subsidy_claim_draft(
        programme=programme, year=locked.year, enterprise=locked.enterprise, acting_user=acting_user
    )
