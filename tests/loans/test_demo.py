"""The loans part of `manage.py seed_demo`: banks with officers, evaluations, loans in every
state, the `bank` login on its desk; running it twice creates nothing more."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from common.models import Notification
from loans.models import (
    Bank,
    CompensationClaim,
    CompensationFund,
    CompensationPayment,
    CreditEvaluation,
    FundContribution,
    LoanApplication,
    LoanStatus,
    LoanStatusChange,
)
from loans.workflows import LOAN
from portal.accounts.models import User

# Run with the other tests reading the demo, on one worker: the demo is seeded once for them.
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("demo")]
S = LoanStatus


def _seed() -> None:
    call_command("seed_demo", force=True, stdout=StringIO())


def _counts() -> tuple:
    return tuple(
        model.objects.count()
        for model in (
            Bank, CreditEvaluation, FundContribution, LoanApplication, LoanStatusChange, User,
        )
    )  # fmt: skip


def test_demo_has_loans_in_every_state_and_is_idempotent(seeded_demo, client):
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


def test_demo_loans_are_what_the_services_make(seeded_demo):
    """Each demo loan's records walk its table from the draft, made by the people the table
    names; the fund's balance is its contributions less its payments; the next actors were
    told; the loans that got further lie in the past."""
    today = timezone.localdate()
    for loan in LoanApplication.objects.prefetch_related("status_changes__acting_user"):
        changes = list(loan.status_changes.all())
        assert [c.from_status for c in changes][0] == "" and changes[0].to_status == S.DRAFT
        assert changes[-1].to_status == loan.status
        for change in changes[1:]:
            assert LOAN.actors_for(change.from_status, change.to_status), change
            assert LOAN.may(change.acting_user, _as_of(loan, change), change.to_status), change
        assert [c.created_at for c in changes] == sorted(c.created_at for c in changes)
        if loan.disbursed_on:
            assert (today - loan.submitted_on).days >= 400
            assert loan.submitted_on <= loan.disbursed_on <= today
    contributed = sum(c.total for c in FundContribution.objects.all())
    paid = sum(p.amount for p in CompensationPayment.objects.all())
    assert paid > 0 and CompensationFund.objects.get().balance == contributed - paid
    claim = CompensationClaim.objects.get(status=CompensationClaim.Status.PAID)
    assert [c.to_status for c in claim.status_changes.all()] == ["filed", "approved", "paid"]
    assert claim.loan.status == S.COMPENSATED and claim.paid_on <= today
    # The bureau's logins were told of what waits for them.
    for username in ("staff", "finance", "bank"):
        assert Notification.objects.filter(recipient__username=username).exists(), username


def _as_of(loan, change):
    """The loan as it stood before `change` (who may make a step depends on its bank)."""
    loan.status = change.from_status
    return loan
