"""The workflows of subsidy claims and of payment batches (DESIGN §3a), as tables.

A claim is submitted by its claimant (the enterprise, or the carrier for a carrier reward),
taken up by a case handler, audited by the assigned firm when it is an R&D claim, signed in
turn by the handler, the section head and the deputy director (each signature is a state, so
the table knows who signs next), put on public notice, and approved by staff once the system
has ended the notice and every objection is answered (the approval step's guard); finance
batch and pay it. Each step is one service in `subsidies.services`; the services add the
process's own rules (the R&D audit before the handler's signature, one stage per signer, the
notice's length, the budget).

A payment batch is opened, exported for the treasury and marked paid by finance; paying it
moves each of its claims to "paid" through the claim's workflow, so the claimant is told.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from common.workflow import SYSTEM, Permission, Relation, Workflow, register
from subsidies.models import PaymentBatch, SignOff, SubsidyClaim

S = SubsidyClaim.Status
B = PaymentBatch.Status

# -------------------------------------------------------------------------------- actors

# A claim belongs to one claimant: an enterprise, or a carrier (its operator's users).
ENTERPRISE = Relation("enterprise", _("the claiming enterprise"), "enterprise", "enterprise_id")
CARRIER = Relation("carrier", _("the claiming carrier"), "incubator", "incubator_id")
OWNER = (ENTERPRISE, CARRIER)
STAFF = Permission("subsidies.change_subsidyclaim", _("bureau staff handling subsidies"))
HANDLER = Permission(SignOff.STAGE_PERMISSIONS[SignOff.Stage.HANDLER], _("the case handler"))
SECTION_HEAD = Permission(
    SignOff.STAGE_PERMISSIONS[SignOff.Stage.SECTION_HEAD], _("the section head")
)
DEPUTY_DIRECTOR = Permission(
    SignOff.STAGE_PERMISSIONS[SignOff.Stage.DEPUTY_DIRECTOR], _("the deputy director")
)
FINANCE = Permission("subsidies.change_paymentbatch", _("finance"))
AUDITOR = Relation("auditor", _("the assigned audit firm"), "audit_firm", "audit__firm_id")

# The signature each signing step puts on the claim.
SIGNATURES: dict[str, SignOff.Stage] = {
    S.HANDLER_SIGNED: SignOff.Stage.HANDLER,
    S.SECTION_HEAD_SIGNED: SignOff.Stage.SECTION_HEAD,
    S.SIGNED_OFF: SignOff.Stage.DEPUTY_DIRECTOR,
}
# The states a claim may be returned or rejected from by staff, before it is decided.
_UNDECIDED = (
    S.SUBMITTED,
    S.UNDER_REVIEW,
    S.AUDITED,
    S.HANDLER_SIGNED,
    S.SECTION_HEAD_SIGNED,
)


def _claim_steps() -> dict[tuple[str, str], tuple[Any, ...]]:
    steps: dict[tuple[str, str], tuple[Any, ...]] = {
        (S.DRAFT, S.SUBMITTED): OWNER,
        (S.RETURNED, S.SUBMITTED): OWNER,
        (S.SUBMITTED, S.UNDER_REVIEW): (STAFF,),
        (S.UNDER_REVIEW, S.AUDIT_ASSIGNED): (STAFF,),
        (S.AUDIT_ASSIGNED, S.AUDITED): (AUDITOR,),
        # The handler signs a claim under review, or an R&D claim once it is audited.
        (S.UNDER_REVIEW, S.HANDLER_SIGNED): (HANDLER,),
        (S.AUDITED, S.HANDLER_SIGNED): (HANDLER,),
        (S.HANDLER_SIGNED, S.SECTION_HEAD_SIGNED): (SECTION_HEAD,),
        (S.SECTION_HEAD_SIGNED, S.SIGNED_OFF): (DEPUTY_DIRECTOR,),
        (S.SIGNED_OFF, S.IN_NOTICE): (STAFF,),
        # The notice ends by the calendar: a scheduled step.
        (S.IN_NOTICE, S.NOTICE_ENDED): (SYSTEM,),
        (S.NOTICE_ENDED, S.APPROVED): (STAFF,),
        (S.APPROVED, S.IN_BATCH): (FINANCE,),
        (S.IN_BATCH, S.APPROVED): (FINANCE,),
        (S.IN_BATCH, S.PAID): (FINANCE,),
    }
    for source in _UNDECIDED:
        steps[(source, S.RETURNED)] = (STAFF,)
    # Rejection stays open until approval: an audit finding, or an objection upheld.
    for source in (
        *_UNDECIDED,
        S.AUDIT_ASSIGNED,
        S.SIGNED_OFF,
        S.IN_NOTICE,
        S.NOTICE_ENDED,
    ):
        steps[(source, S.REJECTED)] = (STAFF,)
    return steps


def _no_open_objection(claim: SubsidyClaim) -> str:
    """A claim is approved only once every objection to it is answered."""
    waiting = claim.objections.filter(answered_on__isnull=True).count()
    if not waiting:
        return ""
    return str(
        ngettext(
            "%(count)d objection to this claim is not answered yet; answer it before approving.",
            "%(count)d objections to this claim are not answered yet; answer them before "
            "approving.",
            waiting,
        )
        % {"count": waiting}
    )


def _claim_page(claim: SubsidyClaim) -> str:
    return reverse("subsidies:claim_detail", args=[claim.pk])


def _audit_page(claim: SubsidyClaim) -> str:
    return reverse("subsidies:audit_detail", args=[claim.audit.pk])


def _claim_title(claim: SubsidyClaim) -> str:
    return f"#{claim.pk} {claim}"


CLAIM = register(
    Workflow(
        name="subsidy_claim",
        label=_("subsidy claim"),
        model="subsidies.SubsidyClaim",
        states=S,
        steps=_claim_steps(),
        next={
            S.DRAFT: OWNER,
            S.SUBMITTED: (STAFF,),
            S.UNDER_REVIEW: (STAFF,),
            S.AUDIT_ASSIGNED: (AUDITOR,),
            S.AUDITED: (HANDLER,),
            S.HANDLER_SIGNED: (SECTION_HEAD,),
            S.SECTION_HEAD_SIGNED: (DEPUTY_DIRECTOR,),
            S.SIGNED_OFF: (STAFF,),
            S.NOTICE_ENDED: (STAFF,),
            S.APPROVED: (FINANCE,),
            S.RETURNED: OWNER,
        },
        # The claimant hears of every step it heard of before the workflow core: each change
        # of status but the bureau's internal signatures and the notice's end.
        tell=dict.fromkeys(
            (
                S.SUBMITTED,
                S.UNDER_REVIEW,
                S.AUDIT_ASSIGNED,
                S.AUDITED,
                S.SIGNED_OFF,
                S.IN_NOTICE,
                S.APPROVED,
                S.IN_BATCH,
                S.PAID,
                S.REJECTED,
            ),
            OWNER,
        ),
        record="subsidies.SubsidyClaimStatusChange",
        record_fk="claim",
        links={
            ENTERPRISE.key: _claim_page,
            CARRIER.key: _claim_page,
            AUDITOR.key: _audit_page,
        },
        title=_claim_title,
        # What the title and the links read (the queue joins only these, and the holder).
        related=("enterprise", "incubator", "audit"),
        # The handler who took the claim up acts for staff and signs first; the other
        # signatures and the payment are their own roles' whoever holds the claim.
        holder_field="handler",
        held_actors=(STAFF.key, HANDLER.key),
        guards={(S.NOTICE_ENDED, S.APPROVED): (_no_open_objection,)},
    )
)

BATCH = register(
    Workflow(
        name="payment_batch",
        label=_("payment batch"),
        model="subsidies.PaymentBatch",
        states=B,
        steps={
            (B.OPEN, B.EXPORTED): (FINANCE,),
            (B.EXPORTED, B.PAID): (FINANCE,),
        },
        next={B.OPEN: (FINANCE,), B.EXPORTED: (FINANCE,)},
        record="subsidies.PaymentBatchStatusChange",
        record_fk="batch",
        title=lambda batch: str(batch.number),
    )
)
