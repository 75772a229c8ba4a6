import datetime as dt
from decimal import Decimal

import factory

from loans.models import (
    Bank,
    CompensationClaim,
    CompensationFund,
    CreditEvaluation,
    CreditModel,
    FundContribution,
    LoanApplication,
    LoanStatus,
)
from portal.accounts.models import User
from portal.accounts.roles import Role
from tests.enterprises.factories import (
    AnnualFiguresFactory,
    EnterpriseFactory,
    TechFirmRegistrationFactory,
)
from tests.portal.factories import StaffFactory, UserFactory, _add_roles


class BankFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Bank
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"重庆测试银行江北支行{n}")
    contact_person = "王经理"
    contact_phone = "023-67111111"


class BankOfficerFactory(UserFactory):
    organisation_kind = User.OrganisationKind.BANK
    link_status = User.LinkStatus.APPROVED
    bank = factory.SubFactory(BankFactory)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        _add_roles(self, create, (Role.BANK_OFFICER,) if extracted is None else extracted)


class FinanceFactory(StaffFactory):
    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        _add_roles(self, create, (Role.FINANCE,) if extracted is None else extracted)


class CreditEvaluationFactory(factory.django.DjangoModelFactory):
    """An evaluation with a chosen quota (the scoring itself is tested on its own)."""

    class Meta:
        model = CreditEvaluation

    enterprise = factory.SubFactory(EnterpriseFactory)
    credit_model = factory.LazyFunction(lambda: CreditModel.objects.get(is_active=True))
    year = 2025
    evaluated_on = factory.LazyFunction(dt.date.today)
    base_score = Decimal(60)
    bonus_score = Decimal(10)
    score = Decimal(70)
    grade = "AA"
    quota = Decimal("3000000.00")


def eligible_enterprise(quota: Decimal = Decimal("3000000.00")):
    """A registered tech firm with figures and an evaluation giving `quota`."""
    enterprise = EnterpriseFactory(contact_email="")
    TechFirmRegistrationFactory(enterprise=enterprise, registered_on=dt.date(2020, 1, 1))
    AnnualFiguresFactory(enterprise=enterprise)
    CreditEvaluationFactory(enterprise=enterprise, quota=quota)
    return enterprise


class LoanFactory(factory.django.DjangoModelFactory):
    """A loan in any status, made directly (the workflow is tested through the services)."""

    class Meta:
        model = LoanApplication

    enterprise = factory.LazyFunction(eligible_enterprise)
    requested_amount = Decimal("1000000.00")
    term_months = 12
    purpose = "研发设备采购"
    status = LoanStatus.SUBMITTED
    submitted_on = factory.LazyFunction(dt.date.today)
    quota = Decimal("3000000.00")
    evaluation = factory.LazyAttribute(lambda o: o.enterprise.credit_evaluations.first())


def loan_in(status: str, *, bank: Bank | None = None, **kwargs) -> LoanApplication:
    """A loan as it stands in `status`, with the fields the earlier steps would have set."""
    lent = status in (
        LoanStatus.APPROVED,
        LoanStatus.DISBURSED,
        LoanStatus.REPAID,
        LoanStatus.OVERDUE,
        LoanStatus.DEFAULTED,
        LoanStatus.COMPENSATION_CLAIMED,
        LoanStatus.COMPENSATED,
    )
    at_bank = lent or status in (LoanStatus.FORWARDED, LoanStatus.DECLINED)
    fields = {
        "status": status,
        "submitted_on": None if status == LoanStatus.DRAFT else dt.date.today(),
        "bank": (bank or BankFactory()) if at_bank else None,
    }
    if lent:
        fields.update(
            approved_amount=Decimal("1000000.00"),
            approved_term_months=12,
            annual_rate_pct=Decimal("3.45"),
        )
    if lent and status != LoanStatus.APPROVED:
        fields["disbursed_on"] = dt.date.today()
    if status in (LoanStatus.DEFAULTED, LoanStatus.COMPENSATION_CLAIMED, LoanStatus.COMPENSATED):
        fields["principal_loss"] = Decimal("600000.00")
    fields.update(kwargs)
    return LoanFactory(**fields)


def the_fund() -> CompensationFund:
    """The fund of the data migration (or a new one after a transactional test)."""
    fund = CompensationFund.objects.order_by("pk").first()
    return fund or CompensationFund.objects.create(name="知识价值信用贷款风险补偿基金")


class FundContributionFactory(factory.django.DjangoModelFactory):
    """A contribution row as the ledger holds it (the balance moves through the service)."""

    class Meta:
        model = FundContribution

    fund = factory.LazyFunction(the_fund)
    contributed_on = factory.LazyFunction(dt.date.today)
    city_amount = Decimal("4000000.00")
    district_amount = Decimal("6000000.00")


class CompensationClaimFactory(factory.django.DjangoModelFactory):
    """A filed claim on a loan in "compensation claimed" (behaviour goes through services)."""

    class Meta:
        model = CompensationClaim

    loan = factory.LazyFunction(lambda: loan_in(LoanStatus.COMPENSATION_CLAIMED))
    fund = factory.LazyFunction(the_fund)
    principal_loss = Decimal("600000.00")
    eligible_loss = Decimal("600000.00")
    amount = Decimal("480000.00")
