"""`{{ amount|yuan }}` and `{{ amount|wan }}`: every amount a template shows goes through
common.lib.money, so pages, emails and the admin read alike ('1,113,333.33')."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django import template

from common.lib.money import format_wan_grouped, format_yuan

register = template.Library()


def _decimal(value: object) -> Decimal | None:
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


@register.filter
def yuan(value: object) -> str:
    """Yuan with thousands separators and two decimals; '' for None (chain `|default:"—"`)."""
    amount = _decimal(value)
    return "" if amount is None else format_yuan(amount)


@register.filter
def wan(value: object) -> str:
    """A yuan amount shown in 万元, for pages whose headers say 万元."""
    amount = _decimal(value)
    return "" if amount is None else format_wan_grouped(amount)
