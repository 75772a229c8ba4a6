"""The yearly high-tech recognition pipeline: recommended in a numbered batch, passed the
municipal preliminary review, recognised (drafting the reward claim) or not.

Each step runs on the one workflow mechanism (`common.workflow`, the table in
`subsidies.workflows.recognition`): the row locked alone, the table and the actor checked,
the record written and the enterprise and the next actors notified (outbox rows).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from common.audit import save_with_audit
from common.workflow import lock, move, require_step
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
from subsidies.workflows.recognition import HIGH_TECH_APPLICATION

if TYPE_CHECKING:
    from common.types import User

# ------------------------------------------------------------- high-tech recognition


ApplicationStatus = HighTechApplication.Status


def _lock_for(
    application: HighTechApplication, target: str, acting_user: User
) -> HighTechApplication:
    """The application, locked alone, once the table has the step and the actor may make it."""
    locked = lock(HIGH_TECH_APPLICATION, application, related=("enterprise",))
    require_step(HIGH_TECH_APPLICATION, locked, target, acting_user)
    return locked


def high_tech_application_check_new(*, enterprise: Enterprise, year: int) -> None:
    """Refuse a second application of `enterprise` for `year` (ValidationError at
    "enterprise"). Reads only, so a form can show the refusal before anything is saved."""
    if HighTechApplication.objects.filter(enterprise=enterprise, year=year).exists():
        raise ValidationError(
            {
                "enterprise": _("This enterprise is already recommended for %(year)s.")
                % {"year": year}
            }
        )


@transaction.atomic
def high_tech_application_recommend(
    *,
    enterprise: Enterprise,
    year: int,
    batch_number: int,
    recommended_on: dt.date,
    acting_user: User,
) -> HighTechApplication:
    """Staff recommend an enterprise for recognition in a numbered batch of the year."""
    _require_staff(acting_user, "subsidies.add_hightechapplication")
    high_tech_application_check_new(enterprise=enterprise, year=year)
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


@transaction.atomic
def high_tech_application_pass_preliminary(
    *, application: HighTechApplication, acting_user: User, note: str = ""
) -> HighTechApplication:
    """The municipal preliminary review passed the application; the enterprise is told."""
    locked = _lock_for(application, ApplicationStatus.PRELIMINARY_PASSED, acting_user)
    move(
        HIGH_TECH_APPLICATION,
        locked,
        ApplicationStatus.PRELIMINARY_PASSED,
        acting_user=acting_user,
        note=note,
    )
    return locked


@transaction.atomic
def high_tech_application_reject(
    *, application: HighTechApplication, reason: str, acting_user: User
) -> HighTechApplication:
    """The application was not recognised (at preliminary review or in the end); the
    enterprise is told the reason."""
    locked = _lock_for(application, ApplicationStatus.NOT_RECOGNISED, acting_user)
    reason = _reason(reason)
    move(
        HIGH_TECH_APPLICATION,
        locked,
        ApplicationStatus.NOT_RECOGNISED,
        acting_user=acting_user,
        note=reason,
    )
    return locked


@transaction.atomic
def high_tech_application_recognise(
    *, application: HighTechApplication, certificate: HighTechCertificate, acting_user: User
) -> SubsidyClaim | None:
    """Link the certificate and draft the matching reward claim (new or re-recognition) for
    the enterprise to confirm; the enterprise is told. Returns the drafted claim, or None
    when that year has no policy of the programme or the enterprise already claims it."""
    locked = _lock_for(application, ApplicationStatus.RECOGNISED, acting_user)
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
    move(
        HIGH_TECH_APPLICATION,
        locked,
        ApplicationStatus.RECOGNISED,
        acting_user=acting_user,
        note=certificate.number,
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
        or not SubsidyPolicy.objects.published().filter(code=programme, year=locked.year).exists()
    ):
        return None
    return subsidy_claim_draft(
        programme=programme, year=locked.year, enterprise=locked.enterprise, acting_user=acting_user
    )
