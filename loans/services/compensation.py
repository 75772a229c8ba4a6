"""The risk compensation fund: claims (80% of min(principal loss, quota)), their approval
and payment, and contributions. The fund row is locked on every change of its balance.

A claim is a process of its own (loans.workflows.CLAIM: filed → approved → paid), and its
filing and payment are steps of the loan's (defaulted → compensation claimed → compensated):
each is checked against its table and moved with common.workflow.move, which records it and
tells the next actors."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.audit import save_with_audit
from common.lib.money import format_wan_grouped
from common.notifications import step_notifications_write
from common.workflow import move
from loans.models import (
    FUND_SHARE,
    CompensationClaim,
    CompensationClaimDocument,
    CompensationClaimStatusChange,
    CompensationFund,
    CompensationPayment,
    FundContribution,
    LoanApplication,
    LoanStatus,
)
from loans.services.banks import bank_circuit_breaker_refresh
from loans.services.base import CENT, _is_staff_with, is_officer_of, lock_step, today
from loans.workflows import CLAIM, LOAN

if TYPE_CHECKING:
    from common.types import User


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
    *,
    application: LoanApplication,
    acting_user: User,
    amount: Decimal | None = None,
    note: str = "",
    documents: Iterable[UploadedFile] = (),
) -> CompensationClaim:
    """The bank claims on the fund for a defaulted loan.

    The claim is 80% of min(principal loss, quota); a larger `amount` is refused, as is a
    claim beyond the fund's balance. The loan becomes "compensation claimed" (finance are
    told) and the claim is filed (the staff who decide on claims are told).
    """
    loan = lock_step(
        LOAN, application, LoanStatus.COMPENSATION_CLAIMED, acting_user, related=("enterprise",)
    )
    if CompensationClaim.objects.filter(loan=loan).exists():
        raise ValidationError(_("A compensation claim was already filed for this loan."))
    if not loan.principal_loss:
        raise ValidationError(_("Only a defaulted loan with a principal loss can be claimed."))
    eligible, due = compensation_for(principal_loss=loan.principal_loss, quota=loan.quota)
    if amount is not None and amount.quantize(CENT) > due:
        raise ValidationError(
            {
                "amount": _(
                    "The fund pays at most %(due)s 万元: 80%% of the smaller of the principal "
                    "loss and the credit quota."
                )
                % {"due": format_wan_grouped(due)}
            }
        )
    claimed = due if amount is None else amount.quantize(CENT)
    if claimed <= 0:
        raise ValidationError({"amount": _("The amount must be greater than zero.")})
    fund = CompensationFund.objects.select_for_update().get(pk=the_fund().pk)
    if claimed > fund.balance:
        raise ValidationError(
            {
                "amount": _(
                    "The fund's balance (%(balance)s × 10,000 yuan) cannot cover this claim."
                )
                % {"balance": format_wan_grouped(fund.balance)}
            }
        )
    move(LOAN, loan, LoanStatus.COMPENSATION_CLAIMED, acting_user=acting_user, note=note)
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
    # The claim's first record, written as move() writes a step's, and the same notices.
    change = CompensationClaimStatusChange(
        claim=claim, to_status=claim.status, acting_user=acting_user, note=claim.note
    )
    save_with_audit(change, acting_user=acting_user)
    step_notifications_write(CLAIM, claim, change)
    _documents_save(claim=claim, files=documents, acting_user=acting_user)
    return claim


def _documents_save(
    *, claim: CompensationClaim, files: Iterable[UploadedFile], acting_user: User
) -> list[CompensationClaimDocument]:
    saved = []
    for upload in files:
        document = CompensationClaimDocument(
            claim=claim, original_name=(upload.name or "")[:255], uploaded_by=acting_user
        )
        document.file.save(upload.name or "upload", upload, save=False)
        save_with_audit(document, acting_user=acting_user, reason="uploaded")
        saved.append(document)
    return saved


@transaction.atomic
def compensation_claim_documents_add(
    *, claim: CompensationClaim, acting_user: User, files: Iterable[UploadedFile]
) -> list[CompensationClaimDocument]:
    """The bank adds documents (checked by the form: kind and size) to its claim while the
    bureau has not paid or rejected it. Writes the files and their audit rows."""
    locked = (
        CompensationClaim.objects.select_for_update(of=("self",))
        .select_related("loan")
        .get(pk=claim.pk)
    )
    if not is_officer_of(acting_user, locked.loan.bank_id):
        raise PermissionDenied(_("Only an officer of the bank that filed the claim may do this."))
    if locked.status not in (CompensationClaim.Status.FILED, CompensationClaim.Status.APPROVED):
        raise ValidationError(
            {"documents": _("Documents can be added only until the claim is paid or rejected.")}
        )
    files = list(files)
    if not files:
        raise ValidationError({"documents": _("Choose at least one file.")})
    return _documents_save(claim=locked, files=files, acting_user=acting_user)


def _claim_step(claim: CompensationClaim, target: str, acting_user: User) -> CompensationClaim:
    locked: CompensationClaim = lock_step(
        CLAIM, claim, target, acting_user, related=("loan__enterprise", "loan__bank")
    )
    return locked


@transaction.atomic
def compensation_claim_approve(
    *, claim: CompensationClaim, acting_user: User, note: str = ""
) -> CompensationClaim:
    """Staff approve a filed claim for payment; finance are told it waits for them."""
    claim = _claim_step(claim, CompensationClaim.Status.APPROVED, acting_user)
    claim.decided_by = acting_user
    claim.decided_at = timezone.now()
    move(CLAIM, claim, CompensationClaim.Status.APPROVED, acting_user=acting_user, note=note)
    return claim


@transaction.atomic
def compensation_claim_pay(
    *, claim: CompensationClaim, acting_user: User, paid_on: dt.date | None = None
) -> CompensationClaim:
    """Finance pay an approved claim out of the fund; the loan becomes compensated.

    Writes the claim's row in the fund's payment ledger, then lowers the fund's balance by
    that row's amount, in one transaction with the fund row locked. The ledger holds one row
    per claim, so a claim whose status was set back by any path is still refused a second
    payment; so is a payment the balance cannot cover. Two steps are recorded: the claim's
    (the bank is told it was paid) and the loan's (the firm is told).
    """
    claim = _claim_step(claim, CompensationClaim.Status.PAID, acting_user)
    payment = _payment_record(claim=claim, paid_on=paid_on or today(), acting_user=acting_user)
    loan = lock_step(
        LOAN, claim.loan, LoanStatus.COMPENSATED, acting_user, related=("enterprise", "bank")
    )
    _fund_withdraw(fund_id=payment.fund_id, amount=payment.amount, acting_user=acting_user)
    claim.paid_on = payment.paid_on
    move(CLAIM, claim, CompensationClaim.Status.PAID, acting_user=acting_user)
    move(LOAN, loan, LoanStatus.COMPENSATED, acting_user=acting_user)
    bank_circuit_breaker_refresh(bank=loan.bank, acting_user=acting_user)
    return claim


def _payment_record(
    *, claim: CompensationClaim, paid_on: dt.date, acting_user: User
) -> CompensationPayment:
    """The claim's one row in the fund's payment ledger; a second is refused by the
    database's unique claim, which this turns into a message."""
    payment = CompensationPayment(
        claim=claim,
        fund_id=claim.fund_id,
        amount=claim.amount,
        paid_on=paid_on,
        recorded_by=acting_user,
    )
    payment.full_clean(validate_unique=False)
    payment._history_user = acting_user  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            payment.save()
    except IntegrityError:
        earlier = CompensationPayment.objects.get(claim=claim)
        raise ValidationError(
            _(
                "This claim was already paid on %(day)s (%(amount)s 万元); the fund pays a "
                "claim once."
            )
            % {"day": earlier.paid_on.isoformat(), "amount": format_wan_grouped(earlier.amount)}
        ) from None
    return payment


def _fund_withdraw(*, fund_id: int, amount: Decimal, acting_user: User) -> CompensationFund:
    fund = CompensationFund.objects.select_for_update().get(pk=fund_id)
    if amount > fund.balance:
        raise ValidationError(
            _("The fund's balance (%(balance)s × 10,000 yuan) cannot cover this claim.")
            % {"balance": format_wan_grouped(fund.balance)}
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
    acting_user: User,
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
