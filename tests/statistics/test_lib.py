import datetime as dt
from decimal import Decimal

import pytest

from portal.statistics.lib import Period, PeriodError, change, flatten, lookup, money_text


@pytest.mark.parametrize(
    "text", ["2025-13", "2025-00", "2025-1", "25-01", "2025/01", "", "abcd-ef"]
)
def test_malformed_periods_are_refused(text):
    with pytest.raises(PeriodError):
        Period.parse(text)


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        ("2024-02", dt.date(2024, 2, 1), dt.date(2024, 2, 29)),  # leap year
        ("2023-02", dt.date(2023, 2, 1), dt.date(2023, 2, 28)),
        ("2022-09", dt.date(2022, 9, 1), dt.date(2022, 9, 30)),
        ("2025-12", dt.date(2025, 12, 1), dt.date(2025, 12, 31)),
    ],
)
def test_period_bounds(text, first, last):
    period = Period.parse(text)
    assert (period.first_day, period.last_day) == (first, last)
    assert str(period) == text


def test_period_arithmetic_crosses_years():
    assert Period(2025, 1).previous() == Period(2024, 12)
    assert Period(2025, 3).shift(-12) == Period(2024, 3)
    assert Period(2024, 11).months_until(Period(2025, 2)) == [
        Period(2024, 11),
        Period(2024, 12),
        Period(2025, 1),
        Period(2025, 2),
    ]


def test_money_text_has_two_decimals():
    assert money_text(None) == "0.00"
    assert money_text(Decimal("653700")) == "653700.00"
    assert money_text(Decimal("1.005")) == "1.00"  # banker's rounding never matters: cents in


def test_change_against_missing_or_zero():
    assert change(5, None) is None
    assert change(5, 0).percent is None
    assert change("110.00", "100.00").percent == Decimal("10.0")
    assert change(3, 4).direction == "down"


def test_flatten_and_lookup():
    figures = {"a": {"by_level": {"district": 3}}, "b": 1}
    assert flatten(figures) == {"a.by_level.district": 3, "b": 1}
    assert lookup(figures, "a.by_level.district") == 3
    assert lookup(figures, "a.missing") is None
