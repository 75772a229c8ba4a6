"""Counts on a page: grouped by thousands as amounts are (11,913, not 11913 or 1,1913)."""

from django import template

register = template.Library()


@register.filter
def grouped(value: object) -> object:
    """An integer with a comma every three digits; anything else as it is."""
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return value
