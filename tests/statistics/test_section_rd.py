"""The `rd` section: the latest district figures not after the month's year."""

from decimal import Decimal

import pytest

from portal.statistics.lib import Period
from portal.statistics.sections import rd as section
from tests.statistics.factories import DistrictStatisticFactory

pytestmark = pytest.mark.django_db


def test_latest_year_not_after_the_month():
    DistrictStatisticFactory(year=2023, gdp=Decimal("100000000000"), rd_expenditure=Decimal("2e9"))
    DistrictStatisticFactory(
        year=2024,
        gdp=Decimal("140000000000.00"),
        rd_expenditure=Decimal("5200000000.00"),
        city_intensity_pct=Decimal("2.36"),
    )
    DistrictStatisticFactory(year=2026)
    assert section.compute(Period(2025, 10)) == {
        "year": 2024,
        "expenditure": "5200000000.00",
        "gdp": "140000000000.00",
        "intensity_pct": 3.71,  # 52亿 / 1400亿 = 3.714…%
        "city_intensity_pct": 2.36,
    }
    assert section.compute(Period(2023, 12))["year"] == 2023
    assert section.compute(Period(2023, 12))["intensity_pct"] == 2.0


def test_no_district_figures_gives_zeros():
    assert section.compute(Period(2025, 10)) == {
        "year": None,
        "expenditure": "0.00",
        "gdp": "0.00",
        "intensity_pct": 0.0,
        "city_intensity_pct": 0.0,
    }
