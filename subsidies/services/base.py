"""What every subsidies service shares: who may act, locking a claim, moving it along the
transition table with its record and email, and the rules a claim is computed and checked by."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from common.audit import save_with_audit
from enterprises.models import Enterprise
from incubators.models import Incubator
from subsidies import eligibility
from subsidies.models import (
    Programme,
    RDAudit,
    SubsidyClaim,
    SubsidyClaimStatusChange,
    SubsidyPolicy,
)

Status = SubsidyClaim.Status


# ---------------------------------------------------------------------------- who may act


def _user(acting_user: Any) -> Any:
    return acting_user if getattr(acting_user, "pk", None) else None


def _is_staff_with(acting_user: Any, permission: str) -> bool:
    return bool(
        getattr(acting_user, "is_staff", False)
        and getattr(acting_user, "is_active", False)
        and acting_user.has_perm(permission)
    )


def _require_staff(acting_user: Any, permission: str = "subsidies.change_subsidyclaim") -> None:
    if not _is_staff_with(acting_user, permission):
        raise PermissionDenied(_("Only bureau staff handling subsidies may do this."))


def _require_finance(acting_user: Any) -> None:
    if not _is_staff_with(acting_user, "subsidies.change_paymentbatch"):
        raise PermissionDenied(_("Only finance may handle payment batches."))


def acts_for_claimant(
    acting_user: Any, *, enterprise: Enterprise | None, incubator: Incubator | None
) -> bool:
    """An approved user of the claiming enterprise, or an approved operator of the carrier."""
    if getattr(acting_user, "link_status", "") != "approved":
        return False
    if incubator is not None:
        return getattr(acting_user, "incubator_id", None) == incubator.pk
    return enterprise is not None and getattr(acting_user, "enterprise_id", None) == enterprise.pk


def _require_claimant(acting_user: Any, claim: SubsidyClaim) -> None:
    if not acts_for_claimant(acting_user, enterprise=claim.enterprise, incubator=claim.incubator):
        raise PermissionDenied(_("You may act only on your own organisation's claims."))


def _require_auditor(acting_user: Any, audit: RDAudit) -> None:
    if not (
        getattr(acting_user, "organisation_kind", "") == "audit_firm"
        and getattr(acting_user, "link_status", "") == "approved"
        and getattr(acting_user, "audit_firm_id", None) == audit.firm_id
    ):
        raise PermissionDenied(_("This audit is assigned to another firm."))


# ------------------------------------------------------------------------------- records


def _lock(claim: SubsidyClaim) -> SubsidyClaim:
    return (
        SubsidyClaim.objects.select_for_update(of=("self",))
        .select_related("policy", "enterprise", "incubator")
        .get(pk=claim.pk)
    )


def _check_transition(claim: SubsidyClaim, target: str) -> None:
    if not claim.can_become(target):
        raise ValidationError(
            _("This claim is %(status)s and cannot become %(target)s.")
            % {"status": claim.get_status_display(), "target": Status(target).label}
        )


def _move(
    claim: SubsidyClaim, target: str, *, acting_user: Any, note: str = "", reason: str = ""
) -> SubsidyClaim:
    """Set the status, save (full_clean), record the step and email after commit."""
    from_status = claim.status
    _check_transition(claim, target)
    claim.status = target
    save_with_audit(claim, acting_user=acting_user, reason=reason or f"{from_status} → {target}")
    change = SubsidyClaimStatusChange.objects.create(
        claim=claim,
        from_status=from_status,
        to_status=target,
        note=note,
        acting_user=_user(acting_user),
    )
    _notify_on_commit(change)
    return claim


def _notify_on_commit(change: SubsidyClaimStatusChange) -> None:
    from subsidies.tasks import notify_claim_change

    transaction.on_commit(lambda: notify_claim_change.delay(change.pk))


def claim_change_notify(*, change_id: int) -> int:
    """Email the claimant's approved, active users about one step of their claim.

    Returns the number of recipients; 0 when the step is gone or nobody has an address.
    """
    change = (
        SubsidyClaimStatusChange.objects.select_related(
            "claim__enterprise", "claim__incubator", "claim__policy"
        )
        .filter(pk=change_id)
        .first()
    )
    if change is None:
        return 0
    claim = change.claim
    owner = claim.incubator.operators if claim.incubator_id else claim.enterprise.users
    recipients = sorted(
        {
            user.email
            for user in owner.filter(is_active=True, link_status="approved").exclude(email="")
        }
    )
    if not recipients:
        return 0
    context = {
        "change": change,
        "claim": claim,
        "url": settings.PORTAL_BASE_URL.rstrip("/")
        + reverse("subsidies:claim_detail", args=[claim.pk]),
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("subsidies/email/claim_change_subject.txt", context)
        body = render_to_string("subsidies/email/claim_change.txt", context)
    send_mail(" ".join(subject.split()), body, None, recipients)
    return len(recipients)


# --------------------------------------------------------------------------------- claims


def _policy_for(programme: str, year: int) -> SubsidyPolicy:
    policy = SubsidyPolicy.objects.filter(code=programme, year=year).first()
    if policy is None:
        raise ValidationError(
            {
                "year": _("There is no %(programme)s policy for %(year)s.")
                % {"programme": Programme(programme).label, "year": year}
            }
        )
    return policy


def _check_not_duplicate(claim: SubsidyClaim) -> None:
    same = SubsidyClaim.objects.filter(programme=claim.programme, year=claim.year).exclude(
        status=Status.REJECTED
    )
    same = (
        same.filter(incubator=claim.incubator)
        if claim.incubator_id
        else same.filter(enterprise=claim.enterprise)
    )
    if same.exclude(pk=claim.pk).exists():
        raise ValidationError(
            {
                "year": _("%(claimant)s already has a %(programme)s claim for %(year)s.")
                % {
                    "claimant": claim.claimant,
                    "programme": claim.get_programme_display(),
                    "year": claim.year,
                }
            }
        )


def _check_not_paid_elsewhere(claim: SubsidyClaim) -> None:
    """A claim may not pay for what another already paid (or is paying): the same
    certificate, or rent months overlapping a paid claim's."""
    others = SubsidyClaim.objects.exclude(pk=claim.pk).exclude(status=Status.REJECTED)
    if claim.certificate_id and others.filter(certificate=claim.certificate_id).exists():
        raise ValidationError(
            _("Certificate %(number)s is already rewarded by another claim.")
            % {"number": claim.certificate.number}
        )
    if claim.programme == Programme.RENT and claim.rent_month_from:
        overlapping = others.filter(
            programme=Programme.RENT,
            enterprise=claim.enterprise_id,
            year=claim.year,
            status=Status.PAID,
            rent_month_from__lte=claim.rent_month_to,
            rent_month_to__gte=claim.rent_month_from,
        ).first()
        if overlapping is not None:
            raise ValidationError(
                {
                    "rent_month_from": _(
                        "Months %(start)s–%(end)s of %(year)s overlap a rent subsidy already "
                        "paid (months %(paid_start)s–%(paid_end)s)."
                    )
                    % {
                        "start": claim.rent_month_from,
                        "end": claim.rent_month_to,
                        "year": claim.year,
                        "paid_start": overlapping.rent_month_from,
                        "paid_end": overlapping.rent_month_to,
                    }
                }
            )


def _compute(claim: SubsidyClaim) -> None:
    """Eligible amount, facts and the policy snapshot, from the registry, now."""
    assert claim.policy is not None
    audit = getattr(claim, "audit", None) if claim.pk else None
    result = eligibility.compute(
        policy=claim.policy,
        enterprise=claim.enterprise,
        incubator=claim.incubator,
        months=claim.rent_months(),
        audit=audit,
    )
    claim.eligible_amount = result.amount
    claim.certificate = result.certificate
    claim.computation = {"policy": claim.policy.snapshot(), "facts": result.facts}


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason; the claimant will read it.")})
    return reason
