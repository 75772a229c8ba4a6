"""Reads that depend on who asks. Views fetch loan records only through these; anything that
is not the asker's own answers 404."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import tablib
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from common.lib import uscc as uscc_lib
from common.lib.money import format_wan
from enterprises.models import Enterprise
from enterprises.selectors import enterprise_for_user
from loans.models import (
    LENT_STATUSES,
    NON_PERFORMING_STATUSES,
    Bank,
    CompensationClaim,
    CompensationClaimDocument,
    CompensationFund,
    CreditEvaluation,
    FundContribution,
    LoanApplication,
    LoanAttachment,
    LoanStatus,
    LoanStatusChange,
    Repayment,
)
from loans.services import is_officer_of

if TYPE_CHECKING:
    from common.types import AnyUser


def evaluation_latest_for_enterprise(*, enterprise: Enterprise) -> CreditEvaluation | None:
    """The enterprise's most recent credit evaluation, with its model, or None."""
    return (
        CreditEvaluation.objects.filter(enterprise=enterprise)
        .select_related("credit_model")
        .order_by("-evaluated_on", "-pk")
        .first()
    )


def evaluation_explained(*, evaluation: CreditEvaluation) -> list[dict[str, Any]]:
    """The evaluation's points per indicator, each with how its points are earned: the bands
    (minimum → points) and the most points of the indicator, read from the model version
    that scored it (one query). A band the firm's value reached is marked."""
    indicators = {i.code: i for i in evaluation.credit_model.indicators.all()}
    rows = []
    for row in evaluation.indicator_points:
        indicator = indicators.get(row.get("code"))
        bands = indicator.band_pairs() if indicator else []
        reached = None
        try:
            value = Decimal(str(row.get("value")))
        except (ArithmeticError, ValueError, TypeError):
            value = None
        if value is not None:
            reached = max((m for m, _p in bands if value >= m), default=None)
        rows.append(
            {
                **row,
                "max_points": indicator.max_points if indicator else None,
                "measure": indicator.get_measure_display() if indicator else "",
                "bands": [
                    {"min": m, "points": p, "reached": m == reached} for m, p in sorted(bands)
                ],
            }
        )
    return rows


def loan_applications_for_enterprise(*, enterprise: Enterprise) -> QuerySet[LoanApplication]:
    return LoanApplication.objects.filter(enterprise=enterprise).select_related(
        "bank", "preferred_bank"
    )


def _with_related(qs: QuerySet[LoanApplication]) -> QuerySet[LoanApplication]:
    """What a loan's page shows besides its timeline (common's `timeline` tag reads that)."""
    return qs.select_related(
        "enterprise", "bank", "preferred_bank", "compensation_claim"
    ).prefetch_related("attachments", "repayments")


def loan_application_get_for_user(*, user: AnyUser, pk: int) -> LoanApplication:
    """One application of the user's own enterprise; otherwise 404."""
    enterprise = enterprise_for_user(user=user)
    loan = _with_related(LoanApplication.objects.filter(enterprise=enterprise, pk=pk)).first()
    if loan is None:
        raise Http404
    return loan


def loan_returned_note(*, loan: LoanApplication) -> str:
    """What the bureau asked of a returned application (its last return's note); else ""."""
    if loan.status != LoanStatus.RETURNED:
        return ""
    change = loan.status_changes.filter(to_status=LoanStatus.RETURNED).last()
    return change.note if change else ""


def bank_for_user(*, user: AnyUser) -> Bank:
    """The bank this officer works for once the link is approved; otherwise 404."""
    bank_id = user.bank_id if user.is_authenticated else None
    if bank_id is None or not is_officer_of(user, bank_id):
        raise Http404
    return Bank.objects.get(pk=bank_id)


def loans_for_bank(*, bank: Bank, status: str = "", search: str = "") -> QuerySet[LoanApplication]:
    """Applications forwarded to `bank` (whatever became of them), newest first; `search`
    matches the firm's name or credit code (a part of either) or the application number."""
    qs = (
        LoanApplication.objects.filter(bank=bank)
        .exclude(status__in=(LoanStatus.DRAFT, LoanStatus.SUBMITTED))
        .select_related("enterprise")
        .order_by("-submitted_on", "-pk")
    )
    if status:
        qs = qs.filter(status=status)
    search = (search or "").strip()
    if search:
        code = uscc_lib.normalise(search)
        match = Q(enterprise__name__icontains=search) | Q(enterprise__uscc__icontains=code)
        number = code.removeprefix("#")
        if number.isascii() and number.isdigit() and len(number) <= 12:
            match |= Q(pk=int(number))
        qs = qs.filter(match)
    return qs


