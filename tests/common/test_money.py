"""The one money formatter: yuan with separators and two decimals, 万元 exact; the filters."""

from decimal import Decimal

import pytest
from django.template import Context, Template
from hypothesis import given
from hypothesis import strategies as st

from common.lib.money import format_wan_grouped, format_yuan, wan_to_yuan

D = Decimal


@pytest.mark.parametrize(
    ("yuan", "shown"),
    [
        (D("1113333.33"), "1,113,333.33"),
        (D("65600"), "65,600.00"),
        (D("0"), "0.00"),
        (0, "0.00"),
        (D("999.995"), "1,000.00"),  # half up, not to even
        (D("0.125"), "0.13"),
        (D("-1234.565"), "-1,234.57"),
        (D("-0.004"), "0.00"),  # no negative zero
        (D("12345678901234.56"), "12,345,678,901,234.56"),
        (None, ""),
    ],
)
def test_format_yuan(yuan, shown):
    assert format_yuan(yuan) == shown


@pytest.mark.parametrize(
    ("yuan", "shown"),
    [
        (D("653700.00"), "65.37"),
        (D("12345600.00"), "1,234.56"),
        (D("12345000.00"), "1,234.5"),
        (D("1000000"), "100"),  # as official lists write it
        (D("1113333.33"), "111.333333"),  # down to the cent, nothing rounded away
        (D("-50000"), "-5"),
        (D("0"), "0"),
        (D("10000000000000"), "1,000,000,000"),
        (None, ""),
    ],
)
def test_format_wan_grouped(yuan, shown):
    assert format_wan_grouped(yuan) == shown


cents = st.integers(min_value=-(10**18), max_value=10**18).map(lambda n: D(n).scaleb(-2))


@given(cents)
def test_format_yuan_is_exact_and_grouped(yuan):
    shown = format_yuan(yuan)
    assert D(shown.replace(",", "")) == yuan
    whole = shown.lstrip("-").split(".")[0]
    assert all(len(group) == 3 for group in whole.split(",")[1:])
    assert len(whole.split(",")[0]) <= 3


@given(cents)
def test_format_wan_grouped_reads_back_exactly(yuan):
    # What a 万元 page shows is what its form takes: the same figure goes back in unchanged.
    assert wan_to_yuan(format_wan_grouped(yuan)) == yuan


def test_filters_format_decimals_strings_and_none():
    template = Template(
        "{% load money %}{{ a|yuan }}|{{ a|wan }}|{{ s|yuan }}|{{ n|yuan|default:'—' }}"
    )
    context = Context({"a": D("1113333.33"), "s": "65600.00", "n": None})
    assert template.render(context) == "1,113,333.33|111.333333|65,600.00|—"
