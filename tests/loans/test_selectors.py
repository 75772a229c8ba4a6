"""Reads across the loans models: the monthly summary's loan figures and the fund ledger."""

import datetime as dt
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from loans import selectors, services
from loans.models import (
    CompensationClaim,
    CompensationFund,
    LoanApplication,
    LoanStatus,
    LoanStatusChange,
    Repayment,
)
from tests.loans.factories import FinanceFactory, loan_in
from tests.portal.factories import StaffFactory

S = LoanStatus
pytestmark = pytest.mark.django_db


@pytest.fixture
def book():
    today = dt.date.today()
    earlier = today - dt.timedelta(days=70)
    staff = StaffFactory()
    fund = CompensationFund.objects.get()
    services.fund_contribution_record(
        fund=fund,
        acting_user=staff,
        total=Decimal("10000000"),
        contributed_on=earlier,
        note="年度注资",
    )
    partly_repaid = loan_in(S.DISBURSED, submitted_on=earlier, disbursed_on=earlier)
    Repayment.objects.create(loan=partly_repaid, paid_on=earlier, principal=Decimal("400000"))
    loan_in(S.DISBURSED, approved_amount=Decimal("500000"))  # disbursed today
    loan_in(S.SUBMITTED)  # an applicant, not granted
    loan_in(
        S.REPAID,
        source=LoanApplication.Source.LEDGER,
        submitted_on=dt.date(2020, 3, 1),
        disbursed_on=dt.date(2020, 3, 20),
        approved_amount=Decimal("2000000"),
        quota=None,
        evaluation=None,
    )
    compensated = loan_in(S.COMPENSATION_CLAIMED, submitted_on=earlier, disbursed_on=earlier)
    claim = CompensationClaim.objects.create(
        loan=compensated,
        fund=fund,
        principal_loss=Decimal("600000"),
        eligible_loss=Decimal("600000"),
        amount=Decimal("480000"),
        status=CompensationClaim.Status.APPROVED,
        note="第一笔代偿",
    )
    services.compensation_claim_pay(claim=claim, acting_user=FinanceFactory())
    overdue = loan_in(S.OVERDUE, submitted_on=earlier, disbursed_on=earlier)
    LoanStatusChange.objects.create(
        application=overdue, from_status=S.DISBURSED, to_status=S.OVERDUE
    )
    return fund


def test_loans_summary_on_a_day(book):
    today = dt.date.today()
    summary = selectors.loans_summary_on(day=today)
    assert summary == {
        "applicant_firms": 6,
        "granted_firms": 5,
        "granted_amount": "5500000.00",  # 1,000,000 ×3 + 500,000 + 2,000,000
        "granted_amount_month": "500000.00",  # the others were lent 70 days ago
        "outstanding_amount": "2100000.00",  # 600,000 + 500,000 + 1,000,000 overdue
        "overdue_loans": 1,
        "compensation_paid": "480000.00",
        "fund_balance": "9520000.00",
    }


def test_loans_summary_before_anything_happened(book):
    summary = selectors.loans_summary_on(day=dt.date(2019, 12, 31))
    assert summary["applicant_firms"] == 0
    assert summary["granted_amount"] == "0.00"
    assert summary["fund_balance"] == "0.00"


def test_fund_ledger_in_date_order_with_running_balance(book, client):
    dataset = selectors.fund_ledger_dataset(fund=book)
    assert dataset.headers == selectors.FUND_LEDGER_HEADERS
    assert [row[1] for row in dataset] == ["注资", "代偿"]
    assert dataset[0][2:4] == ("400", "600")
    assert dataset[1][4] == "48" and dataset[1][8] == "952" and dataset[1][9] == "第一笔代偿"

    client.force_login(FinanceFactory())
    response = client.post(
        "/admin/loans/compensationfund/",
        {"action": "download_ledger", "_selected_action": [str(book.pk)], "index": "0"},
    )
    assert response.status_code == 200
    import io

    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [cell.value for cell in sheet[1]] == selectors.FUND_LEDGER_HEADERS
