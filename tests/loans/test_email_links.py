"""The status email links each recipient to a page that opens for them: the bank desk page
for the bank's officers, the application page for the firm."""

import re

import pytest
from django.urls import reverse

from loans import services
from loans.models import LoanStatus
from tests.loans.factories import BankOfficerFactory, loan_in
from tests.portal.factories import EnterpriseUserFactory, StaffFactory

pytestmark = pytest.mark.django_db


def _link(body: str) -> str:
    [url] = re.findall(r"https?://\S+", body)
    return re.sub(r"^https?://[^/]+", "", url)


def test_the_forwarded_email_links_the_bank_to_its_desk_and_the_firm_to_its_page(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    loan = loan_in(LoanStatus.SUBMITTED)
    firm = EnterpriseUserFactory(enterprise=loan.enterprise, email="cfo@firm.example.cn")
    officer = BankOfficerFactory(email="credit@bank.example.cn")
    with django_capture_on_commit_callbacks(execute=False):  # the task is run by hand below
        services.loan_application_forward(
            application=loan, acting_user=StaffFactory(), bank=officer.bank
        )
    change = loan.status_changes.latest("pk")

    assert services.loan_status_email_send(change_id=change.pk) == 2
    by_recipient = {address: message for message in mailoutbox for address in message.to}
    bank_link = _link(by_recipient[officer.email].body)
    firm_link = _link(by_recipient[firm.email].body)
    assert bank_link == reverse("loans:bank_loan_detail", args=[loan.pk])
    assert firm_link == reverse("loans:application_detail", args=[loan.pk])

    client.force_login(officer)
    assert client.get(bank_link).status_code == 200
    client.force_login(firm)
    assert client.get(firm_link).status_code == 200