def bank_book(*, bank: Bank) -> dict[str, Any]:
    """The bank's book in one query: principal outstanding on loans lent, of it what is
    overdue and what is non-performing (overdue, defaulted, claimed), their counts, and the
    non-performing ratio beside the circuit breaker's threshold."""
    outstanding = F("approved_amount") - F("repaid_principal")
    zero = Decimal(0)
    row = LoanApplication.objects.filter(bank=bank, status__in=LENT_STATUSES).aggregate(
        outstanding=Coalesce(Sum(outstanding), zero),
        lent_loans=Count("pk"),
        overdue=Coalesce(Sum(outstanding, filter=Q(status=LoanStatus.OVERDUE)), zero),
        overdue_loans=Count("pk", filter=Q(status=LoanStatus.OVERDUE)),
        non_performing=Coalesce(
            Sum(outstanding, filter=Q(status__in=NON_PERFORMING_STATUSES)), zero
        ),
    )
    ratio = (
        (row["non_performing"] * 100 / row["outstanding"]).quantize(Decimal("0.01"))
        if row["outstanding"] > 0
        else Decimal("0.00")
    )
    return {
        **row,
        "npl_ratio_pct": ratio,
        "threshold_pct": bank.npl_threshold_pct,
        "above_threshold": ratio > bank.npl_threshold_pct,
    }


def loan_get_for_bank(*, user: AnyUser, pk: int) -> LoanApplication:
    """One loan forwarded to the officer's own bank; otherwise 404."""
    bank = bank_for_user(user=user)
    loan = (
        _with_related(loans_for_bank(bank=bank).filter(pk=pk))
        .prefetch_related("instalments", "compensation_claim__documents")
        .first()
    )
    if loan is None:
        raise Http404
    return loan


def claim_document_get_for_user(*, user: AnyUser, pk: int) -> CompensationClaimDocument:
    """A compensation claim's document for an officer of the bank that filed the claim, or
    for bureau staff who may view claims; anyone else 404."""
    document = CompensationClaimDocument.objects.select_related("claim__loan").filter(pk=pk).first()
    if document is None:
        raise Http404
    staff = user.is_authenticated and user.is_active and user.is_staff
    if staff and user.has_perm("loans.view_compensationclaim"):
        return document
    if is_officer_of(user, document.claim.loan.bank_id):
        return document
    raise Http404


def attachment_get_for_user(*, user: AnyUser, loan_pk: int, pk: int) -> LoanAttachment:
    """An attachment of an application the user may read (its firm or its bank); else 404."""
    if user.is_authenticated and user.organisation_kind == "bank":
        loan = loan_get_for_bank(user=user, pk=loan_pk)
    else:
        loan = loan_application_get_for_user(user=user, pk=loan_pk)
    for attachment in loan.attachments.all():
        if attachment.pk == pk:
            return attachment
    raise Http404


# ------------------------------------------------------------------------- statistics


def _money_text(value: Decimal | None) -> str:
    return f"{(value or Decimal(0)).quantize(Decimal('0.01')):f}"


