import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth.models import Group, Permission

from portal.accounts.models import User
from portal.accounts.roles import ROLE_PERMISSIONS, Role
from subsidies.models import (
    AuditFirm,
    EnterpriseListing,
    HighTechApplication,
    Notice,
    Objection,
    PaymentBatch,
    PolicyKind,
    Programme,
    RDAudit,
    SubsidyClaim,
    SubsidyPolicy,
)
from tests.portal.factories import StaffFactory, UserFactory, _add_roles

YEAR = 2025

# The article's amounts (DESIGN §2), as the data migration seeds them.
POLICY_VALUES = {
    Programme.RD_INVESTMENT: {
        "kind": PolicyKind.RATE_WITH_CAP,
        "rate": Decimal("0.1000"),
        "cap": Decimal("2000000"),
    },
    Programme.HTE_NEW: {"kind": PolicyKind.FIXED, "amount": Decimal("500000")},
    Programme.HTE_RENEWAL: {"kind": PolicyKind.FIXED, "amount": Decimal("200000")},
    Programme.CARRIER_HTE: {"kind": PolicyKind.PER_UNIT, "amount": Decimal("100000")},
    Programme.CARRIER_LISTING: {"kind": PolicyKind.PER_UNIT, "amount": Decimal("300000")},
    Programme.RENT: {"kind": PolicyKind.PER_UNIT, "amount": Decimal("20")},
}


def ensure_roles() -> None:
    """The role groups of the accounts migrations, even after a transactional test emptied
    the tables (permissions come back after a flush, groups do not)."""
    for role, codes in ROLE_PERMISSIONS.items():
        group, created = Group.objects.get_or_create(name=role.value)
        if not created:
            continue
        if codes == ("*",):
            group.permissions.set(Permission.objects.all())
            continue
        for code in codes:
            app_label, codename = code.split(".")
            group.permissions.add(
                *Permission.objects.filter(content_type__app_label=app_label, codename=codename)
            )


def policy(code: str, year: int = YEAR, **overrides) -> SubsidyPolicy:
    """The programme's policy for `year` (created with the seeded values when missing)."""
    values = {
        "name": Programme(code).label,
        "document_number": f"江北科发〔{year}〕1号",
        "effective_from": dt.date(year, 1, 1),
        "effective_until": dt.date(year + 1, 12, 31),
        "yearly_budget": Decimal("50000000"),
        **POLICY_VALUES[Programme(code)],
        **overrides,
    }
    obj, created = SubsidyPolicy.objects.get_or_create(code=code, year=year, defaults=values)
    if not created and overrides:
        for name, value in overrides.items():
            setattr(obj, name, value)
        obj.save()
    return obj


class AuditFirmFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AuditFirm

    name = factory.Sequence(lambda n: f"重庆测试会计师事务所{n}")


class EnterpriseListingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EnterpriseListing

    enterprise = factory.SubFactory("tests.enterprises.factories.EnterpriseFactory")
    board = EnterpriseListing.Board.NEEQ
    listed_on = dt.date(YEAR, 6, 1)


class AuditorFactory(UserFactory):
    organisation_kind = User.OrganisationKind.AUDIT_FIRM
    link_status = User.LinkStatus.APPROVED
    audit_firm = factory.SubFactory(AuditFirmFactory)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        _add_roles(self, create, (Role.AUDITOR,) if extracted is None else extracted)


class FinanceFactory(StaffFactory):
    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        _add_roles(self, create, (Role.FINANCE,) if extracted is None else extracted)


class SectionHeadFactory(StaffFactory):
    """科长: reads claims and signs them after the case handler."""

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        _add_roles(self, create, (Role.SECTION_HEAD,) if extracted is None else extracted)


class DeputyDirectorFactory(StaffFactory):
    """副局长: reads claims and signs them after the section head."""

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        _add_roles(self, create, (Role.DEPUTY_DIRECTOR,) if extracted is None else extracted)


class SubsidyClaimFactory(factory.django.DjangoModelFactory):
    """A submitted rent claim as the table holds it; behaviour tests use tests.subsidies.flow."""

    class Meta:
        model = SubsidyClaim

    programme = Programme.RENT
    year = YEAR
    policy = factory.LazyFunction(lambda: policy(Programme.RENT))
    enterprise = factory.SubFactory("tests.enterprises.factories.EnterpriseFactory")
    status = SubsidyClaim.Status.SUBMITTED
    rent_month_from = 1
    rent_month_to = 12
    submitted_on = dt.date(YEAR + 1, 1, 10)


class RDAuditFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RDAudit

    claim = factory.SubFactory(
        SubsidyClaimFactory,
        programme=Programme.RD_INVESTMENT,
        policy=factory.LazyFunction(lambda: policy(Programme.RD_INVESTMENT)),
        rent_month_from=None,
        rent_month_to=None,
        status=SubsidyClaim.Status.AUDIT_ASSIGNED,
    )
    firm = factory.SubFactory(AuditFirmFactory)


class NoticeFactory(factory.django.DjangoModelFactory):
    """A public notice as the table holds it; behaviour tests publish through the service."""

    class Meta:
        model = Notice

    number = factory.Sequence(lambda n: f"{YEAR + 1}-F{n:03d}")
    title = factory.Sequence(lambda n: f"{YEAR}年度补贴拟支持名单公示（{n}）")
    starts_on = dt.date(YEAR + 1, 1, 5)
    ends_on = dt.date(YEAR + 1, 1, 11)


class ObjectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Objection

    claim = factory.SubFactory(
        SubsidyClaimFactory,
        status=SubsidyClaim.Status.IN_NOTICE,
        notice=factory.SubFactory(NoticeFactory),
        notice_starts_on=dt.date(YEAR + 1, 1, 5),
        notice_ends_on=dt.date(YEAR + 1, 1, 11),
    )
    received_on = dt.date(YEAR + 1, 1, 6)
    content = "申报面积与实际不符"
    objector_name = "周婷"
    objector_phone = "13812345678"


class PaymentBatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PaymentBatch

    number = factory.Sequence(lambda n: f"{YEAR + 1}-{n:03d}")


class HighTechApplicationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HighTechApplication

    enterprise = factory.SubFactory("tests.enterprises.factories.EnterpriseFactory")
    year = YEAR
    batch_number = 1
    recommended_on = dt.date(YEAR, 4, 1)
