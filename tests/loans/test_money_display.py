"""Loan pages speak 万元 throughout, with separators: what the bank enters is what it reads."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from loans.models import LoanStatus
from tests.loans.factories import BankOfficerFactory, eligible_enterprise, loan_in
from tests.portal.factories import EnterpriseUserFactory, StaffFactory

pytestmark = pytest.mark.django_db


def test_bank_loan_page_lists_repayments_in_the_unit_it_takes_them(client):
    officer = BankOfficerFactory()
    client.force_login(officer)
    loan = loan_in(LoanStatus.DISBURSED, bank=officer.bank)  # 1,000,000.00 yuan lent
    page = reverse("loans:bank_loan_detail", args=[loan.pk])
    form = client.get(page).context["forms"]["repayment"]
    assert "万元" in str(form["principal"].label) and "万元" in str(form["interest"].label)
    response = client.post(
        reverse("loans:bank_loan_action", args=[loan.pk, "repayment"]),
        {
            "repayment-paid_on": dt.date.today().isoformat(),
            "repayment-principal": "11.133333",
            "repayment-interest": "6.56",
        },
    )
    assert response.status_code == 302
    content = client.get(page, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    table = content[content.index("<h2>还款记录") :]
    assert "本金（万元）" in table and "利息（万元）" in table
    assert "<td>11.133333</td><td>6.56</td>" in table
    assert "111333.33" not in content and "65600.00" not in content  # never raw yuan
    assert "<dd>100</dd>" in content  # the approved amount, in the same unit


def test_desk_and_home_show_wan_exactly(client):
    officer = BankOfficerFactory()
    loan = loan_in(
        LoanStatus.FORWARDED,
        bank=officer.bank,
        requested_amount=Decimal("1234567.89"),
        enterprise=eligible_enterprise(quota=Decimal("4113333.33")),
    )
    client.force_login(officer)
    content = client.get(reverse("loans:bank_desk")).content.decode()
    assert "<td>123.456789</td>" in content and "1234567.89" not in content
    client.force_login(EnterpriseUserFactory(enterprise=loan.enterprise))
    content = client.get(reverse("loans:home")).content.decode()
    assert '<strong id="quota">411.333333</strong>' in content
    assert "<td>123.456789</td>" in content


def test_admin_lists_amounts_with_separators(client):
    loan = loan_in(LoanStatus.FORWARDED, requested_amount=Decimal("4500000.00"))
    client.force_login(StaffFactory(is_superuser=True))
    changelist = client.get(reverse("admin:loans_loanapplication_changelist")).content.decode()
    assert '<td class="field-requested_wan">450</td>' in changelist
    page = client.get(reverse("admin:loans_loanapplication_change", args=[loan.pk]))
    assert "4,500,000.00" in page.content.decode()
    assert "4500000" not in page.content.decode()
