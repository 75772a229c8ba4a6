"""Section `services`: the bureau's visits to firms and the requests collected, year to date.

With Y the calendar year of D (1 January to D), from the service desk's queryset methods:
- visited_firms_ytd: distinct enterprises visited in Y (ServiceVisit.visited_firms_ytd);
- requests_collected_ytd: requests registered in Y (ServiceRequest.requests_collected_ytd);
- requests_resolved_ytd: those of them resolved by D (ServiceRequest.requests_resolved_ytd);
- satisfaction_ratings_ytd, satisfaction_average_ytd: the firms' ratings (满意度 1–5) of
  resolutions given in Y, how many and their average to two decimals (None when none)
  (ServiceRequest.satisfaction_ytd). Added after DESIGN §5's list, which they extend.
Four queries whatever the row counts.
"""

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from common.lib.dates import year_start
from enterprises.models import ServiceRequest, ServiceVisit
from portal.statistics.lib import Period
from portal.statistics.sections.base import Figure, Kind, Section, earliest


def compute(period: Period) -> dict[str, Any]:
    day = period.last_day
    return {
        "visited_firms_ytd": ServiceVisit.objects.visited_firms_ytd(day),
        "requests_collected_ytd": ServiceRequest.objects.requests_collected_ytd(day),
        "requests_resolved_ytd": ServiceRequest.objects.requests_resolved_ytd(day),
        **ServiceRequest.objects.satisfaction_ytd(day),
    }


def _year_to_date_url(model: str, field: str, **extra: str) -> Callable[[Period], str]:
    def link(period: Period) -> str:
        day = period.last_day
        query = urlencode(
            {
                f"{field}__gte": year_start(day).isoformat(),
                f"{field}__lte": day.isoformat(),
                **extra,
            }
        )
        return f"{reverse(f'admin:enterprises_{model}_changelist')}?{query}"

    return link


def _resolved_url(period: Period) -> str:
    base = _year_to_date_url("servicerequest", "registered_on")(period)
    return f"{base}&{urlencode({'resolved_on__lte': period.last_day.isoformat()})}"


def first_record() -> dt.date | None:
    return earliest(
        (ServiceVisit.objects.all(), "visited_on"),
        (ServiceRequest.objects.all(), "registered_on"),
    )


SECTION = Section(
    key="services",
    title=_("Services to firms"),
    compute=compute,
    first_record=first_record,
    figures=(
        Figure(
            "visited_firms_ytd",
            _("Firms visited this year"),
            Kind.COUNT,
            headline=True,
            link=_year_to_date_url("servicevisit", "visited_on"),
        ),
        Figure(
            "requests_collected_ytd",
            _("Requests collected this year"),
            Kind.COUNT,
            headline=True,
            link=_year_to_date_url("servicerequest", "registered_on"),
        ),
        Figure(
            "requests_resolved_ytd",
            _("Requests resolved this year"),
            Kind.COUNT,
            link=_resolved_url,
        ),
        Figure(
            "satisfaction_ratings_ytd",
            _("Resolutions rated by firms this year"),
            Kind.COUNT,
            link=_year_to_date_url("servicerequest", "rated_on"),
        ),
        Figure(
            "satisfaction_average_ytd",
            _("Average satisfaction this year (1–5)"),
            Kind.NUMBER,
        ),
    ),
)
