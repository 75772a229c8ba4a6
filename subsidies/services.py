"""Every write of subsidies: claims and their workflow, sign-offs, public notice and
objections, R&D audits, payment batches and the high-tech recognition pipeline.

Each transition is one service: it locks the row (`select_for_update`), checks the actor's
right and the transition table (`SubsidyClaim.TRANSITIONS`), saves through
`save_with_audit`, writes a status-change record and, once committed, emails the claimant
(a Celery task). Refusals are ValidationError (bad input, keyed by argument names where a
form has the field) or PermissionDenied (wrong actor); nothing is saved in either case.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from enterprises.lib.money import yuan_to_wan
from enterprises.models import Enterprise, HighTechCertificate
from enterprises.services.registry import save_with_audit
from incubators.models import Incubator
from subsidies import eligibility
from subsidies.models import (
    CARRIER_PROGRAMMES,
    AuditFirm,
    ClaimAttachment,
    HighTechApplication,
    HighTechApplicationStatusChange,
    Objection,
    PaymentBatch,
    Programme,
    RDAudit,
    SignOff,
    SubsidyClaim,
    SubsidyClaimStatusChange,
    SubsidyPolicy,
)

Status = SubsidyClaim.Status
# The shortest public notice (公示), counting both the first and the last day.
NOTICE_MIN_DAYS = 5


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


@transaction.atomic
def subsidy_claim_draft(
    *,
    programme: str,
    year: int,
    acting_user: Any,
    enterprise: Enterprise | None = None,
    incubator: Incubator | None = None,
    rent_month_from: int | None = None,
    rent_month_to: int | None = None,
    claimed_amount: Decimal | None = None,
    description: str = "",
) -> SubsidyClaim:
    """Start a claim (the claimant, or staff for it) with its eligible amount computed.

    Refused when the programme has no policy that year, the claimant already has a claim of
    the programme and year, the registry shows nothing due, or it would pay again for what
    another claim paid.
    """
    carrier = programme in CARRIER_PROGRAMMES
    if carrier:
        enterprise = None
    else:
        incubator = None
    if not (
        _is_staff_with(acting_user, "subsidies.add_subsidyclaim")
        or acts_for_claimant(acting_user, enterprise=enterprise, incubator=incubator)
    ):
        raise PermissionDenied(_("You may claim only for your own organisation."))
    if (carrier and incubator is None) or (not carrier and enterprise is None):
        raise ValidationError(_("Choose who claims."))
    policy = _policy_for(programme, year)
    claim = SubsidyClaim(
        programme=programme,
        year=year,
        policy=policy,
        enterprise=enterprise,
        incubator=incubator,
        rent_month_from=rent_month_from if programme == Programme.RENT else None,
        rent_month_to=rent_month_to if programme == Programme.RENT else None,
        claimed_amount=claimed_amount,
        description=description.strip(),
        created_by=_user(acting_user),
    )
    claim.full_clean(exclude=["eligible_amount"], validate_constraints=False)
    # Paying twice for the same rent months is the more telling message, so it comes first.
    _check_not_paid_elsewhere(claim)
    _check_not_duplicate(claim)
    _compute(claim)
    _check_not_paid_elsewhere(claim)
    try:
        with transaction.atomic():
            save_with_audit(claim, acting_user=acting_user, reason="drafted")
    except IntegrityError as exc:  # a concurrent claim of the same programme and year
        raise ValidationError(_("This claim already exists.")) from exc
    change = SubsidyClaimStatusChange.objects.create(
        claim=claim, from_status="", to_status=Status.DRAFT, acting_user=_user(acting_user)
    )
    _notify_on_commit(change)
    return claim


@transaction.atomic
def subsidy_claim_attach(
    *, claim: SubsidyClaim, title: str, file: UploadedFile, acting_user: Any
) -> ClaimAttachment:
    """Add a supporting document while the claimant may still change the claim."""
    locked = _lock(claim)
    _require_claimant(acting_user, locked)
    if not locked.is_editable:
        raise ValidationError(_("Documents can be added only to a draft or returned claim."))
    title = title.strip()
    if not title:
        raise ValidationError({"title": _("Say what the document is.")})
    attachment = ClaimAttachment(
        claim=locked, title=title, file=file, uploaded_by=_user(acting_user)
    )
    save_with_audit(attachment, acting_user=acting_user, reason="attached")
    return attachment


# Programmes whose claims need a supporting document before submission.
NEEDS_DOCUMENTS = (Programme.RENT, Programme.RD_INVESTMENT)


@transaction.atomic
def subsidy_claim_submit(*, claim: SubsidyClaim, acting_user: Any, note: str = "") -> SubsidyClaim:
    """The claimant submits (or confirms a drafted reward, or resubmits a returned claim);
    the eligible amount is computed again from today's registry."""
    locked = _lock(claim)
    _require_claimant(acting_user, locked)
    _check_transition(locked, Status.SUBMITTED)
    if locked.programme in NEEDS_DOCUMENTS and not locked.attachments.exists():
        raise ValidationError(_("Attach the supporting documents before submitting."))
    if locked.policy is not None:
        _compute(locked)
    _check_not_paid_elsewhere(locked)
    locked.submitted_on = timezone.localdate()
    locked.decision_reason = ""
    return _move(locked, Status.SUBMITTED, acting_user=acting_user, note=note.strip())


