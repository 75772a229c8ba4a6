"""The application workflow: one service per transition, plus creation, changes and
repayments. Each locks the row, checks the table and the actor, records the change and
enqueues the status email after commit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext as _

from common.audit import save_with_audit
from common.lib.money import format_wan
from enterprises.models import Enterprise, TechFirmRegistration
from loans.lib import scoring
from loans.models import (
    MAX_TERM_MONTHS,
    MIN_TERM_MONTHS,
    Bank,
    CreditEvaluation,
    LoanApplication,
    LoanAttachment,
    LoanStatus,
    LoanStatusChange,
    Repayment,
)
from loans.services.banks import bank_circuit_breaker_refresh
from loans.services.base import _REFUSED, CENT, actor_kinds, is_enterprise_user_of, today
from loans.workflow import TRANSITIONS, Actor

MAX_RATE_PCT = Decimal("24")


def _lock(application: LoanApplication) -> LoanApplication:
    return (
        LoanApplication.objects.select_for_update(of=("self",))
        .select_related("enterprise", "bank")
        .get(pk=application.pk)
    )


def _lock_for(application: LoanApplication, actor: Actor, acting_user: Any) -> LoanApplication:
    """Lock the row, then refuse anyone but `actor` before any input is judged (an outsider
    learns nothing about the loan from a validation message)."""
    loan = _lock(application)
    if actor not in actor_kinds(acting_user, loan):
        raise PermissionDenied(_REFUSED[actor])
    return loan


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
    loan = _lock_for(application, Actor.ENTERPRISE, acting_user)
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
    loan = _lock_for(application, Actor.ENTERPRISE, acting_user)
    return _transition(loan=loan, to=LoanStatus.WITHDRAWN, acting_user=acting_user, note=note)


@transaction.atomic
def loan_application_return(
    *, application: LoanApplication, acting_user: Any, note: str
) -> LoanApplication:
    """Staff return a submitted application to the firm, saying what is missing."""
    loan = _lock_for(application, Actor.STAFF, acting_user)
    note = _required_note(note, _("Please say what the enterprise should add or correct."))
    return _transition(loan=loan, to=LoanStatus.RETURNED, acting_user=acting_user, note=note)


@transaction.atomic
def loan_application_reject(
    *, application: LoanApplication, acting_user: Any, note: str
) -> LoanApplication:
    """Staff reject a submitted application, giving the reason."""
    loan = _lock_for(application, Actor.STAFF, acting_user)
    note = _required_note(note, _("Please give the reason for the rejection."))
    return _transition(loan=loan, to=LoanStatus.REJECTED, acting_user=acting_user, note=note)


@transaction.atomic
def loan_application_forward(
    *, application: LoanApplication, acting_user: Any, bank: Bank, note: str = ""
) -> LoanApplication:
    """Staff forward a submitted application to a partner bank not paused by its breaker."""
    loan = _lock_for(application, Actor.STAFF, acting_user)
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
    loan = _lock_for(application, Actor.BANK, acting_user)
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
    loan = _lock_for(application, Actor.BANK, acting_user)
    note = _required_note(note, _("Please give the reason for declining."))
    return _transition(loan=loan, to=LoanStatus.DECLINED, acting_user=acting_user, note=note)


@transaction.atomic
def loan_disburse(
    *, application: LoanApplication, acting_user: Any, disbursed_on: dt.date, note: str = ""
) -> LoanApplication:
    """The bank records that the approved loan was paid out on `disbursed_on`."""
    loan = _lock_for(application, Actor.BANK, acting_user)
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
    loan = _lock_for(application, Actor.BANK, acting_user)
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
    loan = _lock_for(application, Actor.BANK, acting_user)
    loan = _transition(loan=loan, to=LoanStatus.OVERDUE, acting_user=acting_user, note=note)
    bank_circuit_breaker_refresh(bank=loan.bank, acting_user=acting_user)
    return loan


@transaction.atomic
def loan_mark_defaulted(
    *, application: LoanApplication, acting_user: Any, principal_loss: Decimal, note: str = ""
) -> LoanApplication:
    """The bank declares an overdue loan in default, with its principal loss."""
    loan = _lock_for(application, Actor.BANK, acting_user)
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
