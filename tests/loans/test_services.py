"""The rules of the loans services: bad input refused with a clear message and nothing
changed; the 80% rule and quota cap; the fund balance; the circuit breaker; concurrency."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from enterprises.services import tech_firm_registration_remove
from loans import services
from loans.models import (
    Bank,
    CompensationClaim,
    CompensationFund,
    LoanApplication,
    LoanStatus,
)
from tests.enterprises.factories import EnterpriseFactory
from tests.loans.factories import (
    BankFactory,
    BankOfficerFactory,
    FinanceFactory,
    eligible_enterprise,
    loan_in,
)
from tests.portal.factories import EnterpriseUserFactory, StaffFactory
from tests.race import run_together

S = LoanStatus
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


def apply(user, **overrides):
    kwargs = {
        "enterprise": user.enterprise,
        "acting_user": user,
        "requested_amount": Decimal("1000000"),
        "term_months": 12,
        "purpose": "研发设备",
    } | overrides
    return services.loan_application_create(**kwargs)


def message(exc) -> str:
    return " ".join(exc.value.messages)


# ---------------------------------------------------------------------------- applying


def test_enterprise_applies_and_submits():
    user = EnterpriseUserFactory(enterprise=eligible_enterprise())
    loan = apply(user)
    loan = services.loan_application_submit(application=loan, acting_user=user)
    assert loan.status == S.SUBMITTED
    assert loan.submitted_on == dt.date.today()
    assert loan.quota == Decimal("3000000.00")
    assert [c.to_status for c in loan.status_changes.all()] == [S.DRAFT, S.SUBMITTED]


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (Decimal("3000000.01"), "300"),  # above the quota of 300 万元
        (Decimal("0"), "大于零"),
        (Decimal("-5"), "大于零"),
    ],
)
def test_bad_amounts_are_refused(amount, expected):
    user = EnterpriseUserFactory(enterprise=eligible_enterprise())
    with pytest.raises(ValidationError) as exc:
        apply(user, requested_amount=amount)
    assert expected in message(exc)
    assert not LoanApplication.objects.exists()


def test_amount_above_five_million_is_refused_even_within_a_larger_quota():
    # An evaluation can never hold more than 5,000,000 (a database check); the cap applies
    # to the amount on its own too.
    user = EnterpriseUserFactory(enterprise=eligible_enterprise(Decimal("5000000")))
    with pytest.raises(ValidationError) as exc:
        apply(user, requested_amount=Decimal("5000000.01"))
    assert "500" in message(exc)


@pytest.mark.parametrize("term", [5, 37, 0])
def test_term_outside_6_to_36_months_is_refused(term):
    user = EnterpriseUserFactory(enterprise=eligible_enterprise())
    with pytest.raises(ValidationError) as exc:
        apply(user, term_months=term)
    assert "6" in message(exc) and "36" in message(exc)
    assert not LoanApplication.objects.exists()


def test_unregistered_firm_cannot_apply():
    enterprise = eligible_enterprise()
    registration = enterprise.registrations.get()
    tech_firm_registration_remove(
        registration=registration, removed_on=dt.date.today(), acting_user=StaffFactory()
    )
    user = EnterpriseUserFactory(enterprise=enterprise)
    with pytest.raises(ValidationError) as exc:
        apply(user)
    assert "入库" in message(exc)


def test_registration_is_checked_again_on_the_day_of_submission():
    enterprise = eligible_enterprise()
    user = EnterpriseUserFactory(enterprise=enterprise)
    loan = apply(user)
    tech_firm_registration_remove(
        registration=enterprise.registrations.get(),
        removed_on=dt.date.today(),
        acting_user=StaffFactory(),
    )
    with pytest.raises(ValidationError):
        services.loan_application_submit(application=loan, acting_user=user)
    loan.refresh_from_db()
    assert loan.status == S.DRAFT


def test_firm_without_evaluation_cannot_apply():
    user = EnterpriseUserFactory(enterprise=EnterpriseFactory())
    user.enterprise.registrations.create(number="X-1", registered_on=dt.date(2020, 1, 1))
    with pytest.raises(ValidationError) as exc:
        apply(user)
    assert "额度" in message(exc)


def test_second_open_application_is_refused_by_the_service_and_the_database():
    user = EnterpriseUserFactory(enterprise=eligible_enterprise())
    first = apply(user)
    with pytest.raises(ValidationError) as exc:
        apply(user)
    assert "只能" in message(exc)
    with pytest.raises(IntegrityError), transaction.atomic():
        LoanApplication.objects.create(
            enterprise=user.enterprise, requested_amount=1, term_months=12
        )
    services.loan_application_withdraw(application=first, acting_user=user)
    assert apply(user).status == S.DRAFT  # a withdrawn application no longer counts


def test_other_users_enterprise_is_refused():
    user = EnterpriseUserFactory(enterprise=eligible_enterprise())
    other = eligible_enterprise()
    with pytest.raises(PermissionDenied):
        apply(user, enterprise=other)


# --------------------------------------------------------------------------- the bank


def test_bank_cannot_approve_more_than_quota():
    loan = loan_in(S.FORWARDED, quota=Decimal("2000000"))
    officer = BankOfficerFactory(bank=loan.bank)
    with pytest.raises(ValidationError) as exc:
        services.loan_approve(
            application=loan,
            acting_user=officer,
            amount=Decimal("2000000.01"),
            annual_rate_pct=Decimal("3.45"),
            term_months=12,
        )
    assert "200" in message(exc)
    loan = services.loan_approve(
        application=loan,
        acting_user=officer,
        amount=Decimal("2000000"),
        annual_rate_pct=Decimal("3.45"),
        term_months=24,
    )
    assert (loan.status, loan.approved_amount, loan.approved_term_months) == (
        S.APPROVED,
        Decimal("2000000.00"),
        24,
    )


@pytest.mark.parametrize("rate", [Decimal("0"), Decimal("24.01")])
def test_bank_rate_must_be_reasonable(rate):
    loan = loan_in(S.FORWARDED)
    with pytest.raises(ValidationError):
        services.loan_approve(
            application=loan,
            acting_user=BankOfficerFactory(bank=loan.bank),
            amount=Decimal("100000"),
            annual_rate_pct=rate,
            term_months=12,
        )


def test_another_banks_officer_cannot_decide():
    loan = loan_in(S.FORWARDED)
    with translation.override("en"), pytest.raises(PermissionDenied) as exc:
        services.loan_decline(application=loan, acting_user=BankOfficerFactory(), note="不批")
    assert "an officer of the bank the loan is with" in str(exc.value)
    loan.refresh_from_db()
    assert loan.status == S.FORWARDED and not loan.status_changes.exists()


def test_disbursement_in_the_future_is_refused():
    loan = loan_in(S.APPROVED)
    with pytest.raises(ValidationError):
        services.loan_disburse(
            application=loan,
            acting_user=BankOfficerFactory(bank=loan.bank),
            disbursed_on=dt.date.today() + dt.timedelta(days=1),
        )


def test_partial_repayments_then_repaid():
    loan = loan_in(S.DISBURSED)
    officer = BankOfficerFactory(bank=loan.bank)
    day = dt.date.today()
    services.loan_repayment_record(
        application=loan, acting_user=officer, paid_on=day, principal=Decimal("400000")
    )
    loan.refresh_from_db()
    assert (loan.status, loan.outstanding_principal) == (S.DISBURSED, Decimal("600000.00"))
    with pytest.raises(ValidationError):
        services.loan_repayment_record(
            application=loan, acting_user=officer, paid_on=day, principal=Decimal("600000.01")
        )
    services.loan_repayment_record(
        application=loan,
        acting_user=officer,
        paid_on=day,
        principal=Decimal("600000"),
        interest=Decimal("20700"),
    )
    loan.refresh_from_db()
    assert loan.status == S.REPAID
    assert loan.repayments.count() == 2


def test_principal_loss_cannot_exceed_outstanding():
    loan = loan_in(S.OVERDUE)
    with pytest.raises(ValidationError):
        services.loan_mark_defaulted(
            application=loan,
            acting_user=BankOfficerFactory(bank=loan.bank),
            principal_loss=Decimal("1000000.01"),
        )


# ----------------------------------------------------------------------- compensation


@pytest.mark.parametrize(
    ("loss", "quota", "eligible", "amount"),
    [
        (Decimal("600000"), Decimal("3000000"), Decimal("600000"), Decimal("480000.00")),
        (Decimal("1000000"), Decimal("500000"), Decimal("500000"), Decimal("400000.00")),
        (Decimal("333333.33"), None, Decimal("333333.33"), Decimal("266666.66")),
    ],
)
def test_compensation_is_80_percent_of_the_loss_within_the_quota(loss, quota, eligible, amount):
    assert services.compensation_for(principal_loss=loss, quota=quota) == (eligible, amount)


def test_claim_follows_the_rule_and_refuses_more(fund):
    loan = loan_in(
        S.DEFAULTED,
        quota=Decimal("500000"),
        approved_amount=Decimal("500000"),
        principal_loss=Decimal("450000"),
    )
    officer = BankOfficerFactory(bank=loan.bank)
    with pytest.raises(ValidationError) as exc:
        services.compensation_claim_file(
            application=loan, acting_user=officer, amount=Decimal("360000.01")
        )
    assert "80%" in message(exc)
    claim = services.compensation_claim_file(application=loan, acting_user=officer)
    assert (claim.eligible_loss, claim.amount) == (Decimal("450000"), Decimal("360000.00"))
    loan.refresh_from_db()
    assert loan.status == S.COMPENSATION_CLAIMED


def test_claim_beyond_the_balance_is_refused():
    fund = CompensationFund.objects.get()
    fund.balance = Decimal("100000")
    fund.save()
    loan = loan_in(S.DEFAULTED)
    with pytest.raises(ValidationError) as exc:
        services.compensation_claim_file(
            application=loan, acting_user=BankOfficerFactory(bank=loan.bank)
        )
    assert "余额" in message(exc)
    loan.refresh_from_db()
    assert loan.status == S.DEFAULTED


def test_claim_approved_and_paid_lowers_the_balance(fund):
    loan = loan_in(S.DEFAULTED)
    claim = services.compensation_claim_file(
        application=loan, acting_user=BankOfficerFactory(bank=loan.bank)
    )
    with pytest.raises(ValidationError):
        services.compensation_claim_pay(claim=claim, acting_user=FinanceFactory())
    with pytest.raises(PermissionDenied):
        services.compensation_claim_approve(claim=claim, acting_user=FinanceFactory())
    services.compensation_claim_approve(claim=claim, acting_user=StaffFactory())
    with pytest.raises(PermissionDenied):
        services.compensation_claim_pay(claim=claim, acting_user=StaffFactory())
    services.compensation_claim_pay(claim=claim, acting_user=FinanceFactory())
    fund.refresh_from_db()
    assert fund.balance == Decimal("10000000") - Decimal("480000.00")
    loan.refresh_from_db()
    claim.refresh_from_db()
    assert (loan.status, claim.status) == (S.COMPENSATED, CompensationClaim.Status.PAID)


def test_fund_balance_can_never_go_negative_in_the_database():
    fund = CompensationFund.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        CompensationFund.objects.filter(pk=fund.pk).update(balance=Decimal("-0.01"))


def test_contribution_is_split_by_the_ratio():
    fund = CompensationFund.objects.get()
    contribution = services.fund_contribution_record(
        fund=fund,
        acting_user=StaffFactory(),
        total=Decimal("10000000"),
        contributed_on=dt.date(2026, 1, 5),
    )
    assert (contribution.city_amount, contribution.district_amount) == (
        Decimal("4000000.00"),
        Decimal("6000000.00"),
    )
    fund.refresh_from_db()
    assert fund.balance == Decimal("10000000.00")
    with pytest.raises(PermissionDenied):
        services.fund_contribution_record(
            fund=fund,
            acting_user=BankOfficerFactory(),
            total=Decimal("1"),
            contributed_on=dt.date(2026, 1, 5),
        )


# --------------------------------------------------------------------- circuit breaker


def test_circuit_breaker_pauses_a_bank_above_its_threshold_and_staff_see_why():
    bank = BankFactory(npl_threshold_pct=Decimal("30"))
    officer = BankOfficerFactory(bank=bank)
    loans = [loan_in(S.DISBURSED, bank=bank) for _ in range(3)]
    services.loan_mark_overdue(application=loans[0], acting_user=officer)
    bank.refresh_from_db()
    assert (bank.npl_ratio_pct, bank.paused) == (Decimal("33.33"), True)
    assert "33.33" in bank.paused_reason
    waiting = loan_in(S.SUBMITTED)
    with pytest.raises(ValidationError) as exc:
        services.loan_application_forward(
            application=waiting, acting_user=StaffFactory(), bank=bank
        )
    assert bank.name in message(exc) and "33.33" in message(exc)
    waiting.refresh_from_db()
    assert waiting.status == S.SUBMITTED
    # The overdue loan is repaid: the ratio falls to zero and the bank takes applications again.
    services.loan_repayment_record(
        application=loans[0],
        acting_user=officer,
        paid_on=dt.date.today(),
        principal=Decimal("1000000"),
    )
    bank.refresh_from_db()
    assert (bank.npl_ratio_pct, bank.paused) == (Decimal("0.00"), False)
    services.loan_application_forward(application=waiting, acting_user=StaffFactory(), bank=bank)


def test_raising_the_threshold_in_the_admin_service_resumes_the_bank():
    bank = BankFactory(npl_threshold_pct=Decimal("10"))
    loan = loan_in(S.DISBURSED, bank=bank)
    services.loan_mark_overdue(application=loan, acting_user=BankOfficerFactory(bank=bank))
    bank.refresh_from_db()
    assert bank.paused
    bank.npl_threshold_pct = Decimal("100")
    services.bank_save(bank=bank, acting_user=StaffFactory())
    assert not Bank.objects.get(pk=bank.pk).paused


# ------------------------------------------------------------------------ concurrency


@pytest.mark.django_db(transaction=True)
def test_two_officers_approving_at_once_exactly_one_succeeds():
    from tests.loans.conftest import ensure_seed

    ensure_seed()
    loan = loan_in(S.FORWARDED)
    officers = BankOfficerFactory.create_batch(2, bank=loan.bank)

    def approve(officer):
        return lambda: services.loan_approve(
            application=loan,
            acting_user=officer,
            amount=Decimal("900000"),
            annual_rate_pct=Decimal("3.45"),
            term_months=12,
        )

    outcomes = run_together(*[approve(o) for o in officers])
    assert sum(isinstance(o, LoanApplication) for o in outcomes) == 1
    assert sum(isinstance(o, ValidationError) for o in outcomes) == 1
    loan.refresh_from_db()
    assert loan.status == S.APPROVED
    assert loan.status_changes.filter(to_status=S.APPROVED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_payments_never_overdraw_the_fund():
    from tests.loans.conftest import ensure_seed

    ensure_seed()
    fund = CompensationFund.objects.get()
    fund.balance = Decimal("500000")
    fund.save()
    claims = []
    for _ in range(2):
        loan = loan_in(S.COMPENSATION_CLAIMED)
        claims.append(
            CompensationClaim.objects.create(
                loan=loan,
                fund=fund,
                principal_loss=Decimal("600000"),
                eligible_loss=Decimal("600000"),
                amount=Decimal("480000"),
                status=CompensationClaim.Status.APPROVED,
            )
        )
    finance = FinanceFactory()
    outcomes = run_together(
        *[
            lambda c=claim: services.compensation_claim_pay(claim=c, acting_user=finance)
            for claim in claims
        ]
    )
    assert sum(isinstance(o, CompensationClaim) for o in outcomes) == 1
    assert sum(isinstance(o, ValidationError) for o in outcomes) == 1
    fund.refresh_from_db()
    assert fund.balance == Decimal("20000.00")
