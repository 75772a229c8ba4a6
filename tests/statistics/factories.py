from decimal import Decimal

import factory

from portal.statistics.models import DistrictStatistic, ReportSubscription


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
