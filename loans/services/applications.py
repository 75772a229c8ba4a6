"""The loan application: one service per step, plus creation, changes and repayments.

Each step locks the row, refuses an outsider before anything else is judged, checks the
table and the actor (loans.workflows.LOAN), runs its own rules, then moves the loan with
common.workflow.move: the status-change record and the notifications of the next actors are
written in the same transaction (the outbox), and sent after commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from common.audit import save_with_audit
from common.lib.money import format_wan_grouped
from common.workflow import lock, move, require_step
from enterprises.models import Enterprise, TechFirmRegistration
from loans.lib import schedule as schedules
from loans.lib import scoring
from loans.models import (
    MAX_TERM_MONTHS,
    MIN_TERM_MONTHS,
    Bank,
    CreditEvaluation,
    Instalment,
    LoanApplication,
    LoanAttachment,
    LoanStatus,
    LoanStatusChange,
    Repayment,
)
from loans.services.banks import bank_circuit_breaker_refresh
from loans.services.base import CENT, is_enterprise_user_of, lock_step, today
from loans.workflows import BANK, ENTERPRISE, LOAN

if TYPE_CHECKING:
    from common.types import User

MAX_RATE_PCT = Decimal("24")
S = LoanStatus


def _lock(application: LoanApplication) -> LoanApplication:
    loan: LoanApplication = lock(LOAN, application, related=("enterprise", "bank"))
    return loan


def _step(application: LoanApplication, target: str, acting_user: User) -> LoanApplication:
    """The loan locked, once `acting_user` may move it to `target` (see lock_step)."""
    return lock_step(LOAN, application, target, acting_user, related=("enterprise", "bank"))


def _refuse_unless_enterprise(loan: LoanApplication, acting_user: User) -> None:
    if not ENTERPRISE.holds(acting_user, loan):
        raise PermissionDenied(_("Only the applying enterprise may do this."))


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
                % {"max": format_wan_grouped(maximum)}
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


def loan_application_refusals(
    *, enterprise: Enterprise, on: dt.date | None = None, exclude_pk: int | None = None
) -> list[str]:
    """Why `enterprise` may not apply for a loan on `on` (default today), each reason in
    words; empty when it may. The one set of checks the application services enforce (they
    raise these reasons), so the firm reads them before it fills in the form.

    `exclude_pk` leaves out the application being changed or submitted itself. Reads only
    (three queries).
    """
    on = on or today()
    reasons: list[str] = []
    if not TechFirmRegistration.objects.registered_on(on).filter(enterprise=enterprise).exists():
        reasons.append(
            _("Only firms registered in the tech-firm database on %(day)s may apply.")
            % {"day": on.isoformat()}
        )
    others = LoanApplication.objects.open().filter(enterprise=enterprise)
    if exclude_pk is not None:
        others = others.exclude(pk=exclude_pk)
    if others.exists():
        reasons.append(
            _("Your enterprise already has an open loan application; only one is allowed.")
        )
    evaluation = latest_evaluation(enterprise.pk)
    if evaluation is None:
        reasons.append(
            _("Your enterprise has no credit quota yet: the bureau must evaluate it first.")
        )
    elif evaluation.quota <= 0:
        reasons.append(
            _(
                "Your credit evaluation of %(day)s scores %(score)s points, too low for a "
                "credit grade with a quota."
            )
            % {"day": evaluation.evaluated_on.isoformat(), "score": evaluation.score}
        )
    return reasons


def _check_can_apply(*, enterprise: Enterprise, on: dt.date, exclude_pk: int | None) -> None:
    reasons = loan_application_refusals(enterprise=enterprise, on=on, exclude_pk=exclude_pk)
    if reasons:
        raise ValidationError(reasons)


def _check_bank_offered(bank: Bank | None) -> None:
    """A preferred bank must not be paused by its circuit breaker (the form offers none)."""
    if bank is not None and Bank.objects.filter(pk=bank.pk, paused=True).exists():
        raise ValidationError(
            {
                "preferred_bank": _(
                    "%(bank)s receives no new applications: its circuit breaker is on. "
                    "Choose another bank or none."
                )
                % {"bank": bank.name}
            }
        )


def _evaluation_for_application(enterprise: Enterprise) -> CreditEvaluation:
    evaluation = latest_evaluation(enterprise.pk)
    if evaluation is None or evaluation.quota <= 0:
        raise ValidationError(
            _("Your enterprise has no credit quota yet: the bureau must evaluate it first.")
        )
    return evaluation


def _save_attachments(
    *, application: LoanApplication, files: Iterable[UploadedFile], acting_user: User
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
    acting_user: User,
    requested_amount: Decimal,
    term_months: int,
    purpose: str = "",
    preferred_bank: Bank | None = None,
    attachments: Iterable[UploadedFile] = (),
) -> LoanApplication:
    """Create a draft application of the user's own enterprise, with its attachments.

    Refuses (ValidationError, nothing saved) what `loan_application_refusals` names (an
    unregistered firm, a second open application, no quota), a bank paused by its circuit
    breaker, an amount above min(quota, 5,000,000) or not positive, and a term outside 6–36 months.
    """
    if not is_enterprise_user_of(acting_user, enterprise.pk):
        raise PermissionDenied(_("Only the applying enterprise may do this."))
    Enterprise.objects.select_for_update().get(pk=enterprise.pk)  # one creation at a time
    _check_can_apply(enterprise=enterprise, on=today(), exclude_pk=None)
    _check_bank_offered(preferred_bank)
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
    # The first record: the draft waits for its own firm, so nobody else is told.
    change = LoanStatusChange(application=application, to_status=S.DRAFT, acting_user=acting_user)
    save_with_audit(change, acting_user=acting_user)
    _save_attachments(application=application, files=attachments, acting_user=acting_user)
    return application


@transaction.atomic
def loan_application_update(
    *,
    application: LoanApplication,
    acting_user: User,
    requested_amount: Decimal,
    term_months: int,
    purpose: str = "",
    preferred_bank: Bank | None = None,
    attachments: Iterable[UploadedFile] = (),
) -> LoanApplication:
    """The enterprise changes a draft or returned application and may add attachments."""
    loan = _lock(application)
    _refuse_unless_enterprise(loan, acting_user)
    if loan.status not in (S.DRAFT, S.RETURNED):
        raise ValidationError(_("Only a draft or a returned application can be changed."))
    _check_bank_offered(preferred_bank)
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
def loan_application_submit(*, application: LoanApplication, acting_user: User) -> LoanApplication:
    """Submit a draft (or returned) application to the bureau, dated today.

    The firm must be a registered tech firm today and hold no other open application; the
    latest evaluation's quota is taken and the amount checked against it.
    """
    loan = _step(application, S.SUBMITTED, acting_user)
    day = today()
    _check_can_apply(enterprise=loan.enterprise, on=day, exclude_pk=loan.pk)
    _check_bank_offered(loan.preferred_bank)
    evaluation = _evaluation_for_application(loan.enterprise)
    _check_amount(
        loan.requested_amount,
        maximum=min(evaluation.quota, scoring.MAX_QUOTA),
        field="requested_amount",
    )
    loan.submitted_on, loan.evaluation, loan.quota = day, evaluation, evaluation.quota
    move(LOAN, loan, S.SUBMITTED, acting_user=acting_user)
    return loan


@transaction.atomic
def loan_application_withdraw(
    *, application: LoanApplication, acting_user: User, note: str = ""
) -> LoanApplication:
    """The applicant withdraws its application, at any time before the bank decides."""
    loan = _step(application, S.WITHDRAWN, acting_user)
    move(LOAN, loan, S.WITHDRAWN, acting_user=acting_user, note=note)
    return loan


@transaction.atomic
def loan_application_return(
    *, application: LoanApplication, acting_user: User, note: str
) -> LoanApplication:
    """Staff return a submitted application to the firm, saying what is missing."""
    loan = _step(application, S.RETURNED, acting_user)
    note = _required_note(note, _("Please say what the enterprise should add or correct."))
    move(LOAN, loan, S.RETURNED, acting_user=acting_user, note=note)
    return loan


@transaction.atomic
def loan_application_reject(
    *, application: LoanApplication, acting_user: User, note: str
) -> LoanApplication:
    """Staff reject a submitted application, giving the reason."""
    loan = _step(application, S.REJECTED, acting_user)
    note = _required_note(note, _("Please give the reason for the rejection."))
    move(LOAN, loan, S.REJECTED, acting_user=acting_user, note=note)
    return loan


@transaction.atomic
def loan_application_forward(
    *, application: LoanApplication, acting_user: User, bank: Bank, note: str = ""
) -> LoanApplication:
    """Staff forward a submitted application to a partner bank not paused by its breaker."""
    loan = _step(application, S.FORWARDED, acting_user)
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
    loan.bank = bank
    move(LOAN, loan, S.FORWARDED, acting_user=acting_user, note=note)
    return loan


@transaction.atomic
def loan_approve(
    *,
    application: LoanApplication,
    acting_user: User,
    amount: Decimal,
    annual_rate_pct: Decimal,
    term_months: int,
    note: str = "",
) -> LoanApplication:
    """The bank approves a forwarded application: amount ≤ min(quota, 5,000,000), rate, term."""
    loan = _step(application, S.APPROVED, acting_user)
    loan.approved_amount = _check_amount(amount, maximum=loan.max_amount, field="amount")
    if annual_rate_pct is None or not 0 < annual_rate_pct <= MAX_RATE_PCT:
        raise ValidationError(
            {"annual_rate_pct": _("The annual rate must be above 0 and at most 24%.")}
        )
    loan.annual_rate_pct = annual_rate_pct
    loan.approved_term_months = _check_term(term_months)
    move(LOAN, loan, S.APPROVED, acting_user=acting_user, note=note)
    return loan


@transaction.atomic
def loan_decline(*, application: LoanApplication, acting_user: User, note: str) -> LoanApplication:
    """The bank declines a forwarded application, giving the reason."""
    loan = _step(application, S.DECLINED, acting_user)
    note = _required_note(note, _("Please give the reason for declining."))
    move(LOAN, loan, S.DECLINED, acting_user=acting_user, note=note)
    return loan


@transaction.atomic
def loan_disburse(
    *, application: LoanApplication, acting_user: User, disbursed_on: dt.date, note: str = ""
) -> LoanApplication:
    """The bank records that the approved loan was paid out on `disbursed_on`."""
    loan = _step(application, S.DISBURSED, acting_user)
    if disbursed_on is None or disbursed_on > today():
        raise ValidationError({"disbursed_on": _("The disbursement date cannot be in the future.")})
    if loan.submitted_on and disbursed_on < loan.submitted_on:
        raise ValidationError(
            {"disbursed_on": _("The disbursement date cannot be before the application date.")}
        )
    loan.disbursed_on = disbursed_on
    term = loan.approved_term_months or loan.term_months
    loan.maturity_on = schedules.maturity(disbursed_on, term)
    move(LOAN, loan, S.DISBURSED, acting_user=acting_user, note=note)
    _schedule_write(loan, term)
    bank_circuit_breaker_refresh(bank=loan.bank, acting_user=acting_user)
    return loan


def _schedule_write(loan: LoanApplication, term: int) -> None:
    """The loan's instalments from its amount, rate and term (loans.lib.schedule)."""
    assert loan.disbursed_on and loan.approved_amount and loan.annual_rate_pct
    Instalment.objects.filter(loan=loan).delete()
    Instalment.objects.bulk_create(
        Instalment(
            loan=loan,
            number=item.number,
            due_on=item.due_on,
            principal=item.principal,
            interest=item.interest,
        )
        for item in schedules.interest_monthly_principal_at_maturity(
            principal=loan.approved_amount,
            annual_rate_pct=loan.annual_rate_pct,
            term_months=term,
            disbursed_on=loan.disbursed_on,
        )
    )


