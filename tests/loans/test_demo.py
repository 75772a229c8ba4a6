"""The loans part of `manage.py seed_demo`: banks with officers, evaluations, loans in every
state, the `bank` login on its desk; running it twice creates nothing more."""

from io import StringIO

import pytest
from django.core.management import call_command

from loans.models import (
    Bank,
    CompensationFund,
    CreditEvaluation,
    FundContribution,
    LoanApplication,
    LoanStatus,
    LoanStatusChange,
)
from portal.accounts.models import User

pytestmark = pytest.mark.django_db


def _seed() -> None:
    call_command("seed_demo", force=True, stdout=StringIO())


def _counts() -> tuple:
    return tuple(
        model.objects.count()
        for model in (
            Bank, CreditEvaluation, FundContribution, LoanApplication, LoanStatusChange, User,
        )
    )  # fmt: skip


def test_demo_has_loans_in_every_state_and_is_idempotent(client):
    _seed()
    assert set(LoanApplication.objects.values_list("status", flat=True)) == set(LoanStatus.values)
    assert Bank.objects.count() == 2
    assert CreditEvaluation.objects.count() > 50
    assert CompensationFund.objects.get().balance > 0
    bank_user = User.objects.get(username="bank")
    assert bank_user.organisation == Bank.objects.get(name="重庆农村商业银行江北支行")
    assert not bank_user.bank.paused  # the demo officer's bank takes applications
    assert Bank.objects.get(name="中国建设银行重庆江北支行").paused  # the breaker, on show
    first = _counts()
    _seed()
    assert _counts() == first

    client.force_login(bank_user)
    page = client.get("/loans/bank/")
    assert page.status_code == 200
    assert LoanApplication.objects.filter(bank=bank_user.bank).exists()
    loan = LoanApplication.objects.filter(bank=bank_user.bank).first()
    assert client.get(f"/loans/bank/{loan.pk}/").status_code == 200