@transaction.atomic
def subsidy_claim_take_up(*, claim: SubsidyClaim, acting_user: Any) -> SubsidyClaim:
    """Staff start reviewing a submitted claim."""
    _require_staff(acting_user)
    locked = _lock(claim)
    return _move(locked, Status.UNDER_REVIEW, acting_user=acting_user)


def _reason(reason: str) -> str:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason; the claimant will read it.")})
    return reason


@transaction.atomic
def subsidy_claim_return(*, claim: SubsidyClaim, reason: str, acting_user: Any) -> SubsidyClaim:
    """Staff send a claim back for changes, with the reason; its signatures lapse."""
    _require_staff(acting_user)
    locked = _lock(claim)
    reason = _reason(reason)
    _check_transition(locked, Status.RETURNED)
    locked.decision_reason = reason
    for sign_off in locked.sign_offs.all():
        sign_off._history_user = _user(acting_user)  # type: ignore[attr-defined]
        sign_off.delete()
    return _move(locked, Status.RETURNED, acting_user=acting_user, note=reason)


@transaction.atomic
def subsidy_claim_reject(*, claim: SubsidyClaim, reason: str, acting_user: Any) -> SubsidyClaim:
    """Staff reject a claim, with the reason. A rejected claim is final."""
    _require_staff(acting_user)
    locked = _lock(claim)
    reason = _reason(reason)
    _check_transition(locked, Status.REJECTED)
    locked.decision_reason = reason
    return _move(locked, Status.REJECTED, acting_user=acting_user, note=reason)


# -------------------------------------------------------------------------------- audits


@transaction.atomic
def rd_audit_assign(
    *, claim: SubsidyClaim, firm: AuditFirm, acting_user: Any, basis: str = RDAudit.Basis.TAX
) -> RDAudit:
    """Staff assign an R&D claim under review to an audit firm (one audit per claim)."""
    _require_staff(acting_user)
    locked = _lock(claim)
    if not locked.is_rd:
        raise ValidationError(_("Only R&D investment claims are audited."))
    _check_transition(locked, Status.AUDIT_ASSIGNED)
    if not firm.active:
        raise ValidationError({"firm": _("This audit firm no longer takes audits.")})
    if RDAudit.objects.filter(claim=locked).exists():
        raise ValidationError(_("This claim already has its audit."))
    audit = RDAudit(claim=locked, firm=firm, basis=basis, assigned_by=_user(acting_user))
    save_with_audit(audit, acting_user=acting_user, reason="assigned")
    _move(
        locked,
        Status.AUDIT_ASSIGNED,
        acting_user=acting_user,
        note=_("Audit assigned to %(firm)s.") % {"firm": firm.name},
    )
    return audit


def _lock_audit(audit: RDAudit, acting_user: Any) -> RDAudit:
    locked = (
        RDAudit.objects.select_for_update(of=("self",))
        .select_related("claim", "firm")
        .get(pk=audit.pk)
    )
    _require_auditor(acting_user, locked)
    if locked.is_completed or locked.claim.status != Status.AUDIT_ASSIGNED:
        raise ValidationError(_("This audit is completed and can no longer change."))
    return locked


