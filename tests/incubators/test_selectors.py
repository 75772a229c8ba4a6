"""Carrier indicators on a date, readiness against thresholds, district totals."""

import datetime as dt
from decimal import Decimal

import pytest

from incubators import selectors
from incubators.models import Level, ReadinessThreshold
from tests.enterprises.factories import (
    AnnualFiguresFactory,
    EnterpriseFactory,
    HighTechCertificateFactory,
    TechFirmRegistrationFactory,
)
from tests.incubators.factories import (
    ActivityFactory,
    IncubatorFactory,
    RecognitionFactory,
    TenancyFactory,
)

pytestmark = pytest.mark.django_db

D = dt.date(2025, 6, 30)


def _carrier_with_tenants():
    incubator = IncubatorFactory(area=Decimal("2000"))
    registered = TenancyFactory(incubator=incubator, moved_in_on=dt.date(2025, 1, 10)).enterprise
    TechFirmRegistrationFactory(enterprise=registered, registered_on=dt.date(2024, 1, 1))
    high_tech = TenancyFactory(incubator=incubator, moved_in_on=dt.date(2024, 3, 1)).enterprise
    HighTechCertificateFactory(enterprise=high_tech, issued_on=dt.date(2024, 11, 1))
    AnnualFiguresFactory(enterprise=high_tech, year=2024, invention_patents=2)
    TenancyFactory(
        incubator=incubator,
        moved_in_on=dt.date(2023, 1, 1),
        moved_out_on=dt.date(2025, 3, 1),
        graduated=True,
    )
    TenancyFactory(incubator=incubator, moved_in_on=D + dt.timedelta(days=1))  # not yet
    ActivityFactory(organiser=incubator, held_on=dt.date(2025, 2, 1))
    ActivityFactory(organiser=incubator, held_on=dt.date(2024, 12, 31))  # last year
    ActivityFactory(organiser=None, held_on=dt.date(2025, 2, 1))  # the bureau's
    return incubator


def test_indicators_on_a_day():
    incubator = _carrier_with_tenants()
    figures = selectors.indicators_on(incubators=[incubator], day=D)[incubator.pk]
    assert figures.tenants == 2
    assert figures.registered_tenants == 1
    assert figures.high_tech_tenants == 1
    assert figures.patent_tenants == 1
    assert figures.patent_share == Decimal("50.0")
    assert figures.tenants_per_1000 == Decimal("1.00")
    assert figures.graduates == 1
    assert figures.new_tenants_year == 1
    assert figures.activities_year == 1


def test_indicators_earlier_day_follow_the_dates():
    incubator = _carrier_with_tenants()
    figures = selectors.indicators_on(incubators=[incubator], day=dt.date(2024, 6, 30))
    assert figures[incubator.pk].tenants == 2  # the graduate and the high-tech firm
    assert figures[incubator.pk].graduates == 0
    assert figures[incubator.pk].high_tech_tenants == 0


def test_indicators_take_two_queries_for_any_number_of_carriers(django_assert_num_queries):
    carriers = [_carrier_with_tenants() for _ in range(3)]
    # one grouped query over tenancies, one over activities
    with django_assert_num_queries(2):
        selectors.indicators_on(incubators=carriers, day=D)
    with django_assert_num_queries(2):
        trend = selectors.indicator_trend(incubator=carriers[0], until=D)
    assert [f.day for f in trend][-1] == D
    assert trend[0].day == dt.date(2024, 7, 31)
    assert len(trend) == 12


def test_month_ends_handle_year_turn_and_leap_february():
    days = selectors.month_ends(until=dt.date(2024, 3, 15), months=3)
    assert days == [dt.date(2024, 1, 31), dt.date(2024, 2, 29), dt.date(2024, 3, 15)]


def test_readiness_against_seeded_national_incubator_criteria():
    incubator = _carrier_with_tenants()
    figures = selectors.indicators_on(incubators=[incubator], day=D)[incubator.pk]
    readiness = selectors.readiness_for(
        incubator=incubator, indicators=figures, current_level=Level.MUNICIPAL
    )
    assert readiness.target_level == Level.NATIONAL
    rows = {row.indicator: row for row in readiness.rows}
    assert set(rows) == {"area", "tenants", "tenants_per_1000", "graduates", "patent_share"}
    assert rows["area"].minimum == Decimal("10000") and not rows["area"].met
    assert rows["patent_share"].met
    assert not readiness.ready


def test_maker_space_space_criterion_is_either_area_or_workstations():
    space = IncubatorFactory(kind="maker_space", area=Decimal("300"), workstations=40)
    figures = selectors.indicators_on(incubators=[space], day=D)[space.pk]
    figures.new_tenants_year, figures.activities_year = 25, 12
    readiness = selectors.readiness_for(incubator=space, indicators=figures, current_level=None)
    assert readiness.ready
    ReadinessThreshold.objects.filter(indicator="workstations").update(minimum=50)
    readiness = selectors.readiness_for(incubator=space, indicators=figures, current_level=None)
    assert not readiness.ready


def test_no_threshold_above_national():
    incubator = IncubatorFactory()
    figures = selectors.indicators_on(incubators=[incubator], day=D)[incubator.pk]
    readiness = selectors.readiness_for(
        incubator=incubator, indicators=figures, current_level=Level.NATIONAL
    )
    assert readiness.target_level is None and readiness.rows == []


def test_district_totals_count_carriers_and_distinct_tenants():
    first = IncubatorFactory(kind="maker_space", area=Decimal("800"))
    second = IncubatorFactory(kind="incubator", area=Decimal("9000"))
    unrecognised = IncubatorFactory()
    RecognitionFactory(incubator=first, level=Level.DISTRICT, recognized_on=D)
    RecognitionFactory(incubator=second, level=Level.DISTRICT, recognized_on=dt.date(2019, 1, 1))
    RecognitionFactory(incubator=second, level=Level.NATIONAL, recognized_on=dt.date(2022, 1, 1))
    RecognitionFactory(incubator=second, level=Level.MUNICIPAL, recognized_on=dt.date(2020, 1, 1))
    both = EnterpriseFactory()
    TechFirmRegistrationFactory(enterprise=both, registered_on=dt.date(2024, 1, 1))
    HighTechCertificateFactory(enterprise=both, issued_on=D)  # issued on D counts
    TenancyFactory(incubator=first, enterprise=both, moved_in_on=dt.date(2025, 1, 1))
    TenancyFactory(incubator=second, enterprise=both, moved_in_on=dt.date(2025, 1, 1))
    TenancyFactory(incubator=unrecognised, moved_in_on=dt.date(2025, 1, 1))
    ActivityFactory(organiser=first, held_on=dt.date(2025, 6, 1))
    ActivityFactory(organiser=None, held_on=dt.date(2025, 1, 3))
    totals = selectors.carrier_totals_on(D)
    assert totals["total"] == 2
    assert totals["by_level"] == {"district": 1, "municipal": 0, "national": 1}
    assert totals["by_kind"]["maker_space"] == 1 and totals["by_kind"]["incubator"] == 1
    assert totals["area_m2"] == 9800.0
    # `both` sits in two carriers and counts once; the tenant of the unrecognised carrier
    # counts too (DESIGN §5: resident on D, whatever the carrier's recognition)
    assert totals["tenants"] == 2
    assert totals["tenant_registered_tech_firms"] == 1
    assert totals["tenant_high_tech_firms"] == 1
    assert totals["activities_month"] == 1
    assert totals["activities_ytd"] == 2
