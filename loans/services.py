"""Every write of the loans app: evaluations, the application workflow, repayments and the
risk compensation fund.

Each service is atomic and keyword-only, takes the acting user, checks that user's right,
validates, and records who did it in the audit trail (django-simple-history). Workflow
services lock the application row (select_for_update), look the transition up in
loans.workflow.TRANSITIONS, write a LoanStatusChange and enqueue the status email with
transaction.on_commit, so that no email leaves for a change that was rolled back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from enterprises.lib.money import format_wan
from enterprises.models import AnnualFigures, Enterprise, HighTechCertificate, TechFirmRegistration
from enterprises.services import save_with_audit
from loans.lib import scoring
from loans.models import (
    FUND_SHARE,
    LENT_STATUSES,
    MAX_TERM_MONTHS,
    MIN_TERM_MONTHS,
    NON_PERFORMING_STATUSES,
    Bank,
    CompensationClaim,
    CompensationFund,
    CreditEvaluation,
    CreditModel,
    FundContribution,
    LoanApplication,
    LoanAttachment,
    LoanStatus,
    LoanStatusChange,
    Repayment,
)
from loans.workflow import TRANSITIONS, Actor

CENT = Decimal("0.01")
MAX_RATE_PCT = Decimal("24")


def today() -> dt.date:
    return timezone.localdate()


# --------------------------------------------------------------------------- who may act


def _link_approved(user: Any, kind: str) -> bool:
    return (
        getattr(user, "is_active", False)
        and getattr(user, "organisation_kind", "") == kind
        and getattr(user, "link_status", "") == "approved"
    )


def is_enterprise_user_of(user: Any, enterprise_id: int | None) -> bool:
    return _link_approved(user, "enterprise") and getattr(user, "enterprise_id", None) == (
        enterprise_id
    )


def is_officer_of(user: Any, bank_id: int | None) -> bool:
    return (
        bank_id is not None
        and _link_approved(user, "bank")
        and getattr(user, "bank_id", None) == bank_id
    )


def _is_staff_with(user: Any, perm: str) -> bool:
    return (
        getattr(user, "is_active", False)
        and getattr(user, "is_staff", False)
        and user.has_perm(perm)
    )


def actor_kinds(user: Any, loan: LoanApplication) -> set[Actor]:
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


# ------------------------------------------------------------------------------ workflow


def _lock(application: LoanApplication) -> LoanApplication:
    return (
        LoanApplication.objects.select_for_update(of=("self",))
        .select_related("enterprise", "bank")
        .get(pk=application.pk)
    )


def _transition(
    *,
    loan: LoanApplication,
    to: str,
    acting_user: Any,
    note: str = "",
    changes: dict[str, Any] | None = None,
) -> LoanApplication:
    """Move a locked loan to `to` after checking the table and the actor; record and notify."""
    source = loan.status
    actor = TRANSITIONS.get((source, to))
    if actor is None:
        raise ValidationError(
            _("This application is “%(status)s” and cannot become “%(target)s”.")
            % {"status": loan.get_status_display(), "target": LoanStatus(to).label}
        )
    if actor not in actor_kinds(acting_user, loan):
        raise PermissionDenied(_REFUSED[actor])
    for name, value in (changes or {}).items():
        setattr(loan, name, value)
    loan.status = to
    save_with_audit(loan, acting_user=acting_user, reason=f"{source} -> {to}")
    change = LoanStatusChange(
        application=loan,
        from_status=source,
        to_status=to,
        actor=acting_user if getattr(acting_user, "pk", None) else None,
        note=note.strip(),
    )
    save_with_audit(change, acting_user=acting_user)
    change_id = change.pk

    def enqueue() -> None:
        from loans.tasks import send_loan_status_email

        send_loan_status_email.delay(change_id)

    transaction.on_commit(enqueue, robust=True)
    return loan


def _required_note(note: str, message: str) -> str:
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": message})
    return note


def _check_amount(amount: Decimal | None, *, maximum: Decimal, field: str) -> Decimal:
    if amount is None or amount <= 0:
        raise ValidationError({field: _("The amount must be greater than zero.")})
    if amount > maximum:
        raise ValidationError(
            {
                field: _(
                    "The amount may be at most %(max)s 万元 (the smaller of the credit quota "
                    "and 5,000,000 yuan)."
                )
                % {"max": format_wan(maximum)}
            }
        )
    return amount.quantize(CENT)


def _check_term(term: int | None, *, field: str = "term_months") -> int:
    if term is None or not MIN_TERM_MONTHS <= term <= MAX_TERM_MONTHS:
        raise ValidationError(
            {
                field: _("The term must be between %(min)s and %(max)s months.")
                % {"min": MIN_TERM_MONTHS, "max": MAX_TERM_MONTHS}
            }
        )
    return term


def latest_evaluation(enterprise_id: int) -> CreditEvaluation | None:
    return (
        CreditEvaluation.objects.filter(enterprise_id=enterprise_id)
        .order_by("-evaluated_on", "-pk")
        .first()
    )


def _check_can_apply(*, enterprise: Enterprise, on: dt.date, exclude_pk: int | None) -> None:
    if not TechFirmRegistration.objects.registered_on(on).filter(enterprise=enterprise).exists():
        raise ValidationError(
            _("Only firms registered in the tech-firm database on %(day)s may apply.")
            % {"day": on.isoformat()}
        )
    others = LoanApplication.objects.open().filter(enterprise=enterprise)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if others.exists():
        raise ValidationError(
            _("Your enterprise already has an open loan application; only one is allowed.")
        )


def _evaluation_for_application(enterprise: Enterprise) -> CreditEvaluation:
    evaluation = latest_evaluation(enterprise.pk)
    if evaluation is None or evaluation.quota <= 0:
        raise ValidationError(
            _("Your enterprise has no credit quota yet: the bureau must evaluate it first.")
        )
    return evaluation


def _save_attachments(
    *, application: LoanApplication, files: Iterable[UploadedFile], acting_user: Any
) -> None:
    for upload in files:
        attachment = LoanAttachment(
            application=application,
            original_name=(upload.name or "")[:255],
            uploaded_by=acting_user if getattr(acting_user, "pk", None) else None,
        )
        attachment.file.save(upload.name or "upload", upload, save=False)
        save_with_audit(attachment, acting_user=acting_user)


@transaction.atomic
def loan_application_create(
    *,
    enterprise: Enterprise,
    acting_user: Any,
    requested_amount: Decimal,
    term_months: int,
    purpose: str = "",
    preferred_bank: Bank | None = None,
    attachments: Iterable[UploadedFile] = (),
) -> LoanApplication:
    """Create a draft application of the user's own enterprise, with its attachments.

    Refuses (ValidationError, nothing saved) an unregistered firm, a second open application,
    an amount above min(quota, 5,000,000) or not positive, and a term outside 6–36 months.
    """
    if not is_enterprise_user_of(acting_user, enterprise.pk):
        raise PermissionDenied(_REFUSED[Actor.ENTERPRISE])
    Enterprise.objects.select_for_update().get(pk=enterprise.pk)  # one creation at a time
    _check_can_apply(enterprise=enterprise, on=today(), exclude_pk=None)
    evaluation = _evaluation_for_application(enterprise)
    maximum = min(evaluation.quota, scoring.MAX_QUOTA)
    application = LoanApplication(
        enterprise=enterprise,
        preferred_bank=preferred_bank,
        requested_amount=_check_amount(requested_amount, maximum=maximum, field="requested_amount"),
        term_months=_check_term(term_months),
        purpose=purpose.strip(),
        evaluation=evaluation,
        quota=evaluation.quota,
        created_by=acting_user,
    )
    save_with_audit(application, acting_user=acting_user, reason="created")
    change = LoanStatusChange(
        application=application, to_status=LoanStatus.DRAFT, actor=acting_user
    )
    save_with_audit(change, acting_user=acting_user)
    _save_attachments(application=application, files=attachments, acting_user=acting_user)
    return application


@transaction.atomic
def loan_application_update(
    *,
    application: LoanApplication,
    acting_user: Any,
    requested_amount: Decimal,
    term_months: int,
    purpose: str = "",
    preferred_bank: Bank | None = None,
    attachments: Iterable[UploadedFile] = (),
) -> LoanApplication:
    """The enterprise changes a draft or returned application and may add attachments."""
    loan = _lock(application)
    if not is_enterprise_user_of(acting_user, loan.enterprise_id):
        raise PermissionDenied(_REFUSED[Actor.ENTERPRISE])
    if loan.status not in (LoanStatus.DRAFT, LoanStatus.RETURNED):
        raise ValidationError(_("Only a draft or a returned application can be changed."))
    loan.requested_amount = _check_amount(
        requested_amount, maximum=loan.max_amount, field="requested_amount"
    )
    loan.term_months = _check_term(term_months)
    loan.purpose = purpose.strip()
    loan.preferred_bank = preferred_bank
    save_with_audit(loan, acting_user=acting_user, reason="changed")
    _save_attachments(application=loan, files=attachments, acting_user=acting_user)
    return loan


@transaction.atomic
def loan_application_submit(*, application: LoanApplication, acting_user: Any) -> LoanApplication:
    """Submit a draft (or returned) application to the bureau, dated today.

    The firm must be a registered tech firm today and hold no other open application; the
    latest evaluation's quota is taken and the amount checked against it.
    """
    loan = _lock(application)
    if Actor.ENTERPRISE not in actor_kinds(acting_user, loan):
        raise PermissionDenied(_REFUSED[Actor.ENTERPRISE])
    day = today()
    if loan.status in (LoanStatus.DRAFT, LoanStatus.RETURNED):
        _check_can_apply(enterprise=loan.enterprise, on=day, exclude_pk=loan.pk)
        evaluation = _evaluation_for_application(loan.enterprise)
        _check_amount(
            loan.requested_amount,
            maximum=min(evaluation.quota, scoring.MAX_QUOTA),
            field="requested_amount",
        )
        changes = {"submitted_on": day, "evaluation": evaluation, "quota": evaluation.quota}
    else:
        changes = {}
    return _transition(loan=loan, to=LoanStatus.SUBMITTED, acting_user=acting_user, changes=changes)


@transaction.atomic
def loan_application_withdraw(
    *, application: LoanApplication, acting_user: Any, note: str = ""
) -> LoanApplication:
    """The applicant withdraws its application, at any time before the bank decides."""
    return _transition(
        loan=_lock(application), to=LoanStatus.WITHDRAWN, acting_user=acting_user, note=note
    )


@transaction.atomic
def loan_application_return(
    *, application: LoanApplication, acting_user: Any, note: str
) -> LoanApplication:
    """Staff return a submitted application to the firm, saying what is missing."""
    note = _required_note(note, _("Please say what the enterprise should add or correct."))
    return _transition(
        loan=_lock(application), to=LoanStatus.RETURNED, acting_user=acting_user, note=note
    )


@transaction.atomic
def loan_application_reject(
    *, application: LoanApplication, acting_user: Any, note: str
) -> LoanApplication:
    """Staff reject a submitted application, giving the reason."""
    note = _required_note(note, _("Please give the reason for the rejection."))
    return _transition(
        loan=_lock(application), to=LoanStatus.REJECTED, acting_user=acting_user, note=note
    )


@transaction.atomic
def loan_application_forward(
    *, application: LoanApplication, acting_user: Any, bank: Bank, note: str = ""
) -> LoanApplication:
    """Staff forward a submitted application to a partner bank not paused by its breaker."""
    loan = _lock(application)
    bank = Bank.objects.select_for_update().get(pk=bank.pk)
    if bank.paused:
        raise ValidationError(
            {
                "bank": _(
                    "%(bank)s receives no new applications: its circuit breaker is on (%(why)s)."
                )
                % {"bank": bank.name, "why": bank.paused_reason}
            }
        )
    if (
        LoanApplication.objects.filter(
            enterprise_id=loan.enterprise_id, bank=bank, submitted_on=loan.submitted_on
        )
        .exclude(pk=loan.pk)
        .exists()
    ):
        raise ValidationError(
            {"bank": _("An application of this firm of the same day is already at this bank.")}
        )
    return _transition(
        loan=loan,
        to=LoanStatus.FORWARDED,
        acting_user=acting_user,
        note=note,
        changes={"bank": bank},
    )


@transaction.atomic
def loan_approve(
    *,
    application: LoanApplication,
    acting_user: Any,
    amount: Decimal,
    annual_rate_pct: Decimal,
    term_months: int,
    note: str = "",
) -> LoanApplication:
    """The bank approves a forwarded application: amount ≤ min(quota, 5,000,000), rate, term."""
    loan = _lock(application)
    if Actor.BANK not in actor_kinds(acting_user, loan):
        raise PermissionDenied(_REFUSED[Actor.BANK])
    changes: dict[str, Any] = {}
    if loan.status == LoanStatus.FORWARDED:
        changes["approved_amount"] = _check_amount(amount, maximum=loan.max_amount, field="amount")
        if annual_rate_pct is None or not 0 < annual_rate_pct <= MAX_RATE_PCT:
            raise ValidationError(
                {"annual_rate_pct": _("The annual rate must be above 0 and at most 24%.")}
            )
        changes["annual_rate_pct"] = annual_rate_pct
        changes["approved_term_months"] = _check_term(term_months)
    return _transition(
        loan=loan, to=LoanStatus.APPROVED, acting_user=acting_user, note=note, changes=changes
    )


@transaction.atomic
def loan_decline(*, application: LoanApplication, acting_user: Any, note: str) -> LoanApplication:
    """The bank declines a forwarded application, giving the reason."""
    note = _required_note(note, _("Please give the reason for declining."))
    return _transition(
        loan=_lock(application), to=LoanStatus.DECLINED, acting_user=acting_user, note=note
    )


@transaction.atomic
def loan_disburse(
    *, application: LoanApplication, acting_user: Any, disbursed_on: dt.date, note: str = ""
) -> LoanApplication:
    """The bank records that the approved loan was paid out on `disbursed_on`."""
    loan = _lock(application)
    if disbursed_on is None or disbursed_on > today():
        raise ValidationError({"disbursed_on": _("The disbursement date cannot be in the future.")})
    if loan.submitted_on and disbursed_on < loan.submitted_on:
        raise ValidationError(
            {"disbursed_on": _("The disbursement date cannot be before the application date.")}
        )
    loan = _transition(
        loan=loan,
        to=LoanStatus.DISBURSED,
        acting_user=acting_user,
        note=note,
        changes={"disbursed_on": disbursed_on},
    )
    bank_circuit_breaker_refresh(bank=loan.bank, acting_user=acting_user)
    return loan


@transaction.atomic
def loan_repayment_record(
    *,
    application: LoanApplication,
    acting_user: Any,
    paid_on: dt.date,
    principal: Decimal,
    interest: Decimal = Decimal(0),
) -> Repayment:
    """The bank records a repayment; once no principal is outstanding the loan is repaid."""
    loan = _lock(application)
    if Actor.BANK not in actor_kinds(acting_user, loan):
        raise PermissionDenied(_REFUSED[Actor.BANK])
    if loan.status not in (LoanStatus.DISBURSED, LoanStatus.OVERDUE):
        raise ValidationError(_("Repayments can only be recorded on a disbursed or overdue loan."))
    principal = (principal or Decimal(0)).quantize(CENT)
    interest = (interest or Decimal(0)).quantize(CENT)
    if principal < 0 or interest < 0 or (principal == 0 and interest == 0):
        raise ValidationError({"principal": _("Enter a positive principal or interest.")})
    if principal > loan.outstanding_principal:
        raise ValidationError(
            {
                "principal": _("Only %(amount)s 万元 of principal is outstanding.")
                % {"amount": format_wan(loan.outstanding_principal)}
            }
        )
    if paid_on is None or paid_on > today() or (loan.disbursed_on and paid_on < loan.disbursed_on):
        raise ValidationError(
            {"paid_on": _("The payment date must lie between disbursement and today.")}
        )
    repayment = Repayment(
        loan=loan, paid_on=paid_on, principal=principal, interest=interest, recorded_by=acting_user
    )
    save_with_audit(repayment, acting_user=acting_user)
    loan.repaid_principal += principal
    if loan.outstanding_principal == 0:
        _transition(
            loan=loan,
            to=LoanStatus.REPAID,
            acting_user=acting_user,
            note=_("Repaid in full on %(day)s.") % {"day": paid_on.isoformat()},
        )
        bank_circuit_breaker_refresh(bank=loan.bank, acting_user=acting_user)
    else:
        save_with_audit(loan, acting_user=acting_user, reason="repayment")
    return repayment


@transaction.atomic
def loan_mark_overdue(
    *, application: LoanApplication, acting_user: Any, note: str = ""
) -> LoanApplication:
    """The bank reports a disbursed loan as overdue."""
    loan = _transition(
        loan=_lock(application), to=LoanStatus.OVERDUE, acting_user=acting_user, note=note
    )
    bank_circuit_breaker_refresh(bank=loan.bank, acting_user=acting_user)
    return loan


@transaction.atomic
def loan_mark_defaulted(
    *, application: LoanApplication, acting_user: Any, principal_loss: Decimal, note: str = ""
) -> LoanApplication:
    """The bank declares an overdue loan in default, with its principal loss."""
    loan = _lock(application)
    if loan.status == LoanStatus.OVERDUE:
        if principal_loss is None or principal_loss <= 0:
            raise ValidationError({"principal_loss": _("The amount must be greater than zero.")})
        if principal_loss > loan.outstanding_principal:
            raise ValidationError(
                {
                    "principal_loss": _(
                        "The principal loss cannot exceed the outstanding principal "
                        "(%(amount)s 万元)."
                    )
                    % {"amount": format_wan(loan.outstanding_principal)}
                }
            )
    loan = _transition(
        loan=loan,
        to=LoanStatus.DEFAULTED,
        acting_user=acting_user,
        note=note,
        changes={"principal_loss": (principal_loss or Decimal(0)).quantize(CENT)},
    )
    bank_circuit_breaker_refresh(bank=loan.bank, acting_user=acting_user)
    return loan


# ----------------------------------------------------------------------- compensation


def compensation_for(*, principal_loss: Decimal, quota: Decimal | None) -> tuple[Decimal, Decimal]:
    """(eligible loss, fund's compensation): min(loss, quota) and 80% of it, in cents."""
    eligible = principal_loss if quota is None else min(principal_loss, quota)
    amount = (eligible * FUND_SHARE).quantize(CENT, rounding=ROUND_HALF_UP)
    return eligible, amount


def the_fund() -> CompensationFund:
    fund = CompensationFund.objects.order_by("pk").first()
    if fund is None:
        raise ValidationError(_("No risk compensation fund is set up."))
    return fund


@transaction.atomic
def compensation_claim_file(
    *, application: LoanApplication, acting_user: Any, amount: Decimal | None = None, note: str = ""
) -> CompensationClaim:
    """The bank claims on the fund for a defaulted loan.

    The claim is 80% of min(principal loss, quota); a larger `amount` is refused, as is a
    claim beyond the fund's balance. The loan becomes "compensation claimed".
    """
    loan = _lock(application)
    if Actor.BANK not in actor_kinds(acting_user, loan):
        raise PermissionDenied(_REFUSED[Actor.BANK])
    if CompensationClaim.objects.filter(loan=loan).exists():
        raise ValidationError(_("A compensation claim was already filed for this loan."))
    if loan.status != LoanStatus.DEFAULTED or not loan.principal_loss:
        raise ValidationError(_("Only a defaulted loan with a principal loss can be claimed."))
    eligible, due = compensation_for(principal_loss=loan.principal_loss, quota=loan.quota)
    if amount is not None and amount.quantize(CENT) > due:
        raise ValidationError(
            {
                "amount": _(
                    "The fund pays at most %(due)s 万元: 80%% of the smaller of the principal "
                    "loss and the credit quota."
                )
                % {"due": format_wan(due)}
            }
        )
    claimed = due if amount is None else amount.quantize(CENT)
    if claimed <= 0:
        raise ValidationError({"amount": _("The amount must be greater than zero.")})
    fund = CompensationFund.objects.select_for_update().get(pk=the_fund().pk)
    if claimed > fund.balance:
        raise ValidationError(
            {
                "amount": _("The fund's balance (%(balance)s 万元) cannot cover this claim.")
                % {"balance": format_wan(fund.balance)}
            }
        )
    _transition(loan=loan, to=LoanStatus.COMPENSATION_CLAIMED, acting_user=acting_user, note=note)
    claim = CompensationClaim(
        loan=loan,
        fund=fund,
        principal_loss=loan.principal_loss,
        eligible_loss=eligible,
        amount=claimed,
        filed_by=acting_user,
        note=note.strip(),
    )
    save_with_audit(claim, acting_user=acting_user, reason="filed")
    return claim


def _lock_claim(claim: CompensationClaim) -> CompensationClaim:
    return CompensationClaim.objects.select_for_update(of=("self",)).get(pk=claim.pk)


@transaction.atomic
def compensation_claim_approve(
    *, claim: CompensationClaim, acting_user: Any, note: str = ""
) -> CompensationClaim:
    """Staff approve a filed claim for payment."""
    if not _is_staff_with(acting_user, "loans.decide_compensationclaim"):
        raise PermissionDenied(_("Only bureau staff may decide on compensation claims."))
    claim = _lock_claim(claim)
    if claim.status != CompensationClaim.Status.FILED:
        raise ValidationError(_("Only a filed claim can be approved."))
    claim.status = CompensationClaim.Status.APPROVED
    claim.decided_by = acting_user
    claim.decided_at = timezone.now()
    if note:
        claim.note = note.strip()
    save_with_audit(claim, acting_user=acting_user, reason="approved")
    return claim


@transaction.atomic
def compensation_claim_pay(
    *, claim: CompensationClaim, acting_user: Any, paid_on: dt.date | None = None
) -> CompensationClaim:
    """Finance pay an approved claim out of the fund; the loan becomes compensated.

    The fund row is locked and its balance lowered in the same transaction; a payment the
    balance cannot cover is refused (and the database's check would refuse it too).
    """
    if not _is_staff_with(acting_user, "loans.pay_compensationclaim"):
        raise PermissionDenied(_REFUSED[Actor.FINANCE])
    claim = _lock_claim(claim)
    if claim.status != CompensationClaim.Status.APPROVED:
        raise ValidationError(_("Only an approved claim can be paid."))
    loan = _lock(claim.loan)
    _fund_withdraw(fund_id=claim.fund_id, amount=claim.amount, acting_user=acting_user)
    claim.status = CompensationClaim.Status.PAID
    claim.paid_on = paid_on or today()
    save_with_audit(claim, acting_user=acting_user, reason="paid")
    _transition(loan=loan, to=LoanStatus.COMPENSATED, acting_user=acting_user)
    bank_circuit_breaker_refresh(bank=loan.bank, acting_user=acting_user)
    return claim


def _fund_withdraw(*, fund_id: int, amount: Decimal, acting_user: Any) -> CompensationFund:
    fund = CompensationFund.objects.select_for_update().get(pk=fund_id)
    if amount > fund.balance:
        raise ValidationError(
            _("The fund's balance (%(balance)s 万元) cannot cover this claim.")
            % {"balance": format_wan(fund.balance)}
        )
    fund.balance -= amount
    try:
        with transaction.atomic():
            save_with_audit(fund, acting_user=acting_user, reason="compensation paid")
    except IntegrityError:
        raise ValidationError(_("The fund's balance cannot go below zero.")) from None
    return fund


@transaction.atomic
def fund_contribution_record(
    *,
    fund: CompensationFund,
    acting_user: Any,
    total: Decimal,
    contributed_on: dt.date,
    note: str = "",
) -> FundContribution:
    """Pay `total` into the fund, split between city and district by the fund's ratio."""
    if not _is_staff_with(acting_user, "loans.add_fundcontribution"):
        raise PermissionDenied(_("Only bureau staff may record fund contributions."))
    if total is None or total <= 0:
        raise ValidationError({"total": _("The amount must be greater than zero.")})
    fund = CompensationFund.objects.select_for_update().get(pk=fund.pk)
    total = total.quantize(CENT)
    city = (total * fund.city_share_pct / 100).quantize(CENT, rounding=ROUND_HALF_UP)
    contribution = FundContribution(
        fund=fund,
        contributed_on=contributed_on,
        city_amount=city,
        district_amount=total - city,
        note=note.strip(),
        recorded_by=acting_user,
    )
    save_with_audit(contribution, acting_user=acting_user)
    fund.balance += total
    save_with_audit(fund, acting_user=acting_user, reason="contribution")
    return contribution


# ---------------------------------------------------------------------- circuit breaker


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
def bank_circuit_breaker_refresh(*, bank: Bank | None, acting_user: Any) -> Bank | None:
    """Recompute the bank's non-performing ratio and pause it above its threshold."""
    if bank is None:
        return None
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
def bank_save(*, bank: Bank, acting_user: Any) -> Bank:
    """Create or change a partner bank (staff), then re-check its circuit breaker."""
    if not (
        _is_staff_with(acting_user, "loans.change_bank")
        or _is_staff_with(acting_user, "loans.add_bank")
    ):
        raise PermissionDenied(_("Only bureau staff may change partner banks."))
    save_with_audit(bank, acting_user=acting_user, reason="saved")
    return bank_circuit_breaker_refresh(bank=bank, acting_user=acting_user)  # type: ignore[return-value]


# ---------------------------------------------------------------------------- evaluation


def credit_inputs(*, figures: AnnualFigures, on: dt.date) -> dict[str, str]:
    """The measures of a firm for the credit model, as text so they store exactly."""
    revenue, rd = figures.revenue, figures.rd_expenditure
    share = (rd * 100 / revenue).quantize(CENT, rounding=ROUND_HALF_UP) if revenue else Decimal(0)
    certificate = (
        HighTechCertificate.objects.valid_on(on)
        .filter(enterprise_id=figures.enterprise_id)
        .exists()
    )
    return {
        "invention_patents": str(figures.invention_patents),
        "utility_models": str(figures.utility_models),
        "software_copyrights": str(figures.software_copyrights),
        "rd_expenditure_wan": format_wan(rd),
        "rd_share_pct": str(share),
        "high_end_talent": str(figures.high_end_talent),
        "new_products": str(figures.new_products),
        "high_tech_certificate": "1" if certificate else "0",
    }


def credit_score(*, credit_model: CreditModel, inputs: dict[str, str]) -> scoring.Score:
    """The pure evaluation of stored inputs: re-running it gives the stored result."""
    indicators, grades = credit_model.specs()
    return scoring.evaluate(indicators, grades, {k: Decimal(v) for k, v in inputs.items()})


def active_credit_model() -> CreditModel:
    model = CreditModel.objects.filter(is_active=True).first()
    if model is None:
        raise ValidationError(_("No credit model is active."))
    return model


@transaction.atomic
def credit_evaluation_create(
    *,
    enterprise: Enterprise,
    acting_user: Any,
    year: int | None = None,
    credit_model: CreditModel | None = None,
    evaluated_on: dt.date | None = None,
) -> CreditEvaluation:
    """Evaluate a firm's figures of `year` (default: its latest) with the (active) model.

    Staff with the evaluation right may evaluate any firm; an enterprise user its own.
    Stores the inputs and the points of every indicator.
    """
    if not (
        _is_staff_with(acting_user, "loans.evaluate_enterprise")
        or is_enterprise_user_of(acting_user, enterprise.pk)
    ):
        raise PermissionDenied(_("You may not evaluate this enterprise."))
    figures_qs = AnnualFigures.objects.filter(enterprise=enterprise)
    figures = (figures_qs.filter(year=year) if year else figures_qs.order_by("-year")).first()
    if figures is None:
        raise ValidationError(_("The enterprise has no annual figures to evaluate."))
    credit_model = credit_model or active_credit_model()
    day = evaluated_on or today()
    inputs = credit_inputs(figures=figures, on=day)
    result = credit_score(credit_model=credit_model, inputs=inputs)
    evaluation = CreditEvaluation(
        enterprise=enterprise,
        credit_model=credit_model,
        year=figures.year,
        evaluated_on=day,
        inputs=inputs,
        indicator_points=[r.as_dict() for r in result.indicators],
        base_score=result.base_score,
        bonus_score=result.bonus_score,
        score=result.score,
        grade=result.grade,
        quota=result.quota,
        evaluated_by=acting_user if getattr(acting_user, "pk", None) else None,
    )
    save_with_audit(evaluation, acting_user=acting_user, reason="evaluated")
    return evaluation


def credit_evaluation_run(
    *, credit_model: CreditModel, acting_user: Any, year: int | None = None
) -> int:
    """Evaluate every firm that has figures (of `year`, or its latest); returns the count."""
    if not _is_staff_with(acting_user, "loans.evaluate_enterprise"):
        raise PermissionDenied(_("You may not evaluate this enterprise."))
    enterprises = Enterprise.objects.filter(annual_figures__isnull=False)
    if year:
        enterprises = enterprises.filter(annual_figures__year=year)
    count = 0
    for enterprise in enterprises.distinct().order_by("pk").iterator():
        credit_evaluation_create(
            enterprise=enterprise, acting_user=acting_user, year=year, credit_model=credit_model
        )
        count += 1
    return count


# --------------------------------------------------------------------------------- email


def _recipients(change: LoanStatusChange) -> list[str]:
    from django.contrib.auth import get_user_model

    loan = change.application
    users = get_user_model().objects.filter(is_active=True, link_status="approved")
    addresses = set(
        users.filter(organisation_kind="enterprise", enterprise_id=loan.enterprise_id)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    if loan.enterprise.contact_email:
        addresses.add(loan.enterprise.contact_email)
    if loan.bank_id and change.to_status in (LoanStatus.FORWARDED, LoanStatus.WITHDRAWN):
        addresses.update(
            users.filter(organisation_kind="bank", bank_id=loan.bank_id)
            .exclude(email="")
            .values_list("email", flat=True)
        )
    return sorted(addresses)


def loan_status_email_send(*, change_id: int) -> int:
    """Email the firm (and the bank where it concerns it) about one status change.

    Sends nothing when the change no longer exists; returns the number of recipients.
    """
    change = (
        LoanStatusChange.objects.select_related("application__enterprise", "application__bank")
        .filter(pk=change_id)
        .first()
    )
    if change is None:
        return 0
    recipients = _recipients(change)
    if not recipients:
        return 0
    loan = change.application
    context = {
        "change": change,
        "loan": loan,
        "enterprise": loan.enterprise,
        "amount_wan": format_wan(loan.approved_amount or loan.requested_amount),
        "url": settings.PORTAL_BASE_URL.rstrip("/")
        + reverse("loans:application_detail", args=[loan.pk]),
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("loans/email/status_changed_subject.txt", context)
        body = render_to_string("loans/email/status_changed.txt", context)
    send_mail(" ".join(subject.split()), body, None, recipients)
    return len(recipients)
