"""History pages: a row's change reason in the reader's language."""

from typing import Any

from django import template

from common.history_reasons import reason_display

register = template.Library()


@register.filter
def change_reason(record: Any) -> str:
    return reason_display(record)