@transaction.atomic
def rd_audit_record(
    *,
    audit: RDAudit,
    acting_user: Any,
    basis: str,
    personnel: Decimal,
    direct_inputs: Decimal,
    depreciation: Decimal,
    amortisation: Decimal,
    design_fees: Decimal,
    other: Decimal,
    findings: str = "",
    report: UploadedFile | None = None,
) -> RDAudit:
    """An auditor of the assigned firm records the audited expenditure by category; the
    basis' cap on "other related costs" is applied. Repeatable until completed."""
    locked = _lock_audit(audit, acting_user)
    amounts = {
        "personnel": personnel,
        "direct_inputs": direct_inputs,
        "depreciation": depreciation,
        "amortisation": amortisation,
        "design_fees": design_fees,
        "other": other,
    }
    errors = {
        name: _("An amount cannot be negative.")
        for name, value in amounts.items()
        if value is None or value < 0
    }
    if errors:
        raise ValidationError(errors)
    for name, value in amounts.items():
        setattr(locked, name, value)
    locked.basis = basis
    locked.findings = findings.strip()
    if report is not None:
        locked.report = report
    locked.recorded_at = timezone.now()
    locked.apply_cap()
    save_with_audit(locked, acting_user=acting_user, reason="recorded")
    return locked


@transaction.atomic
def rd_audit_complete(*, audit: RDAudit, acting_user: Any) -> RDAudit:
    """The auditor hands the audit in: figures and report are final, the claim is audited
    and its eligible amount is the policy rate × the audited expenditure, capped."""
    locked = _lock_audit(audit, acting_user)
    if locked.recorded_at is None or locked.eligible_total <= 0:
        raise ValidationError(_("Record the audited expenditure first."))
    if not locked.report:
        raise ValidationError({"report": _("Upload the audit report first.")})
    locked.completed_at = timezone.now()
    save_with_audit(locked, acting_user=acting_user, reason="completed")
    claim = _lock(locked.claim)
    claim.audit = locked
    _compute(claim)
    _move(
        claim,
        Status.AUDITED,
        acting_user=acting_user,
        note=_("Audited eligible R&D expenditure: %(amount)s yuan.")
        % {"amount": locked.eligible_total},
    )
    return locked


# ------------------------------------------------------------------------------ sign-offs


def _signable_status(claim: SubsidyClaim) -> str:
    return Status.AUDITED if claim.is_rd else Status.UNDER_REVIEW


@transaction.atomic
def subsidy_claim_sign(
    *, claim: SubsidyClaim, stage: int, acting_user: Any, note: str = ""
) -> SignOff:
    """Sign a claim at `stage` (handler → section head → deputy director), in order, once
    per stage and one stage per person; the last signature makes it signed off."""
    stage = SignOff.Stage(stage)
    if not _is_staff_with(acting_user, SignOff.STAGE_PERMISSIONS[stage]):
        raise PermissionDenied(_("You may not sign as %(stage)s.") % {"stage": stage.label.lower()})
    locked = _lock(claim)
    if locked.status != _signable_status(locked):
        raise ValidationError(
            _("A claim that is %(status)s cannot be signed.")
            % {"status": locked.get_status_display()}
        )
    signed = {s.stage: s for s in locked.sign_offs.all()}
    if stage in signed:
        raise ValidationError(
            _("This claim is already signed as %(stage)s.") % {"stage": stage.label.lower()}
        )
    missing = [s for s in SignOff.Stage if s < stage and s not in signed]
    if missing:
        raise ValidationError(
            _("%(stage)s must sign first.") % {"stage": SignOff.Stage(missing[0]).label}
        )
    if any(s.signed_by_id == acting_user.pk for s in signed.values()):
        raise ValidationError(_("You have already signed this claim at another stage."))
    sign_off = SignOff(claim=locked, stage=stage, signed_by=acting_user, note=note.strip())
    save_with_audit(sign_off, acting_user=acting_user, reason="signed")
    if stage == SignOff.Stage.DEPUTY_DIRECTOR:
        _move(locked, Status.SIGNED_OFF, acting_user=acting_user, note=note.strip())
    return sign_off


# ------------------------------------------------------------------ notice and objections


@transaction.atomic
def subsidy_claim_publish_notice(
    *, claim: SubsidyClaim, starts_on: dt.date, ends_on: dt.date, acting_user: Any
) -> SubsidyClaim:
    """Put a signed-off claim on public notice (公示) from `starts_on` to `ends_on`."""
    _require_staff(acting_user)
    locked = _lock(claim)
    _check_transition(locked, Status.IN_NOTICE)
    if ends_on < starts_on + dt.timedelta(days=NOTICE_MIN_DAYS - 1):
        raise ValidationError(
            {
                "ends_on": _("A public notice lasts at least %(days)d days.")
                % {"days": NOTICE_MIN_DAYS}
            }
        )
    locked.notice_starts_on = starts_on
    locked.notice_ends_on = ends_on
    return _move(
        locked,
        Status.IN_NOTICE,
        acting_user=acting_user,
        note=_("Public notice from %(start)s to %(end)s.") % {"start": starts_on, "end": ends_on},
    )


