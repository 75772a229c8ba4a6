"""A claim's own workflow: drafting (amount computed), documents, submission, review, return
and rejection, the sign-off chain (each signature a step), the public notice with its
objections and its end, and approval within the eligible amount and the yearly budget.

The table of steps and who may make them is `subsidies.workflows.claims.CLAIM`; each service
locks the claim, asks the table (`require_step`), adds the claim's own rules and moves it.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.audit import save_with_audit
from common.lib.money import format_yuan
from common.notifications import step_notifications_write
from common.workflow import require_step
from enterprises.models import Enterprise
from incubators.models import Incubator
from subsidies.models import (
    CARRIER_PROGRAMMES,
    ClaimAttachment,
    Notice,
    Objection,
    Programme,
    SignOff,
    SubsidyClaim,
    SubsidyClaimStatusChange,
    SubsidyPolicy,
)
from subsidies.services.base import (
    Status,
    _check_not_duplicate,
    _check_not_paid_elsewhere,
    _compute,
    _is_staff_with,
    _lock,
    _policy_for,
    _reason,
    _require_claimant,
    _require_staff,
    _step,
    _user,
    acts_for_claimant,
)
from subsidies.services.calls import claim_policy_check, claim_window_check
from subsidies.services.notices import notice_publish, notice_tell_ended
from subsidies.workflows.claims import CLAIM, SIGNATURES


def _new_claim(
    *,
    programme: str,
    year: int,
    enterprise: Enterprise | None,
    incubator: Incubator | None,
    rent_month_from: int | None,
    rent_month_to: int | None,
    claimed_amount: Decimal | None,
    description: str,
) -> SubsidyClaim:
    """The claim a draft would save, checked and computed, not saved."""
    carrier = programme in CARRIER_PROGRAMMES
    if (carrier and incubator is None) or (not carrier and enterprise is None):
        raise ValidationError(_("Choose who claims."))
    policy = _policy_for(programme, year)
    claim = SubsidyClaim(
        programme=programme,
        year=year,
        policy=policy,
        enterprise=None if carrier else enterprise,
        incubator=incubator if carrier else None,
        rent_month_from=rent_month_from if programme == Programme.RENT else None,
        rent_month_to=rent_month_to if programme == Programme.RENT else None,
        claimed_amount=claimed_amount,
        description=description.strip(),
    )
    # The policy, firm and carrier are rows just read (or the caller's own): asking the
    # database whether they exist, as a foreign key's validation does, would cost a query
    # each for every check (the claims page checks every open programme).
    claim.full_clean(
        exclude=["eligible_amount", "policy", "enterprise", "incubator"], validate_constraints=False
    )
    # Paying twice for the same rent months is the more telling message, so it comes first.
    _check_not_paid_elsewhere(claim)
    _check_not_duplicate(claim)
    _compute(claim)
    _check_not_paid_elsewhere(claim)
    return claim


def subsidy_claim_check_new(
    *,
    programme: str,
    year: int,
    enterprise: Enterprise | None = None,
    incubator: Incubator | None = None,
    rent_month_from: int | None = None,
    rent_month_to: int | None = None,
    claimed_amount: Decimal | None = None,
    description: str = "",
) -> None:
    """Refuse a claim a draft would refuse (no policy that year, a claim of the programme
    and year already, nothing due, paying again), keyed by field where there is one. Reads
    only, so a form can show the refusal before anything is saved."""
    _new_claim(
        programme=programme,
        year=year,
        enterprise=enterprise,
        incubator=incubator,
        rent_month_from=rent_month_from,
        rent_month_to=rent_month_to,
        claimed_amount=claimed_amount,
        description=description,
    )


def subsidy_claim_refusals(
    *,
    policy: SubsidyPolicy,
    enterprise: Enterprise | None = None,
    incubator: Incubator | None = None,
    on: dt.date | None = None,
) -> list[str]:
    """Why the claimant may not claim under `policy` now, each reason in words; empty when
    it may. The same checks a draft makes (`subsidy_claim_check_new`): the rent subsidy is
    asked for the policy year's months up to `on`'s month (default today). Reads only."""
    on = on or timezone.localdate()
    months = (1, on.month if policy.year == on.year else 12)
    try:
        subsidy_claim_check_new(
            programme=policy.code,
            year=policy.year,
            enterprise=enterprise,
            incubator=incubator,
            rent_month_from=months[0] if policy.code == Programme.RENT else None,
            rent_month_to=months[1] if policy.code == Programme.RENT else None,
        )
    except ValidationError as exc:
        return list(dict.fromkeys(exc.messages))
    return []


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
    """Start a claim (the claimant, or staff for it) with its eligible amount computed; the
    claimant is told it waits for them to submit it.

    Refused when the programme has no policy that year, the claimant already has a claim of
    the programme and year, the registry shows nothing due, or it would pay again for what
    another claim paid.
    """
    carrier = programme in CARRIER_PROGRAMMES
    if not (
        _is_staff_with(acting_user, "subsidies.add_subsidyclaim")
        or acts_for_claimant(
            acting_user,
            enterprise=None if carrier else enterprise,
            incubator=incubator if carrier else None,
        )
    ):
        raise PermissionDenied(_("You may claim only for your own organisation."))
    if not _staff_started(acting_user):
        # A claimant starts a claim only while a call is open; staff drafting a reward the
        # registry shows (a recognition) act for the bureau, outside calls.
        claim_window_check(policy=_policy_for(programme, year), day=timezone.localdate())
    claim = _new_claim(
        programme=programme,
        year=year,
        enterprise=enterprise,
        incubator=incubator,
        rent_month_from=rent_month_from,
        rent_month_to=rent_month_to,
        claimed_amount=claimed_amount,
        description=description,
    )
    claim.created_by = _user(acting_user)
    try:
        with transaction.atomic():
            save_with_audit(claim, acting_user=acting_user, reason="drafted")
    except IntegrityError as exc:  # a concurrent claim of the same programme and year
        raise ValidationError(_("This claim already exists.")) from exc
    # The first record, and the claimant told the draft waits for them to submit it (a reward
    # is drafted by staff for the firm to confirm).
    change = SubsidyClaimStatusChange(
        claim=claim, from_status="", to_status=Status.DRAFT, acting_user=_user(acting_user)
    )
    save_with_audit(change, acting_user=acting_user)
    step_notifications_write(CLAIM, claim, change)
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


def _staff_started(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_staff", False))


def _check_checklist(claim: SubsidyClaim) -> None:
    """Every required material of the version's checklist has a document of its title."""
    assert claim.policy is not None
    titles = {a.title for a in claim.attachments.all()}
    missing = [
        item.title
        for item in claim.policy.checklist.all()
        if item.required and item.title not in titles
    ]
    if missing:
        raise ValidationError(
            _("Upload the required materials before submitting: %(items)s.")
            % {"items": "、".join(missing)}
        )


