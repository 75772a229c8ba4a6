"""Counts on a page are grouped by thousands, as amounts are (common.templatetags.numbers)."""

from django.template import Context, Template


def render(value) -> str:
    return Template("{% load numbers %}{{ value|grouped }}").render(Context({"value": value}))


def test_counts_are_grouped_by_three_digits_not_by_the_locales_four():
    assert render(11913) == "11,913"
    assert render(1234567) == "1,234,567"
    assert render(999) == "999"
    assert render(0) == "0"


def test_what_is_not_a_count_is_left_as_it_is():
    assert render("12345") == "12345"
    assert render(None) == "None"
    assert render(True) == "True"
