"""Section `incubators`: innovation carriers, their tenants and activities on the as_of day.

The figures are `incubators.selectors.carrier_totals_on(D)`, the carriers app's own
aggregate over its counting querysets (DESIGN §5):
- total, by_level, by_kind, area_m2: carriers recognised on or before D and not revoked by
  D (Incubator.objects.counted_on), by the highest level held on D (with_level_on), and the
  sum of their areas;
- tenants: distinct enterprises resident on D (Tenancy.objects.resident_on) in any carrier,
  recognised or not, since DESIGN §5 names no recognition in that rule; the two tenant_*
  figures: those residents registered as tech firms / holding a valid high-tech
  certificate on D;
- activities_month, activities_ytd: activities held in the month / from 1 January to D,
  the bureau's included.
Three aggregate queries whatever the row counts.
"""

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from common.lib.dates import year_start
from incubators.models import Activity, IncubatorKind, Level, Recognition, Tenancy
from incubators.selectors import carrier_totals_on
from portal.statistics.lib import Period
from portal.statistics.sections.base import Figure, Kind, Section, earliest


def compute(period: Period) -> dict[str, Any]:
    return carrier_totals_on(period.last_day)


def _changelist(model: str, query: Callable[[Period], dict[str, str]]) -> Callable[[Period], str]:
    def link(period: Period) -> str:
        url = reverse(f"admin:incubators_{model}_changelist")
        return f"{url}?{urlencode(query(period))}"

    return link


def _day(period: Period) -> str:
    return period.last_day.isoformat()


def _counted(**extra: str) -> Callable[[Period], str]:
    return _changelist("incubator", lambda period: {"counted_on_day": _day(period), **extra})


def _level(level: Level) -> Callable[[Period], str]:
    return _changelist("incubator", lambda period: {"level_on_day": f"{_day(period)}:{level.key}"})


def _residents(*filters: str) -> Callable[[Period], str]:
    return _changelist(
        "tenancy",
        lambda period: {name: _day(period) for name in ("resident_on_day", *filters)},
    )


def _activities(first_day: Callable[[Period], Any]) -> Callable[[Period], str]:
    return _changelist(
        "activity",
        lambda period: {
            "held_on__gte": first_day(period).isoformat(),
            "held_on__lte": _day(period),
        },
    )


LEVEL_LABELS = {
    Level.DISTRICT: _("District-level carriers"),
    Level.MUNICIPAL: _("Municipal-level carriers"),
    Level.NATIONAL: _("National-level carriers"),
}
KIND_LABELS = {
    IncubatorKind.MAKER_SPACE: _("Recognised maker spaces"),
    IncubatorKind.INCUBATOR: _("Recognised incubators"),
    IncubatorKind.ACCELERATOR: _("Recognised accelerators"),
    IncubatorKind.INDUSTRIAL_PARK: _("Recognised industrial parks"),
}


def first_record() -> dt.date | None:
    return earliest(
        (Recognition.objects.all(), "recognized_on"),
        (Tenancy.objects.all(), "moved_in_on"),
        (Activity.objects.all(), "held_on"),
    )


SECTION = Section(
    key="incubators",
    title=_("Innovation carriers"),
    compute=compute,
    first_record=first_record,
    figures=(
        Figure(
            "total",
            _("Recognised carriers"),
            Kind.COUNT,
            headline=True,
            public=True,
            link=_counted(),
        ),
        *(
            Figure(f"by_level.{level.key}", label, Kind.COUNT, link=_level(level))
            for level, label in LEVEL_LABELS.items()
        ),
        *(
            Figure(f"by_kind.{kind.value}", label, Kind.COUNT, link=_counted(kind__exact=kind))
            for kind, label in KIND_LABELS.items()
        ),
        Figure("area_m2", _("Area of recognised carriers (m²)"), Kind.NUMBER, link=_counted()),
        Figure(
            "tenants",
            _("Resident enterprises"),
            Kind.COUNT,
            headline=True,
            public=True,
            link=_residents(),
        ),
        Figure(
            "tenant_registered_tech_firms",
            _("Resident registered tech firms"),
            Kind.COUNT,
            link=_residents("registered_on_day"),
        ),
        Figure(
            "tenant_high_tech_firms",
            _("Resident high-tech enterprises"),
            Kind.COUNT,
            link=_residents("high_tech_on_day"),
        ),
        Figure(
            "activities_month",
            _("Activities this month"),
            Kind.COUNT,
            link=_activities(lambda period: period.first_day),
        ),
        Figure(
            "activities_ytd",
            _("Activities this year"),
            Kind.COUNT,
            headline=True,
            link=_activities(lambda period: year_start(period.last_day)),
        ),
    ),
)