def loan_first_unpaid_instalment(
    *, loan: LoanApplication, interest_paid: Decimal
) -> schedules.Instalment | None:
    """The loan's earliest instalment that what was repaid does not cover (None: none)."""
    return schedules.first_unpaid(
        [
            schedules.Instalment(
                number=i.number, due_on=i.due_on, principal=i.principal, interest=i.interest
            )
            for i in loan.instalments.all()
        ],
        principal_paid=loan.repaid_principal,
        interest_paid=interest_paid,
    )


@transaction.atomic
def loan_fall_overdue(*, application: LoanApplication, on: dt.date) -> bool:
    """The scheduled step (the system acts): a disbursed loan with an instalment due before
    `on` and not covered by its repayments becomes overdue, recorded and told as the bank's
    own report would be. Returns whether it moved; a loan no longer disbursed, or paid up,
    is left alone, so running it twice changes nothing."""
    loan = _lock(application)
    if loan.status != S.DISBURSED:
        return False
    paid = loan.repayments.aggregate(total=Sum("interest"))["total"] or Decimal(0)
    unpaid = loan_first_unpaid_instalment(loan=loan, interest_paid=paid)
    if unpaid is None or unpaid.due_on >= on:
        return False
    require_step(LOAN, loan, S.OVERDUE, None)
    note = _("Instalment %(number)s, due on %(day)s, was not paid in full.") % {
        "number": unpaid.number,
        "day": unpaid.due_on.isoformat(),
    }
    move(LOAN, loan, S.OVERDUE, acting_user=None, note=note)
    bank_circuit_breaker_refresh(bank=loan.bank, acting_user=None)  # type: ignore[arg-type]
    return True