def loans_summary_on(*, day: dt.date) -> dict[str, Any]:
    """The loans figures of the monthly summary (DESIGN §5), as of the end of `day`.

    Cumulative since the first record unless named _month. Portal loans are judged by their
    dated records (disbursement, repayments, status changes, paid claims); ledger rows, which
    carry no such records, by their status.
    """
    end = timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min))
    month_start = day.replace(day=1)
    loans = LoanApplication.objects.all()
    lent = loans.filter(disbursed_on__lte=day)
    lent_on = Q(disbursed_on__lte=day)
    totals = loans.aggregate(
        applicant_firms=Count("enterprise", distinct=True, filter=Q(submitted_on__lte=day)),
        granted_firms=Count("enterprise", distinct=True, filter=lent_on),
        granted_amount=Sum("approved_amount", filter=lent_on),
        granted_amount_month=Sum(
            "approved_amount", filter=lent_on & Q(disbursed_on__gte=month_start)
        ),
        overdue_ledger=Count(
            "pk",
            filter=lent_on & Q(source=LoanApplication.Source.LEDGER, status=LoanStatus.OVERDUE),
        ),
    )
    repaid_by_day = (
        Repayment.objects.filter(loan=OuterRef("pk"), paid_on__lte=day)
        .values("loan")
        .annotate(total=Sum("principal"))
        .values("total")
    )
    compensated_by_day = CompensationClaim.objects.filter(
        loan=OuterRef("pk"), status=CompensationClaim.Status.PAID, paid_on__lte=day
    )
    outstanding = (
        lent.exclude(
            source=LoanApplication.Source.LEDGER,
            status__in=(LoanStatus.REPAID, LoanStatus.COMPENSATED),
        )
        .exclude(Exists(compensated_by_day))
        .annotate(repaid=Coalesce(Subquery(repaid_by_day), Decimal(0)))
        .aggregate(total=Sum(F("approved_amount") - F("repaid")))
    )
    # A portal loan is overdue on D when its last change before the end of D (by time, then
    # id) is to "overdue": count such changes with no later one, instead of looking up every
    # loan's last change (an anti-join over the few overdue changes; one per loan at most).
    later_change = LoanStatusChange.objects.filter(
        Q(created_at__gt=OuterRef("created_at"))
        | Q(created_at=OuterRef("created_at"), pk__gt=OuterRef("pk")),
        application=OuterRef("application"),
        created_at__lt=end,
    )
    overdue_portal = (
        LoanStatusChange.objects.filter(
            application__source=LoanApplication.Source.PORTAL,
            to_status=LoanStatus.OVERDUE,
            created_at__lt=end,
        )
        .exclude(Exists(later_change))
        .count()
    )
    paid = CompensationClaim.objects.filter(
        status=CompensationClaim.Status.PAID, paid_on__lte=day
    ).aggregate(total=Sum("amount"))
    contributed = FundContribution.objects.filter(contributed_on__lte=day).aggregate(
        total=Sum(F("city_amount") + F("district_amount"))
    )
    return {
        "applicant_firms": totals["applicant_firms"],
        "granted_firms": totals["granted_firms"],
        "granted_amount": _money_text(totals["granted_amount"]),
        "granted_amount_month": _money_text(totals["granted_amount_month"]),
        "outstanding_amount": _money_text(outstanding["total"]),
        "overdue_loans": overdue_portal + totals["overdue_ledger"],
        "compensation_paid": _money_text(paid["total"]),
        "fund_balance": _money_text(
            (contributed["total"] or Decimal(0)) - (paid["total"] or Decimal(0))
        ),
    }


FUND_LEDGER_HEADERS = [
    "日期",
    "类型",
    "市级出资(万元)",
    "区级出资(万元)",
    "代偿金额(万元)",
    "合作银行",
    "统一社会信用代码",
    "企业名称",
    "余额(万元)",
    "备注",
]


def fund_ledger_dataset(*, fund: CompensationFund) -> tablib.Dataset:
    """The fund's ledger in the official style: contributions (注资) and paid claims (代偿)
    in date order, amounts in 万元, with the running balance.

    Cells are raw (a bank's note as typed): write the file with `common.exports`, which
    neutralises formulas, never with `dataset.export()`."""
    rows: list[tuple[dt.date, int, list[Any], Decimal, str]] = []
    for contribution in fund.contributions.order_by("contributed_on", "pk"):
        rows.append(
            (
                contribution.contributed_on,
                0,
                [
                    "注资",
                    format_wan(contribution.city_amount),
                    format_wan(contribution.district_amount),
                    "",
                    "",
                    "",
                    "",
                ],
                contribution.total,
                contribution.note,
            )
        )
    claims = fund.claims.filter(status=CompensationClaim.Status.PAID).select_related(
        "loan__bank", "loan__enterprise"
    )
    for claim in claims.order_by("paid_on", "pk"):
        loan = claim.loan
        rows.append(
            (
                claim.paid_on or dt.date.min,
                1,
                [
                    "代偿",
                    "",
                    "",
                    format_wan(claim.amount),
                    loan.bank.name if loan.bank else "",
                    loan.enterprise.uscc,
                    loan.enterprise.name,
                ],
                -claim.amount,
                claim.note,
            )
        )
    dataset = tablib.Dataset(headers=FUND_LEDGER_HEADERS)
    balance = Decimal(0)
    for day, _kind, cells, change, note in sorted(rows, key=lambda row: (row[0], row[1])):
        balance += change
        dataset.append([day.isoformat(), *cells, format_wan(balance), note])
    return dataset
