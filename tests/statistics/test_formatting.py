from decimal import Decimal

import pytest
from django.utils import translation

from portal.statistics.formatting import change_display, figure_display
from portal.statistics.lib import change
from portal.statistics.sections.base import Kind


@pytest.fixture(autouse=True)
def chinese():
    with translation.override("zh-hans"):
        yield


@pytest.mark.parametrize(
    ("kind", "value", "shown"),
    [
        (Kind.COUNT, 1795, "1,795"),
        (Kind.MONEY, "320000000.00", "3.20 亿元"),  # the article's 3.2亿
        (Kind.MONEY, "653700.00", "65.37 万元"),
        (Kind.MONEY, "0.00", "0.00 万元"),
        (Kind.PERCENT, 3.71, "3.71%"),
        (Kind.NUMBER, 2024, "2024"),
        (Kind.COUNT, None, "—"),
    ],
)
def test_figure_display(kind, value, shown):
    assert figure_display(kind, value) == shown


@pytest.mark.parametrize(
    ("kind", "now", "before", "shown"),
    [
        (Kind.COUNT, 35, 30, "+5 (+16.7%)"),
        (Kind.COUNT, 30, 35, "−5 (−14.3%)"),
        (Kind.COUNT, 5, 0, "+5"),  # no percentage of nothing
        (Kind.COUNT, 5, 5, "0"),
        (Kind.COUNT, 5, None, "—"),  # no snapshot to compare with
        (Kind.MONEY, "320000000.00", "300000000.00", "+2,000.00 万元 (+6.7%)"),
        (Kind.PERCENT, 3.71, 3.5, "+0.21 个百分点"),
        (Kind.PERCENT, 3.5, 3.71, "−0.21 个百分点"),
    ],
)
def test_change_display(kind, now, before, shown):
    assert change_display(kind, change(now, before)) == shown


def test_change_percent_is_rounded_to_one_decimal():
    assert change(Decimal("2"), Decimal("3")).percent == Decimal("-33.3")
