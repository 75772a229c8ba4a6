"""Section `rd`: the district's R&D intensity from the latest DistrictStatistic.

- year: the latest year with district figures that is not after the as_of year (a month of
  2024 never shows figures entered for 2025); null when no year qualifies.
- expenditure, gdp: that year's total R&D expenditure and GDP (money strings).
- intensity_pct: expenditure / gdp × 100, two decimals; city_intensity_pct as entered.
With no district figures every value is zero and `year` is null. One query.
"""

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.db.models import Min
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.statistics.lib import Period, money_text
from portal.statistics.models import DistrictStatistic
from portal.statistics.sections.base import Figure, Kind, Section


def compute(period: Period) -> dict[str, Any]:
    statistic = DistrictStatistic.objects.filter(year__lte=period.year).order_by("-year").first()
    if statistic is None:
        return {
            "year": None,
            "expenditure": money_text(0),
            "gdp": money_text(0),
            "intensity_pct": 0.0,
            "city_intensity_pct": 0.0,
        }
    return {
        "year": statistic.year,
        "expenditure": money_text(statistic.rd_expenditure),
        "gdp": money_text(statistic.gdp),
        "intensity_pct": float(statistic.intensity_pct),
        "city_intensity_pct": float(statistic.city_intensity_pct),
    }


def _statistics_url(period: Period) -> str:
    query = urlencode({"year__lte": period.year})
    return f"{reverse('admin:statistics_districtstatistic_changelist')}?{query}"


def first_record() -> dt.date | None:
    """A year's district figures count from its first day."""
    year = DistrictStatistic.objects.aggregate(year=Min("year"))["year"]
    return dt.date(year, 1, 1) if year is not None else None


SECTION = Section(
    key="rd",
    title=_("R&D intensity"),
    compute=compute,
    first_record=first_record,
    figures=(
        Figure("year", _("Year of the district figures"), Kind.NUMBER, trend=False),
        Figure(
            "expenditure",
            _("Total R&D expenditure"),
            Kind.MONEY,
            headline=True,
            link=_statistics_url,
        ),
        Figure("gdp", _("District GDP"), Kind.MONEY, link=_statistics_url),
        Figure(
            "intensity_pct",
            _("R&D intensity (%)"),
            Kind.PERCENT,
            headline=True,
            link=_statistics_url,
        ),
        Figure("city_intensity_pct", _("City average R&D intensity (%)"), Kind.PERCENT),
    ),
)
