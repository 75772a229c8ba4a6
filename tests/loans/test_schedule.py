"""A loan's schedule (interest monthly, principal at maturity), written at disbursement, and
the daily job that makes a loan overdue when an instalment goes unpaid."""

import datetime as dt
from decimal import Decimal

import pytest

from common.models import Notification
from loans import services
from loans.lib.schedule import add_months, first_unpaid, interest_monthly_principal_at_maturity
from loans.models import LoanStatus, LoanStatusChange
from loans.tasks import fall_overdue
from tests.loans.factories import BankOfficerFactory, loan_in

S = LoanStatus
TODAY = dt.date.today()


def test_schedule_pays_interest_monthly_and_principal_at_maturity():
    items = interest_monthly_principal_at_maturity(
        principal=Decimal("1000000.00"),
        annual_rate_pct=Decimal("3.45"),
        term_months=12,
        disbursed_on=dt.date(2026, 1, 31),
    )
    assert len(items) == 12
    assert {i.interest for i in items} == {Decimal("2875.00")}  # 1,000,000 × 3.45% ÷ 12
    assert [i.principal for i in items[:-1]] == [Decimal("0.00")] * 11
    assert items[-1].principal == Decimal("1000000.00")
    assert items[0].due_on == dt.date(2026, 2, 28)  # a shorter month keeps its last day
    assert items[-1].due_on == dt.date(2027, 1, 31)


def test_first_unpaid_settles_the_oldest_instalment_first():
    items = interest_monthly_principal_at_maturity(
        principal=Decimal(1200), annual_rate_pct=Decimal(12), term_months=6,
        disbursed_on=dt.date(2026, 3, 1),
    )  # fmt: skip
    assert first_unpaid(items, principal_paid=Decimal(0), interest_paid=Decimal(0)).number == 1
    assert first_unpaid(items, principal_paid=Decimal(0), interest_paid=Decimal(24)).number == 3
    assert first_unpaid(items, principal_paid=Decimal(1200), interest_paid=Decimal(72)) is None


@pytest.mark.parametrize("bad", [{"principal": Decimal(0)}, {"term_months": 0}])
def test_schedule_refuses_nonsense(bad):
    kwargs = {"principal": Decimal(1), "annual_rate_pct": Decimal(3), "term_months": 6,
              "disbursed_on": TODAY} | bad  # fmt: skip
    with pytest.raises(ValueError):
        interest_monthly_principal_at_maturity(**kwargs)


def disbursed(months_ago: int, **kwargs):
    """A loan approved at 100 万元, 3.45%, 12 months, disbursed `months_ago` through the
    service (so its schedule is written)."""
    officer = BankOfficerFactory()
    day = add_months(TODAY, -months_ago)
    loan = loan_in(S.APPROVED, bank=officer.bank, submitted_on=day - dt.timedelta(days=10))
    services.loan_disburse(application=loan, acting_user=officer, disbursed_on=day)
    loan.refresh_from_db()
    return loan, officer


@pytest.mark.django_db
def test_disbursement_writes_maturity_and_schedule():
    loan, _officer = disbursed(0)
    assert loan.maturity_on == add_months(TODAY, 12)
    assert loan.instalments.count() == 12
    assert loan.instalments.get(number=12).principal == Decimal("1000000.00")


@pytest.mark.django_db
def test_job_makes_a_loan_with_an_unpaid_instalment_overdue_once():
    loan, officer = disbursed(2)
    Notification.objects.all().delete()
    assert fall_overdue() == 1
    loan.refresh_from_db()
    assert loan.status == S.OVERDUE
    change = LoanStatusChange.objects.get(application=loan, to_status=S.OVERDUE)
    assert change.acting_user is None and change.from_status == S.DISBURSED
    told = set(Notification.objects.values_list("recipient_id", flat=True))
    assert officer.pk in told  # the bank acts next on an overdue loan
    # The second run (the same day, or a beat fired twice) changes nothing.
    assert fall_overdue() == 0
    assert LoanStatusChange.objects.filter(application=loan, to_status=S.OVERDUE).count() == 1


@pytest.mark.django_db
def test_job_leaves_a_loan_whose_due_interest_is_paid():
    loan, officer = disbursed(2)
    due = sum(i.interest for i in loan.instalments.filter(due_on__lt=TODAY))
    services.loan_repayment_record(
        application=loan, acting_user=officer, paid_on=TODAY, principal=Decimal(0), interest=due
    )
    assert services.loans_fall_overdue() == 0
    loan.refresh_from_db()
    assert loan.status == S.DISBURSED


@pytest.mark.django_db
def test_job_waits_until_the_day_after_the_due_date():
    loan, _officer = disbursed(1)
    due = loan.instalments.get(number=1).due_on
    assert services.loans_fall_overdue(on=due) == 0
    assert services.loans_fall_overdue(on=due + dt.timedelta(days=1)) == 1


@pytest.mark.django_db
def test_a_loan_without_schedule_is_left_to_the_bank():
    loan = loan_in(S.DISBURSED, disbursed_on=add_months(TODAY, -6))  # from before schedules
    assert services.loans_fall_overdue() == 0
    loan.refresh_from_db()
    assert loan.status == S.DISBURSED


@pytest.mark.django_db
def test_nobody_but_the_system_and_the_bank_makes_the_step():
    from django.core.exceptions import PermissionDenied

    from tests.portal.factories import StaffFactory

    loan, _officer = disbursed(2)
    with pytest.raises(PermissionDenied):
        services.loan_mark_overdue(application=loan, acting_user=StaffFactory())