def loans_fall_overdue(*, on: dt.date | None = None) -> int:
    """The daily job: every disbursed loan with an instalment due before `on` (default
    today) is checked by loan_fall_overdue, each in its own transaction. Returns how many
    became overdue. Safe to run twice: an overdue loan is no longer disbursed."""
    on = on or today()
    candidates = (
        LoanApplication.objects.filter(status=S.DISBURSED, instalments__due_on__lt=on)
        .distinct()
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    moved = 0
    for pk in list(candidates):
        moved += loan_fall_overdue(application=LoanApplication(pk=pk), on=on)
    return moved


@transaction.atomic
def loan_repayment_record(
    *,
    application: LoanApplication,
    acting_user: User,
    paid_on: dt.date,
    principal: Decimal,
    interest: Decimal = Decimal(0),
) -> Repayment:
    """The bank records a repayment; once no principal is outstanding the loan is repaid
    (the step to "repaid", recorded and told to the firm)."""
    loan = _lock(application)
    if not BANK.holds(acting_user, loan):
        raise PermissionDenied(
            _("Only an officer of the bank this loan was forwarded to may do this.")
        )
    if loan.status not in (S.DISBURSED, S.OVERDUE):
        raise ValidationError(_("Repayments can only be recorded on a disbursed or overdue loan."))
    principal = (principal or Decimal(0)).quantize(CENT)
    interest = (interest or Decimal(0)).quantize(CENT)
    if principal < 0 or interest < 0 or (principal == 0 and interest == 0):
        raise ValidationError({"principal": _("Enter a positive principal or interest.")})
    if principal > loan.outstanding_principal:
        raise ValidationError(
            {
                "principal": _("Only %(amount)s × 10,000 yuan of principal is outstanding.")
                % {"amount": format_wan_grouped(loan.outstanding_principal)}
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
        require_step(LOAN, loan, S.REPAID, acting_user)
        move(
            LOAN,
            loan,
            S.REPAID,
            acting_user=acting_user,
            note=_("Repaid in full on %(day)s.") % {"day": paid_on.isoformat()},
        )
        bank_circuit_breaker_refresh(bank=loan.bank, acting_user=acting_user)
    else:
        save_with_audit(loan, acting_user=acting_user, reason="repayment")
    return repayment


@transaction.atomic
def loan_mark_overdue(
    *, application: LoanApplication, acting_user: User, note: str = ""
) -> LoanApplication:
    """The bank reports a disbursed loan as overdue."""
    loan = _step(application, S.OVERDUE, acting_user)
    move(LOAN, loan, S.OVERDUE, acting_user=acting_user, note=note)
    bank_circuit_breaker_refresh(bank=loan.bank, acting_user=acting_user)
    return loan


@transaction.atomic
def loan_mark_defaulted(
    *, application: LoanApplication, acting_user: User, principal_loss: Decimal, note: str = ""
) -> LoanApplication:
    """The bank declares an overdue loan in default, with its principal loss."""
    loan = _step(application, S.DEFAULTED, acting_user)
    if principal_loss is None or principal_loss <= 0:
        raise ValidationError({"principal_loss": _("The amount must be greater than zero.")})
    if principal_loss > loan.outstanding_principal:
        raise ValidationError(
            {
                "principal_loss": _(
                    "The principal loss cannot exceed the outstanding principal (%(amount)s 万元)."
                )
                % {"amount": format_wan_grouped(loan.outstanding_principal)}
            }
        )
    loan.principal_loss = principal_loss.quantize(CENT)
    move(LOAN, loan, S.DEFAULTED, acting_user=acting_user, note=note)
    bank_circuit_breaker_refresh(bank=loan.bank, acting_user=acting_user)
    return loan
