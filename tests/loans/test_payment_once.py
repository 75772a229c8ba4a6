"""Money moves once: a compensation claim is paid once, by any path.

The fund's payment ledger holds one row per claim (a unique key in the database), so a
second payment is refused whatever set the claim's status back: the service called twice,
a raw update (as a history revert used to do), the admin action, two payments at once.
The history pages themselves answer GET only.
"""

import datetime as dt
import importlib
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import translation

from loans import services
from loans.models import (
    CompensationClaim,
    CompensationFund,
    CompensationPayment,
    LoanApplication,
    LoanStatus,
)
from loans.services.base import today
from tests.loans.factories import (
    BankOfficerFactory,
    CompensationClaimFactory,
    FinanceFactory,
    loan_in,
)
from tests.portal.factories import StaffFactory, UserFactory
from tests.race import run_together

S = LoanStatus
PAID = CompensationClaim.Status.PAID
APPROVED = CompensationClaim.Status.APPROVED
BALANCE = Decimal("10000000.00")
DUE = Decimal("480000.00")  # 80% of the 600,000 principal loss, within the 3,000,000 quota
CLAIMS = reverse("admin:loans_compensationclaim_changelist")


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def approved_claim() -> CompensationClaim:
    """A claim filed by the loan's bank and approved by staff, through the services."""
    loan = loan_in(S.DEFAULTED)
    claim = services.compensation_claim_file(
        application=loan, acting_user=BankOfficerFactory(bank=loan.bank)
    )
    return services.compensation_claim_approve(claim=claim, acting_user=StaffFactory())


def set_back(claim: CompensationClaim) -> None:
    """What a revert of the claim's "approved" and the loan's "compensation claimed" versions
    did: the status set back by a plain update, around every service."""
    CompensationClaim.objects.filter(pk=claim.pk).update(status=APPROVED, paid_on=None)
    LoanApplication.objects.filter(pk=claim.loan_id).update(status=S.COMPENSATION_CLAIMED)


def balance() -> Decimal:
    return CompensationFund.objects.get().balance


def assert_paid_once(claim: CompensationClaim) -> None:
    assert balance() == BALANCE - DUE
    payment = CompensationPayment.objects.get(claim=claim)
    assert payment.amount == DUE
    assert CompensationPayment.objects.count() == 1


def action(client, name, ids):
    return client.post(
        CLAIMS,
        {"action": name, "_selected_action": [str(i) for i in ids], "index": "0"},
        follow=True,
        headers={"accept-language": "en"},
    )


# ------------------------------------------------------------------------------ service


@pytest.mark.django_db
def test_paying_writes_one_ledger_row_and_lowers_the_balance_by_its_amount(fund):
    finance = FinanceFactory()
    claim = services.compensation_claim_pay(claim=approved_claim(), acting_user=finance)
    payment = claim.payment
    assert (payment.fund, payment.amount, payment.paid_on) == (fund, DUE, claim.paid_on)
    assert payment.recorded_by == finance
    assert payment.history.get().history_user == finance
    assert balance() == BALANCE - payment.amount


@pytest.mark.django_db
def test_the_service_called_twice_pays_once(fund):
    claim = approved_claim()
    services.compensation_claim_pay(claim=claim, acting_user=FinanceFactory())
    with pytest.raises(ValidationError, match="is “Paid” and cannot become “Paid”"):
        services.compensation_claim_pay(claim=claim, acting_user=FinanceFactory())
    assert_paid_once(claim)


@pytest.mark.django_db
def test_a_claim_set_back_to_approved_is_refused_a_second_payment(fund):
    claim = approved_claim()
    services.compensation_claim_pay(claim=claim, acting_user=FinanceFactory())
    set_back(claim)
    with pytest.raises(ValidationError, match="already paid on .*the fund pays a claim once"):
        services.compensation_claim_pay(claim=claim, acting_user=FinanceFactory())
    assert_paid_once(claim)
    claim.refresh_from_db()
    assert claim.status == APPROVED  # nothing of the refused payment was saved


@pytest.mark.django_db
def test_the_database_refuses_a_second_ledger_row_for_a_claim(fund):
    claim = services.compensation_claim_pay(claim=approved_claim(), acting_user=FinanceFactory())
    with pytest.raises(IntegrityError), transaction.atomic():
        CompensationPayment.objects.create(
            claim=claim, fund=fund, amount=Decimal("1.00"), paid_on=claim.paid_on
        )


@pytest.mark.django_db
def test_the_database_refuses_a_ledger_row_of_nothing(fund):
    claim = approved_claim()
    with pytest.raises(IntegrityError), transaction.atomic():
        CompensationPayment.objects.create(
            claim=claim, fund=fund, amount=Decimal(0), paid_on=claim.filed_at.date()
        )


