"""Each figure of the `loans` section at its boundaries (DESIGN §5), table-driven."""

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from loans.models import (
    CompensationClaim,
    CompensationFund,
    FundContribution,
    LoanApplication,
    LoanStatus,
    LoanStatusChange,
    Repayment,
)
from portal.statistics.lib import Period
from portal.statistics.sections import loans as section
from tests.loans.factories import loan_in

S = LoanStatus
pytestmark = pytest.mark.django_db

PERIOD = Period(2025, 10)  # D = 2025-10-31
D = PERIOD.last_day
AFTER = D + dt.timedelta(days=1)
KEYS = [
    "applicant_firms", "granted_firms", "granted_amount", "granted_amount_month",
    "outstanding_amount", "overdue_loans", "compensation_paid", "fund_balance",
]  # fmt: skip


def test_keys_are_the_design():
    assert list(section.compute(PERIOD)) == KEYS
    assert section.compute(PERIOD)["granted_amount"] == "0.00"


@pytest.mark.parametrize(
    ("submitted_on", "applicants"),
    [(D, 1), (AFTER, 0), (dt.date(2019, 1, 2), 1)],
)
def test_applicant_firms_whatever_the_fate(submitted_on, applicants):
    loan_in(S.REJECTED, submitted_on=submitted_on)
    assert section.compute(PERIOD)["applicant_firms"] == applicants


@pytest.mark.parametrize(
    ("disbursed_on", "granted", "amount", "month"),
    [
        (D, 1, "1000000.00", "1000000.00"),  # disbursed on D itself
        (AFTER, 0, "0.00", "0.00"),  # the day after does not count
        (dt.date(2025, 10, 1), 1, "1000000.00", "1000000.00"),  # first day of the month
        (dt.date(2025, 9, 30), 1, "1000000.00", "0.00"),  # the eve of the month
    ],
)
def test_granted(disbursed_on, granted, amount, month):
    loan_in(S.DISBURSED, submitted_on=dt.date(2025, 9, 1), disbursed_on=disbursed_on)
    figures = section.compute(PERIOD)
    assert (figures["granted_firms"], figures["granted_amount"]) == (granted, amount)
    assert figures["granted_amount_month"] == month


@pytest.mark.parametrize(
    ("paid_on", "outstanding"),
    [(D, "600000.00"), (AFTER, "1000000.00")],
)
def test_outstanding_less_repayments_by_d(paid_on, outstanding):
    loan = loan_in(S.DISBURSED, submitted_on=dt.date(2025, 9, 1), disbursed_on=D)
    Repayment.objects.create(loan=loan, paid_on=paid_on, principal=Decimal("400000"))
    assert section.compute(PERIOD)["outstanding_amount"] == outstanding


def test_settled_ledger_rows_and_compensated_loans_are_not_outstanding():
    loan_in(
        S.REPAID,
        source=LoanApplication.Source.LEDGER,
        submitted_on=dt.date(2020, 1, 1),
        disbursed_on=dt.date(2020, 1, 20),
    )
    compensated = loan_in(
        S.COMPENSATED, submitted_on=dt.date(2025, 1, 1), disbursed_on=dt.date(2025, 1, 9)
    )
    CompensationClaim.objects.create(
        loan=compensated,
        fund=CompensationFund.objects.get(),
        principal_loss=Decimal("600000"),
        eligible_loss=Decimal("600000"),
        amount=Decimal("480000"),
        status=CompensationClaim.Status.PAID,
        paid_on=D,
    )
    FundContribution.objects.create(
        fund=CompensationFund.objects.get(),
        contributed_on=dt.date(2025, 3, 1),
        city_amount=Decimal("2000000"),
        district_amount=Decimal("3000000"),
    )
    figures = section.compute(PERIOD)
    assert figures["outstanding_amount"] == "0.00"
    assert figures["compensation_paid"] == "480000.00"
    assert figures["fund_balance"] == "4520000.00"
    before = section.compute(Period(2025, 9))
    assert (before["compensation_paid"], before["fund_balance"]) == ("0.00", "5000000.00")


@pytest.mark.parametrize(
    ("overdue_at", "repaid_at", "overdue"),
    [
        (dt.datetime(2025, 10, 31, 23, 59), None, 1),  # overdue on D, late in the day
        (dt.datetime(2025, 11, 1, 0, 1), None, 0),  # overdue only after D
        (dt.datetime(2025, 10, 10), dt.datetime(2025, 10, 20), 0),  # repaid again by D
        (dt.datetime(2025, 10, 10), dt.datetime(2025, 11, 2), 1),  # repaid after D
    ],
)
def test_overdue_on_d(overdue_at, repaid_at, overdue):
    loan = loan_in(S.OVERDUE, submitted_on=dt.date(2025, 1, 1), disbursed_on=dt.date(2025, 1, 9))
    for at, to in ((overdue_at, S.OVERDUE), (repaid_at, S.REPAID)):
        if at:
            change = LoanStatusChange.objects.create(application=loan, to_status=to)
            LoanStatusChange.objects.filter(pk=change.pk).update(
                created_at=timezone.make_aware(at)  # Asia/Shanghai
            )
    loan_in(
        S.OVERDUE,
        source=LoanApplication.Source.LEDGER,
        submitted_on=dt.date(2019, 5, 1),
        disbursed_on=dt.date(2019, 5, 9),
    )
    assert section.compute(PERIOD)["overdue_loans"] == overdue + 1  # + the ledger row


@pytest.mark.parametrize(
    ("order", "overdue"),
    [((S.OVERDUE, S.REPAID), 0), ((S.REPAID, S.OVERDUE), 1)],
)
def test_overdue_changes_at_the_same_instant_read_in_id_order(order, overdue):
    loan = loan_in(S.OVERDUE, submitted_on=dt.date(2025, 1, 1), disbursed_on=dt.date(2025, 1, 9))
    same = timezone.make_aware(dt.datetime(2025, 10, 10, 9))
    for to in order:
        change = LoanStatusChange.objects.create(application=loan, to_status=to)
        LoanStatusChange.objects.filter(pk=change.pk).update(created_at=same)
    assert section.compute(PERIOD)["overdue_loans"] == overdue
