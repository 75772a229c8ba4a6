"""Section `subsidies`: claims and money of the subsidy programmes, year to date.

With Y the calendar year of D (1 January to D), from subsidies.selectors.subsidies_summary_on
(one aggregate query whatever the row counts):
- claims_ytd: claims submitted in Y (whatever became of them);
- approved_ytd, approved_amount_ytd: claims approved in Y and their approved amounts;
- paid_amount_ytd: approved amounts paid in Y;
- by_policy: per programme code, {claims, approved_amount, paid_amount} on the same rules.
"""

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from common.lib.dates import year_start
from portal.statistics.lib import Period, money_text
from portal.statistics.sections.base import Figure, Kind, Section, earliest
from subsidies.models import Programme, SubsidyClaim
from subsidies.selectors import subsidies_summary_on


def compute(period: Period) -> dict[str, Any]:
    summary = subsidies_summary_on(day=period.last_day)
    return {
        "claims_ytd": summary["claims_ytd"],
        "approved_ytd": summary["approved_ytd"],
        "approved_amount_ytd": money_text(summary["approved_amount_ytd"]),
        "paid_amount_ytd": money_text(summary["paid_amount_ytd"]),
        "by_policy": {
            code: {
                "claims": figures["claims"],
                "approved_amount": money_text(figures["approved_amount"]),
                "paid_amount": money_text(figures["paid_amount"]),
            }
            for code, figures in summary["by_policy"].items()
        },
    }


def _claims_in_year(field: str, **extra: str) -> Callable[[Period], str]:
    def link(period: Period) -> str:
        day = period.last_day
        query = {
            f"{field}__gte": year_start(day).isoformat(),
            f"{field}__lte": day.isoformat(),
            **extra,
        }
        return f"{reverse('admin:subsidies_subsidyclaim_changelist')}?{urlencode(query)}"

    return link


def _per_programme() -> tuple[Figure, ...]:
    """Three rows per programme, each labelled with the programme and what it counts (one
    label shared by the three rows read as the same figure three times)."""
    figures = []
    for programme in Programme:
        code = programme.value
        figures += [
            Figure(
                f"by_policy.{code}.claims",
                format_lazy("{} · {}", programme.label, _("Subsidy claims this year")),
                Kind.COUNT,
                link=_claims_in_year("submitted_on", programme=code),
            ),
            Figure(
                f"by_policy.{code}.approved_amount",
                format_lazy("{} · {}", programme.label, _("Amount approved this year")),
                Kind.MONEY,
                link=_claims_in_year("approved_on", programme=code),
            ),
            Figure(
                f"by_policy.{code}.paid_amount",
                format_lazy("{} · {}", programme.label, _("Amount paid this year")),
                Kind.MONEY,
                link=_claims_in_year("paid_on", programme=code),
            ),
        ]
    return tuple(figures)


def first_record() -> dt.date | None:
    return earliest(
        (SubsidyClaim.objects.all(), "submitted_on", "approved_on", "paid_on"),
    )


SECTION = Section(
    key="subsidies",
    title=_("Subsidies and rewards"),
    compute=compute,
    first_record=first_record,
    figures=(
        Figure(
            "claims_ytd",
            _("Subsidy claims this year"),
            Kind.COUNT,
            headline=True,
            link=_claims_in_year("submitted_on"),
        ),
        Figure(
            "approved_ytd",
            _("Claims approved this year"),
            Kind.COUNT,
            link=_claims_in_year("approved_on"),
        ),
        Figure(
            "approved_amount_ytd",
            _("Amount approved this year"),
            Kind.MONEY,
            headline=True,
            link=_claims_in_year("approved_on"),
        ),
        Figure(
            "paid_amount_ytd",
            _("Amount paid this year"),
            Kind.MONEY,
            headline=True,
            link=_claims_in_year("paid_on"),
        ),
        *_per_programme(),
    ),
)