@pytest.mark.django_db
def test_the_balance_is_contributions_less_the_ledger():
    fund = CompensationFund.objects.get()
    staff, finance = StaffFactory(), FinanceFactory()
    services.fund_contribution_record(
        fund=fund, acting_user=staff, total=BALANCE, contributed_on=today()
    )
    claim = services.compensation_claim_pay(claim=approved_claim(), acting_user=finance)
    set_back(claim)
    with pytest.raises(ValidationError):
        services.compensation_claim_pay(claim=claim, acting_user=finance)
    contributed = sum(c.total for c in fund.contributions.all())
    paid = sum(p.amount for p in fund.payments.all())
    assert balance() == contributed - paid == BALANCE - DUE


@pytest.mark.django_db
def test_the_migration_gives_every_claim_paid_before_the_ledger_its_row(fund):
    from django.apps import apps

    backfill = importlib.import_module("loans.migrations.0004_backfill_compensation_payments")
    paid, finance = CompensationClaimFactory(fund=fund), FinanceFactory()
    paid.status, paid.paid_on, paid._history_user = PAID, dt.date(2024, 5, 6), finance
    paid.save()
    CompensationClaimFactory(fund=fund)  # filed, not paid
    backfill.forwards(apps, None)
    backfill.forwards(apps, None)  # run again: the row is not written twice
    payment = CompensationPayment.objects.get()
    assert (payment.claim, payment.fund, payment.amount) == (paid, fund, paid.amount)
    assert (payment.paid_on, payment.recorded_by) == (dt.date(2024, 5, 6), finance)
    backfill.backwards(apps, None)
    assert not CompensationPayment.objects.exists()


# -------------------------------------------------------------------------------- admin


@pytest.mark.django_db
def test_the_admin_pay_action_twice_pays_once(client, fund):
    claim = approved_claim()
    client.force_login(FinanceFactory())
    action(client, "pay", [claim.pk])
    response = action(client, "pay", [claim.pk])
    assert "is “Paid” and cannot become “Paid”" in response.content.decode()
    set_back(claim)
    response = action(client, "pay", [claim.pk])
    assert "the fund pays a claim once" in response.content.decode()
    assert_paid_once(claim)


def version_urls(claim: CompensationClaim) -> list[str]:
    """The claim's "approved" version and the loan's "compensation claimed" version."""
    claim_version = claim.history.filter(status=APPROVED).earliest("history_date")
    loan_version = claim.loan.history.filter(status=S.COMPENSATION_CLAIMED).earliest("history_date")
    return [
        reverse(
            "admin:loans_compensationclaim_simple_history",
            args=[claim.pk, claim_version.history_id],
        ),
        reverse(
            "admin:loans_loanapplication_simple_history",
            args=[claim.loan_id, loan_version.history_id],
        ),
    ]


def _superuser():
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.mark.django_db
@pytest.mark.parametrize("who", [FinanceFactory, _superuser], ids=["finance", "superuser"])
def test_history_versions_posted_then_paid_again_pay_once(client, fund, who):
    """The issue's story: pay, post the two history versions, pay again."""
    claim = approved_claim()
    finance = FinanceFactory()
    client.force_login(finance)
    action(client, "pay", [claim.pk])
    client.force_login(finance if who is FinanceFactory else who())
    for url in version_urls(claim):
        page = client.get(url)
        assert page.status_code == 200
        assert 'name="_save"' not in page.content.decode()
        response = client.post(url, {"status": "approved", "paid_on": "", "_save": "1"})
        assert response.status_code == 405
    claim.refresh_from_db()
    assert (claim.status, claim.loan.status) == (PAID, S.COMPENSATED)
    client.force_login(finance)
    action(client, "pay", [claim.pk])
    assert_paid_once(claim)


# -------------------------------------------------------------------------- concurrency


@pytest.mark.django_db(transaction=True)
def test_two_payments_of_one_claim_at_once_pay_once():
    from tests.loans.conftest import ensure_seed

    ensure_seed()
    CompensationFund.objects.update(balance=BALANCE)
    claim = approved_claim()
    finance = FinanceFactory()
    outcomes = run_together(
        *[lambda: services.compensation_claim_pay(claim=claim, acting_user=finance)] * 2
    )
    assert sum(isinstance(o, CompensationClaim) for o in outcomes) == 1
    assert sum(isinstance(o, ValidationError) for o in outcomes) == 1
    assert_paid_once(claim)


@pytest.mark.django_db(transaction=True)
def test_two_payments_of_a_claim_set_back_at_once_pay_nothing_more():
    from tests.loans.conftest import ensure_seed

    ensure_seed()
    CompensationFund.objects.update(balance=BALANCE)
    claim = approved_claim()
    finance = FinanceFactory()
    services.compensation_claim_pay(claim=claim, acting_user=finance)
    set_back(claim)
    outcomes = run_together(
        *[lambda: services.compensation_claim_pay(claim=claim, acting_user=finance)] * 2
    )
    assert all(isinstance(o, ValidationError) for o in outcomes), outcomes
    assert_paid_once(claim)
