import datetime as dt
from decimal import Decimal

import factory

from common.calendar import service_request_due_on
from common.lib import uscc
from enterprises.models import (
    AnnualFigures,
    Department,
    Enterprise,
    HighTechCertificate,
    ProjectRecommendation,
    RequestCategory,
    ServiceRequest,
    ServiceVisit,
    Street,
    TechFirmRegistration,
)

# The categories the word list starts with (migration 0009), by their former codes.
CATEGORY_NAMES = {
    "policy": "政策咨询",
    "funding": "资金补贴",
    "financing": "融资贷款",
    "talent": "人才招引",
    "ip": "知识产权",
    "projects": "科技项目",
    "premises": "场地用房",
    "market": "市场合作",
    "other": "其他",
}


def request_category(code: str) -> RequestCategory:
    """A request category the list starts with (migration 0009), by its former code
    ("policy" is 政策咨询); made again after a transactional test flushed the seed."""
    return RequestCategory.objects.get_or_create(name=CATEGORY_NAMES[code])[0]


def make_uscc(n: int) -> str:
    """A valid code, different for every n."""
    body = f"91500105{n:09d}"
    return body + uscc.check_character(body)


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    uscc = factory.Sequence(make_uscc)
    name = factory.Sequence(lambda n: f"重庆测试科技有限公司{n}")
    street = factory.LazyFunction(lambda: Street.objects.order_by("sort_order").first())
    industry = "it"
    legal_representative = "张三"
    contact_person = "李四"
    contact_phone = "023-67000000"
    bank_name = "中国工商银行重庆江北支行"
    bank_account = factory.Sequence(lambda n: f"31000{n:014d}")


class TechFirmRegistrationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TechFirmRegistration

    enterprise = factory.SubFactory(EnterpriseFactory)
    number = factory.Sequence(lambda n: f"2024500105{n:06d}")
    registered_on = dt.date(2024, 3, 1)


class HighTechCertificateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HighTechCertificate

    enterprise = factory.SubFactory(EnterpriseFactory)
    number = factory.Sequence(lambda n: f"GR202450{n:06d}")
    issued_on = dt.date(2024, 11, 1)
    kind = HighTechCertificate.Kind.NEW


class AnnualFiguresFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AnnualFigures

    enterprise = factory.SubFactory(EnterpriseFactory)
    year = 2025
    revenue = Decimal("12000000.00")
    rd_expenditure = Decimal("900000.00")
    employees = 80
    rd_staff = 20


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"区测试部门{n}")


class ServiceVisitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ServiceVisit

    enterprise = factory.SubFactory(EnterpriseFactory)
    visited_on = dt.date(2025, 3, 10)
    visitors = "张三、李四"


class ServiceRequestFactory(factory.django.DjangoModelFactory):
    """A request row as the ledger would hold it; behaviour tests use the services instead."""

    class Meta:
        model = ServiceRequest

    enterprise = factory.SubFactory(EnterpriseFactory)
    registered_on = dt.date(2025, 3, 10)
    category = factory.LazyFunction(lambda: request_category("policy"))
    description = factory.Sequence(lambda n: f"咨询研发费用加计扣除政策（{n}）")
    due_on = factory.LazyAttribute(lambda r: service_request_due_on(r.registered_on))


class ProjectRecommendationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProjectRecommendation

    enterprise = factory.SubFactory(EnterpriseFactory)
    programme = "国家重点研发计划"
    level = ProjectRecommendation.Level.NATIONAL
    title = factory.Sequence(lambda n: f"高性能工业视觉检测关键技术研究{n}")
    year = 2025