@transaction.atomic
def objection_record(
    *, claim: SubsidyClaim, received_on: dt.date, content: str, acting_user: Any
) -> Objection:
    """Staff record an objection received during the claim's notice period."""
    _require_staff(acting_user)
    locked = _lock(claim)
    if locked.status != Status.IN_NOTICE:
        raise ValidationError(_("Objections are recorded while the claim is on public notice."))
    assert locked.notice_starts_on and locked.notice_ends_on
    if not locked.notice_starts_on <= received_on <= locked.notice_ends_on:
        raise ValidationError(
            {"received_on": _("The objection must be received within the notice period.")}
        )
    content = content.strip()
    if not content:
        raise ValidationError({"content": _("Write down the objection.")})
    objection = Objection(
        claim=locked, received_on=received_on, content=content, recorded_by=_user(acting_user)
    )
    save_with_audit(objection, acting_user=acting_user, reason="received")
    return objection


@transaction.atomic
def objection_answer(*, objection: Objection, answer: str, acting_user: Any) -> Objection:
    """Staff answer an objection (once)."""
    _require_staff(acting_user)
    locked = Objection.objects.select_for_update().get(pk=objection.pk)
    if locked.answered_on:
        raise ValidationError(_("This objection is already answered."))
    answer = answer.strip()
    if not answer:
        raise ValidationError({"answer": _("Write the answer.")})
    locked.answer = answer
    locked.answered_on = timezone.localdate()
    save_with_audit(locked, acting_user=acting_user, reason="answered")
    return locked


# ------------------------------------------------------------------------------- approval


@transaction.atomic
def subsidy_claim_approve(
    *,
    claim: SubsidyClaim,
    approved_amount: Decimal,
    acting_user: Any,
    reason: str = "",
) -> SubsidyClaim:
    """Approve a claim whose notice period is over and whose objections are answered.

    The amount is at most the eligible amount (a reason when less) and within what is left of
    the policy's yearly budget; the policy row is locked so concurrent approvals cannot
    together exceed it.
    """
    _require_staff(acting_user)
    locked = _lock(claim)
    _check_transition(locked, Status.APPROVED)
    today = timezone.localdate()
    if locked.notice_ends_on is None or today <= locked.notice_ends_on:
        raise ValidationError(
            _("The public notice runs until %(end)s; approve after it ends.")
            % {"end": locked.notice_ends_on}
        )
    if locked.objections.filter(answered_on__isnull=True).exists():
        raise ValidationError(_("Answer every objection before approving."))
    if locked.eligible_amount is None or locked.policy is None:
        raise ValidationError(_("The eligible amount of this claim is not known yet."))
    if approved_amount is None or approved_amount <= 0:
        raise ValidationError({"approved_amount": _("Give an amount above zero.")})
    if approved_amount > locked.eligible_amount:
        raise ValidationError(
            {
                "approved_amount": _(
                    "The approved amount cannot exceed the eligible amount (%(amount)s yuan)."
                )
                % {"amount": locked.eligible_amount}
            }
        )
    reason = reason.strip()
    if approved_amount != locked.eligible_amount and not reason:
        raise ValidationError(
            {"reason": _("Say why the approved amount differs from the eligible amount.")}
        )
    policy = SubsidyPolicy.objects.select_for_update().get(pk=locked.policy_id)
    committed = policy.committed_amount()
    remaining = policy.yearly_budget - committed
    if approved_amount > remaining:
        raise ValidationError(
            {
                "approved_amount": _(
                    "Over budget: %(policy)s has %(budget)s yuan for the year, %(committed)s "
                    "committed, %(remaining)s left; this claim asks %(amount)s."
                )
                % {
                    "policy": policy,
                    "budget": policy.yearly_budget,
                    "committed": committed,
                    "remaining": remaining,
                    "amount": approved_amount,
                }
            }
        )
    _check_not_paid_elsewhere(locked)
    locked.approved_amount = approved_amount
    locked.approval_reason = reason
    locked.approved_on = today
    return _move(locked, Status.APPROVED, acting_user=acting_user, note=reason)


# -------------------------------------------------------------------------------- finance


