import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from portal.statistics.models import (
    DistrictStatistic,
    MonthlySummary,
    ReportDelivery,
    ReportSubscription,
)


class DistrictStatisticFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DistrictStatistic
        django_get_or_create = ("year",)

    year = 2024
    gdp = Decimal("140000000000.00")
    rd_expenditure = Decimal("5200000000.00")
    city_intensity_pct = Decimal("2.36")


class ReportSubscriptionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReportSubscription

    email = factory.Sequence(lambda n: f"reader{n}@kjj.example.cn")
    language = "zh-hans"
    active = True


class MonthlySummaryFactory(factory.django.DjangoModelFactory):
    """A stored snapshot (its figures are computed by the service in behaviour tests)."""

    class Meta:
        model = MonthlySummary
        django_get_or_create = ("period",)

    period = dt.date(2025, 6, 1)
    as_of = dt.date(2025, 6, 30)
    computed_at = factory.LazyFunction(timezone.now)


class ReportDeliveryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReportDelivery

    summary = factory.SubFactory(MonthlySummaryFactory)
    recipient = factory.Sequence(lambda n: f"reader{n}@kjj.example.cn")