# Programmes whose claims need a supporting document before submission.
NEEDS_DOCUMENTS = (Programme.RENT, Programme.RD_INVESTMENT)


@transaction.atomic
def subsidy_claim_submit(*, claim: SubsidyClaim, acting_user: Any, note: str = "") -> SubsidyClaim:
    """The claimant submits (or confirms a drafted reward, or resubmits a returned claim);
    the eligible amount is computed again from today's registry. Staff are told (the
    handler alone once a handler has taken it up)."""
    locked = _lock(claim)
    require_step(CLAIM, locked, Status.SUBMITTED, acting_user)
    if locked.programme in NEEDS_DOCUMENTS and not locked.attachments.exists():
        raise ValidationError(_("Attach the supporting documents before submitting."))
    if locked.policy is not None:
        claim_policy_check(locked.policy)
        _check_checklist(locked)
        # The first submission of a claim the claimant started falls inside a call; a
        # returned claim goes back when the bureau asked, whatever the date.
        if locked.status == Status.DRAFT and not _staff_started(locked.created_by):
            claim_window_check(policy=locked.policy, day=timezone.localdate())
    if locked.policy is not None:
        _compute(locked)
    _check_not_paid_elsewhere(locked)
    locked.submitted_on = timezone.localdate()
    locked.decision_reason = ""
    return _step(locked, Status.SUBMITTED, acting_user=acting_user, note=note.strip())


