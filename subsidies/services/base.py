"""What every subsidies service shares: who may act, locking a claim and moving it along its
workflow (`subsidies.workflows.claims`), and the rules a claim is computed and checked by."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from common.workflow import lock, move
from enterprises.models import Enterprise
from incubators.models import Incubator
from subsidies import eligibility
from subsidies.models import (
    Programme,
    RDAudit,
    SubsidyClaim,
    SubsidyPolicy,
)
from subsidies.workflows.claims import CLAIM

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
    """The claim's row, locked alone, with what its checks and emails read."""
    return lock(CLAIM, claim, related=("policy", "enterprise", "incubator"))


def _step(claim: SubsidyClaim, target: str, *, acting_user: Any, note: str = "") -> SubsidyClaim:
    """Move a locked, checked claim to `target`: saved (full_clean), the step recorded and
    the next actors' notifications written in this transaction (common.workflow.move)."""
    move(CLAIM, claim, target, acting_user=acting_user, note=note)
    return claim


# --------------------------------------------------------------------------------- claims


def _policy_for(programme: str, year: int) -> SubsidyPolicy:
    # Claims are made against the published version only; a draft is staff's what-if.
    policy = (
        SubsidyPolicy.objects.published()
        .filter(code=programme, year=year)
        .prefetch_related("windows")
        .first()
    )
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
    certificate = claim.certificate
    if certificate is not None and others.filter(certificate=certificate.pk).exists():
        raise ValidationError(
            _("Certificate %(number)s is already rewarded by another claim.")
            % {"number": certificate.number}
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
