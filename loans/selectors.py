"""Reads that depend on who asks. Views fetch loan records only through these; anything that
is not the asker's own answers 404."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from enterprises.models import Enterprise
from enterprises.selectors import enterprise_for_user
from loans.models import (
    Bank,
    CreditEvaluation,
    LoanApplication,
    LoanAttachment,
    LoanStatus,
    LoanStatusChange,
)
from loans.services import is_officer_of


def evaluation_latest_for_enterprise(*, enterprise: Enterprise) -> CreditEvaluation | None:
    """The enterprise's most recent credit evaluation, with its model, or None."""
    return (
        CreditEvaluation.objects.filter(enterprise=enterprise)
        .select_related("credit_model")
        .order_by("-evaluated_on", "-pk")
        .first()
    )


def loan_applications_for_enterprise(*, enterprise: Enterprise) -> QuerySet[LoanApplication]:
    return LoanApplication.objects.filter(enterprise=enterprise).select_related(
        "bank", "preferred_bank"
    )


def _with_timeline(qs: QuerySet[LoanApplication]) -> QuerySet[LoanApplication]:
    return qs.select_related("enterprise", "bank", "preferred_bank").prefetch_related(
        Prefetch(
            "status_changes",
            queryset=LoanStatusChange.objects.select_related("actor").order_by("at", "pk"),
        ),
        "attachments",
        "repayments",
    )


def loan_application_get_for_user(*, user: Any, pk: int) -> LoanApplication:
    """One application of the user's own enterprise, with its timeline; otherwise 404."""
    enterprise = enterprise_for_user(user=user)
    loan = _with_timeline(LoanApplication.objects.filter(enterprise=enterprise, pk=pk)).first()
    if loan is None:
        raise Http404
    return loan


def bank_for_user(*, user: Any) -> Bank:
    """The bank this officer works for once the link is approved; otherwise 404."""
    bank_id = getattr(user, "bank_id", None)
    if not is_officer_of(user, bank_id):
        raise Http404
    return Bank.objects.get(pk=bank_id)


def loans_for_bank(*, bank: Bank, status: str = "") -> QuerySet[LoanApplication]:
    """Applications forwarded to `bank` (whatever became of them), newest first."""
    qs = (
        LoanApplication.objects.filter(bank=bank)
        .exclude(status__in=(LoanStatus.DRAFT, LoanStatus.SUBMITTED))
        .select_related("enterprise")
        .order_by("-submitted_on", "-pk")
    )
    if status:
        qs = qs.filter(status=status)
    return qs


def loan_get_for_bank(*, user: Any, pk: int) -> LoanApplication:
    """One loan forwarded to the officer's own bank, with its timeline; otherwise 404."""
    bank = bank_for_user(user=user)
    loan = _with_timeline(loans_for_bank(bank=bank).filter(pk=pk)).first()
    if loan is None:
        raise Http404
    return loan


def attachment_get_for_user(*, user: Any, loan_pk: int, pk: int) -> LoanAttachment:
    """An attachment of an application the user may read (its firm or its bank); else 404."""
    if getattr(user, "organisation_kind", "") == "bank":
        loan = loan_get_for_bank(user=user, pk=loan_pk)
    else:
        loan = loan_application_get_for_user(user=user, pk=loan_pk)
    for attachment in loan.attachments.all():
        if attachment.pk == pk:
            return attachment
    raise Http404