@transaction.atomic
def subsidy_claim_take_up(*, claim: SubsidyClaim, acting_user: Any) -> SubsidyClaim:
    """Staff start reviewing a submitted claim; it is theirs from now on (its handler)."""
    locked = _lock(claim)
    require_step(CLAIM, locked, Status.UNDER_REVIEW, acting_user)
    locked.handler = acting_user
    return _step(locked, Status.UNDER_REVIEW, acting_user=acting_user)


@transaction.atomic
def subsidy_claim_return(*, claim: SubsidyClaim, reason: str, acting_user: Any) -> SubsidyClaim:
    """Staff send a claim back for changes, with the reason; its signatures lapse."""
    locked = _lock(claim)
    require_step(CLAIM, locked, Status.RETURNED, acting_user)
    reason = _reason(reason)
    locked.decision_reason = reason
    for sign_off in locked.sign_offs.all():
        sign_off._history_user = _user(acting_user)  # type: ignore[attr-defined]
        sign_off.delete()
    return _step(locked, Status.RETURNED, acting_user=acting_user, note=reason)


@transaction.atomic
def subsidy_claim_reject(*, claim: SubsidyClaim, reason: str, acting_user: Any) -> SubsidyClaim:
    """Staff reject a claim, with the reason. A rejected claim is final."""
    locked = _lock(claim)
    require_step(CLAIM, locked, Status.REJECTED, acting_user)
    locked.decision_reason = _reason(reason)
    return _step(locked, Status.REJECTED, acting_user=acting_user, note=locked.decision_reason)


# ------------------------------------------------------------------------------ sign-offs

# The signing step from each state a claim is signed in.
_SIGNS_TO: dict[str, str] = {
    Status.UNDER_REVIEW: Status.HANDLER_SIGNED,
    Status.AUDITED: Status.HANDLER_SIGNED,
    Status.HANDLER_SIGNED: Status.SECTION_HEAD_SIGNED,
    Status.SECTION_HEAD_SIGNED: Status.SIGNED_OFF,
}


@transaction.atomic
def subsidy_claim_sign(
    *, claim: SubsidyClaim, acting_user: Any, stage: int | None = None, note: str = ""
) -> SignOff:
    """Sign a claim at the stage its state waits for (handler → section head → deputy
    director), one stage per person; the deputy director's signature makes it signed off.

    `stage`, when given, is the stage the signer means to sign: a claim that has moved on
    since (someone else signed) refuses rather than take the signature at another stage. An
    R&D claim is signed once its audit is in.
    """
    locked = _lock(claim)
    target = _SIGNS_TO.get(locked.status)
    if target is None:
        raise ValidationError(
            _("A claim that is %(status)s cannot be signed.")
            % {"status": locked.get_status_display()}
        )
    due = SIGNATURES[target]
    if stage is not None and SignOff.Stage(stage) != due:
        wanted = SignOff.Stage(stage)
        if wanted < due:
            raise ValidationError(
                _("This claim is already signed as %(stage)s.") % {"stage": wanted.label.lower()}
            )
        raise ValidationError(_("%(stage)s must sign first.") % {"stage": due.label})
    require_step(CLAIM, locked, target, acting_user)
    if locked.is_rd and locked.status == Status.UNDER_REVIEW:
        raise ValidationError(_("An R&D claim is signed once its audit is in."))
    if locked.sign_offs.filter(signed_by=acting_user.pk).exists():
        raise ValidationError(_("You have already signed this claim at another stage."))
    sign_off = SignOff(claim=locked, stage=due, signed_by=acting_user, note=note.strip())
    save_with_audit(sign_off, acting_user=acting_user, reason="signed")
    _step(locked, target, acting_user=acting_user, note=note.strip())
    return sign_off


# ------------------------------------------------------------------ notice and objections


