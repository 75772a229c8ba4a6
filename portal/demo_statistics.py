"""Demo data of the monthly statistics: the district's yearly figures and 13 snapshots.

Idempotent: a year or a month that exists is left as it is. Figures are of the order of
Jiangbei's (the article's 52亿 of R&D expenditure).
"""

import datetime as dt
from decimal import Decimal
from typing import Any

from portal.statistics import services
from portal.statistics.lib import Period
from portal.statistics.models import DistrictStatistic

# year: (GDP, total R&D expenditure, city average intensity %), in yuan.
DISTRICT_FIGURES = {
    2022: (Decimal("138000000000.00"), Decimal("4300000000.00"), Decimal("2.36")),
    2023: (Decimal("146000000000.00"), Decimal("4800000000.00"), Decimal("2.45")),
    2024: (Decimal("155000000000.00"), Decimal("5200000000.00"), Decimal("2.51")),
}
SNAPSHOT_MONTHS = 13


def seed(*, today: dt.date, acting_user: Any) -> dict[str, int]:
    """Create the missing district years and the snapshots of the 13 months before `today`."""
    created_years = 0
    for year, (gdp, expenditure, city) in DISTRICT_FIGURES.items():
        if year >= today.year or DistrictStatistic.objects.filter(year=year).exists():
            continue
        services.district_statistic_save(
            statistic=DistrictStatistic(
                year=year,
                gdp=gdp,
                rd_expenditure=expenditure,
                city_intensity_pct=city,
                note="区统计局公报（演示数据）",
            ),
            acting_user=acting_user,
        )
        created_years += 1
    last = Period.of(today).previous()
    summaries = services.monthly_summary_backfill(
        first=last.shift(-(SNAPSHOT_MONTHS - 1)), last=last, acting_user=acting_user
    )
    return {"district_years": created_years, "summaries": len(summaries)}