@transaction.atomic
def payment_batch_create(*, number: str, acting_user: Any) -> PaymentBatch:
    """Finance open a payment batch."""
    _require_finance(acting_user)
    number = number.strip()
    if not number:
        raise ValidationError({"number": _("Give the batch a number.")})
    if PaymentBatch.objects.filter(number=number).exists():
        raise ValidationError({"number": _("A batch with this number exists.")})
    batch = PaymentBatch(number=number, created_by=_user(acting_user))
    save_with_audit(batch, acting_user=acting_user, reason="created")
    return batch


def _lock_batch(batch: PaymentBatch) -> PaymentBatch:
    return PaymentBatch.objects.select_for_update().get(pk=batch.pk)


def _require_open(batch: PaymentBatch) -> None:
    if not batch.is_open:
        raise ValidationError(
            _("Batch %(number)s is %(status)s; nothing in it can change.")
            % {"number": batch.number, "status": batch.get_status_display()}
        )


@transaction.atomic
def payment_batch_add(
    *, batch: PaymentBatch, claims: Iterable[SubsidyClaim], acting_user: Any
) -> int:
    """Put approved claims in an open batch. Returns how many were added."""
    _require_finance(acting_user)
    locked_batch = _lock_batch(batch)
    _require_open(locked_batch)
    added = 0
    for claim in claims:
        locked = _lock(claim)
        _check_transition(locked, Status.IN_BATCH)
        locked.payment_batch = locked_batch
        _move(locked, Status.IN_BATCH, acting_user=acting_user, note=locked_batch.number)
        added += 1
    return added


@transaction.atomic
def payment_batch_remove(*, batch: PaymentBatch, claim: SubsidyClaim, acting_user: Any) -> None:
    """Take a claim out of a batch not yet exported; it is approved again."""
    _require_finance(acting_user)
    locked_batch = _lock_batch(batch)
    _require_open(locked_batch)
    locked = _lock(claim)
    if locked.payment_batch_id != locked_batch.pk:
        raise ValidationError(_("This claim is not in this batch."))
    locked.payment_batch = None
    _move(locked, Status.APPROVED, acting_user=acting_user, note=locked_batch.number)


EXPORT_HEADERS = ("序号", "统一社会信用代码", "申请单位", "补贴项目", "年度", "核定金额(万元)")


def payment_batch_xlsx(batch: PaymentBatch) -> bytes:
    """The treasury's sheet of a batch (no writes)."""
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = batch.number[:31]
    sheet.append(EXPORT_HEADERS)
    claims = batch.claims.select_related("enterprise", "incubator__operator").order_by("pk")
    for index, claim in enumerate(claims, start=1):
        organisation = claim.incubator.operator if claim.incubator_id else claim.enterprise
        sheet.append(
            (
                index,
                organisation.uscc,
                str(claim.claimant),
                claim.get_programme_display(),
                claim.year,
                str(yuan_to_wan(claim.approved_amount or Decimal(0))),
            )
        )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


@transaction.atomic
def payment_batch_export(*, batch: PaymentBatch, acting_user: Any) -> bytes:
    """Export the batch for the treasury; from then on nothing in it can change."""
    _require_finance(acting_user)
    locked = _lock_batch(batch)
    if locked.status == PaymentBatch.Status.OPEN:
        if not locked.claims.exists():
            raise ValidationError(_("The batch is empty."))
        locked.status = PaymentBatch.Status.EXPORTED
        locked.exported_at = timezone.now()
        save_with_audit(locked, acting_user=acting_user, reason="exported")
    return payment_batch_xlsx(locked)


@transaction.atomic
def payment_batch_mark_paid(
    *, batch: PaymentBatch, paid_on: dt.date, acting_user: Any
) -> PaymentBatch:
    """The treasury paid an exported batch on `paid_on`: its claims are paid."""
    _require_finance(acting_user)
    locked = _lock_batch(batch)
    if locked.status != PaymentBatch.Status.EXPORTED:
        raise ValidationError(_("Only an exported batch can be marked paid."))
    if paid_on > timezone.localdate():
        raise ValidationError({"paid_on": _("The payment date cannot be in the future.")})
    if locked.exported_at and paid_on < timezone.localtime(locked.exported_at).date():
        raise ValidationError({"paid_on": _("The payment date cannot be before the export.")})
    locked.status = PaymentBatch.Status.PAID
    locked.paid_on = paid_on
    save_with_audit(locked, acting_user=acting_user, reason="paid")
    for claim in locked.claims.order_by("pk"):
        claim = _lock(claim)
        claim.paid_on = paid_on
        _move(claim, Status.PAID, acting_user=acting_user, note=locked.number)
    return locked


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