def subsidy_claim_publish_notice(
    *, claim: SubsidyClaim, starts_on: dt.date, ends_on: dt.date, acting_user: Any
) -> SubsidyClaim:
    """Put one signed-off claim on a public notice of its own (公示) from `starts_on` to
    `ends_on`: `notice_publish` with this claim alone, titled after it."""
    notice_publish(
        claims=[claim],
        title=_("Public notice of %(claim)s") % {"claim": claim},
        starts_on=starts_on,
        ends_on=ends_on,
        acting_user=acting_user,
    )
    return SubsidyClaim.objects.get(pk=claim.pk)


@transaction.atomic
def subsidy_claim_end_notice(
    *, claim: SubsidyClaim, today: dt.date | None = None, acting_user: Any = None
) -> SubsidyClaim:
    """The system ends a claim's public notice once its last day is past: the claim waits
    for staff to approve it (they are told). Only the system makes this step."""
    locked = _lock(claim)
    require_step(CLAIM, locked, Status.NOTICE_ENDED, acting_user)
    today = today or timezone.localdate()
    if locked.notice_ends_on is None or today <= locked.notice_ends_on:
        raise ValidationError(
            _("The public notice runs until %(end)s.") % {"end": locked.notice_ends_on}
        )
    return _step(
        locked,
        Status.NOTICE_ENDED,
        acting_user=None,
        note=_("The public notice ended on %(end)s.") % {"end": locked.notice_ends_on},
    )


def subsidy_claim_notices_end(*, today: dt.date | None = None) -> int:
    """End the public notice of every claim whose notice's last day is before `today`
    (default today), each in its own transaction; returns how many ended. Safe to run
    twice: an ended notice is no longer in notice."""
    today = today or timezone.localdate()
    due = SubsidyClaim.objects.filter(status=Status.IN_NOTICE, notice_ends_on__lt=today).order_by(
        "notice_ends_on", "pk"
    )
    ended = 0
    notices: set[int] = set()
    for claim in due:
        try:
            subsidy_claim_end_notice(claim=claim, today=today)
        except ValidationError:  # moved on meanwhile (rejected, or already ended)
            continue
        ended += 1
        if claim.notice_id:
            notices.add(claim.notice_id)
    # The staff handling each notice's claims hear that it ended (once per notice).
    for notice in Notice.objects.filter(pk__in=notices):
        notice_tell_ended(notice=notice)
    return ended


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


# ------------------------------------------------------------------------------- approval


@transaction.atomic
def subsidy_claim_approve(
    *,
    claim: SubsidyClaim,
    approved_amount: Decimal,
    acting_user: Any,
    reason: str = "",
) -> SubsidyClaim:
    """Approve a claim whose public notice has ended and whose objections are answered
    (the step's guard in the workflow table); finance are told it is ready for a batch.

    The amount is at most the eligible amount (a reason when less) and within what is left of
    the policy's yearly budget; the policy row is locked so concurrent approvals cannot
    together exceed it.
    """
    locked = _lock(claim)
    require_step(CLAIM, locked, Status.APPROVED, acting_user)
    if locked.status != Status.NOTICE_ENDED:
        # The table's other way back to "approved" is finance taking the claim out of its
        # batch (payment_batch_remove); it decides nothing about the amount.
        raise ValidationError(_("Only a claim whose public notice has ended is approved."))
    today = timezone.localdate()
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
                % {"amount": format_yuan(locked.eligible_amount)}
            }
        )
    reason = reason.strip()
    if approved_amount != locked.eligible_amount and not reason:
        raise ValidationError(
            {"reason": _("Say why the approved amount differs from the eligible amount.")}
        )
    policy = SubsidyPolicy.objects.select_for_update().get(pk=locked.policy.pk)
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
                    "budget": format_yuan(policy.yearly_budget),
                    "committed": format_yuan(committed),
                    "remaining": format_yuan(remaining),
                    "amount": format_yuan(approved_amount),
                }
            }
        )
    _check_not_paid_elsewhere(locked)
    locked.approved_amount = approved_amount
    locked.approval_reason = reason
    locked.approved_on = today
    note = _("Approved amount: %(amount)s yuan.") % {"amount": format_yuan(approved_amount)}
    return _step(locked, Status.APPROVED, acting_user=acting_user, note=f"{note} {reason}".strip())
