"""Every transition of the workflow table against every role: allowed or refused."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from loans import services
from loans.models import CompensationClaim, LoanStatus, LoanStatusChange
from loans.workflow import TRANSITIONS, Actor
from tests.loans.factories import BankFactory, BankOfficerFactory, FinanceFactory, loan_in
from tests.portal.factories import EnterpriseUserFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db
S = LoanStatus
ROLES = (
    "enterprise",
    "other_enterprise",
    "staff",
    "finance",
    "bank",
    "other_bank",
    "no_organisation",
)
ALLOWED_ROLE = {
    Actor.ENTERPRISE: "enterprise",
    Actor.STAFF: "staff",
    Actor.BANK: "bank",
    Actor.FINANCE: "finance",
}


def user_for(role: str, loan):
    if role == "enterprise":
        return EnterpriseUserFactory(enterprise=loan.enterprise)
    if role == "other_enterprise":
        return EnterpriseUserFactory()
    if role == "staff":
        return StaffFactory()
    if role == "finance":
        return FinanceFactory()
    if role == "bank":
        return BankOfficerFactory(bank=loan.bank or BankFactory())
    if role == "other_bank":
        return BankOfficerFactory()
    return UserFactory()


def perform(to: str, loan, user):
    """Call the service that makes the transition to `to`, with valid input."""
    if to == S.SUBMITTED:
        return services.loan_application_submit(application=loan, acting_user=user)
    if to == S.WITHDRAWN:
        return services.loan_application_withdraw(application=loan, acting_user=user)
    if to == S.RETURNED:
        return services.loan_application_return(application=loan, acting_user=user, note="补材料")
    if to == S.REJECTED:
        return services.loan_application_reject(application=loan, acting_user=user, note="不符合")
    if to == S.FORWARDED:
        return services.loan_application_forward(
            application=loan, acting_user=user, bank=BankFactory()
        )
    if to == S.APPROVED:
        return services.loan_approve(
            application=loan,
            acting_user=user,
            amount=Decimal("800000"),
            annual_rate_pct=Decimal("3.45"),
            term_months=12,
        )
    if to == S.DECLINED:
        return services.loan_decline(application=loan, acting_user=user, note="风险较高")
    if to == S.DISBURSED:
        return services.loan_disburse(
            application=loan, acting_user=user, disbursed_on=dt.date.today()
        )
    if to == S.REPAID:
        return services.loan_repayment_record(
            application=loan,
            acting_user=user,
            paid_on=dt.date.today(),
            principal=loan.outstanding_principal,
        )
    if to == S.OVERDUE:
        return services.loan_mark_overdue(application=loan, acting_user=user)
    if to == S.DEFAULTED:
        return services.loan_mark_defaulted(
            application=loan, acting_user=user, principal_loss=Decimal("500000")
        )
    if to == S.COMPENSATION_CLAIMED:
        return services.compensation_claim_file(application=loan, acting_user=user)
    if to == S.COMPENSATED:
        claim = CompensationClaim.objects.create(
            loan=loan,
            fund_id=services.the_fund().pk,
            principal_loss=loan.principal_loss,
            eligible_loss=loan.principal_loss,
            amount=Decimal("480000"),
            status=CompensationClaim.Status.APPROVED,
        )
        return services.compensation_claim_pay(claim=claim, acting_user=user)
    raise AssertionError(to)


CASES = [
    pytest.param(source, to, role, id=f"{source}->{to}-{role}")
    for (source, to) in TRANSITIONS
    for role in ROLES
]


@pytest.mark.parametrize(("source", "to", "role"), CASES)
def test_transition_by_role(fund, source, to, role):
    loan = loan_in(source)
    user = user_for(role, loan)
    allowed = ALLOWED_ROLE[TRANSITIONS[(source, to)]] == role
    if allowed:
        perform(to, loan, user)
        loan.refresh_from_db()
        assert loan.status == to
        change = loan.status_changes.get(to_status=to)
        assert (change.from_status, change.actor) == (source, user)
        assert loan.history.first().history_user == user
    else:
        with pytest.raises(PermissionDenied):
            perform(to, loan, user)
        loan.refresh_from_db()
        assert loan.status == source
        assert not LoanStatusChange.objects.filter(application=loan).exists()


# Transitions the table does not hold are refused with a clear message even for the
# right role: a few that matter (the bank deciding twice, disbursing before approval...).
@pytest.mark.parametrize(
    ("source", "to", "role"),
    [
        (S.SUBMITTED, S.APPROVED, "bank"),
        (S.FORWARDED, S.DISBURSED, "bank"),
        (S.APPROVED, S.APPROVED, "bank"),
        (S.APPROVED, S.WITHDRAWN, "enterprise"),
        (S.DISBURSED, S.WITHDRAWN, "enterprise"),
        (S.REJECTED, S.FORWARDED, "staff"),
        (S.DRAFT, S.FORWARDED, "staff"),
        (S.FORWARDED, S.DEFAULTED, "bank"),
        (S.DISBURSED, S.COMPENSATION_CLAIMED, "bank"),
    ],
)
def test_transition_outside_the_table_is_refused(fund, source, to, role):
    loan = loan_in(source, bank=BankFactory() if role == "bank" else None)
    if role == "bank" and loan.bank is None:
        loan.bank = BankFactory()
        loan.save()
    user = user_for(role, loan)
    with pytest.raises(ValidationError):
        perform(to, loan, user)
    loan.refresh_from_db()
    assert loan.status == source
