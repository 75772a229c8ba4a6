"""Section `enterprises`: the tech-firm registry and high-tech certificates on the as_of day.

- registered_tech_firms: distinct enterprises holding a registration on D (registered ≤ D,
  not removed or removed after D), TechFirmRegistration.objects.registered_on(D).
- registered_tech_firms_new_month: distinct enterprises with a registration dated in the
  month (first day ≤ registered_on ≤ D), even if removed again before D.
- high_tech_valid: distinct enterprises holding a certificate valid on D.
- high_tech_expiring_90d: of those, the ones whose every valid certificate ends (expires, or
  is revoked) on or before D + 90 days, as the certificate admin's "expiring" filter says.
Three queries whatever the row counts.
"""

import datetime as dt
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, Max, Q
from django.db.models.functions import Coalesce, Least
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from enterprises.models import HighTechCertificate, TechFirmRegistration
from portal.statistics.lib import Period
from portal.statistics.sections.base import Figure, Kind, Section, earliest

EXPIRY_WINDOW_DAYS = 90


def compute(period: Period) -> dict[str, Any]:
    day = period.last_day
    registered = TechFirmRegistration.objects.registered_on(day).aggregate(
        firms=Count("enterprise", distinct=True)
    )
    new = TechFirmRegistration.objects.filter(
        registered_on__gte=period.first_day, registered_on__lte=day
    ).aggregate(firms=Count("enterprise", distinct=True))
    # One row per enterprise with the last day its valid certificates cover, then counted.
    high_tech = (
        HighTechCertificate.objects.valid_on(day)
        .values("enterprise")
        .annotate(ends=Max(Least("expires_on", Coalesce("revoked_on", "expires_on"))))
        .aggregate(
            valid=Count("enterprise"),
            expiring=Count(
                "enterprise", filter=Q(ends__lte=day + dt.timedelta(days=EXPIRY_WINDOW_DAYS))
            ),
        )
    )
    return {
        "registered_tech_firms": registered["firms"],
        "registered_tech_firms_new_month": new["firms"],
        "high_tech_valid": high_tech["valid"] or 0,
        "high_tech_expiring_90d": high_tech["expiring"] or 0,
    }


def _enterprises_url(parameter: str) -> Callable[[Period], str]:
    def link(period: Period) -> str:
        query = urlencode({parameter: period.last_day.isoformat()})
        return f"{reverse('admin:enterprises_enterprise_changelist')}?{query}"

    return link


def _new_registrations_url(period: Period) -> str:
    query = urlencode(
        {
            "registered_on__gte": period.first_day.isoformat(),
            "registered_on__lte": period.last_day.isoformat(),
        }
    )
    return f"{reverse('admin:enterprises_techfirmregistration_changelist')}?{query}"


def first_record() -> dt.date | None:
    return earliest(
        (TechFirmRegistration.objects.all(), "registered_on"),
        (HighTechCertificate.objects.all(), "issued_on"),
    )


SECTION = Section(
    key="enterprises",
    title=_("Tech firms"),
    compute=compute,
    first_record=first_record,
    figures=(
        Figure(
            "registered_tech_firms",
            _("Registered tech firms"),
            Kind.COUNT,
            headline=True,
            public=True,
            link=_enterprises_url("registered_on_day"),
        ),
        Figure(
            "registered_tech_firms_new_month",
            _("Tech firms registered this month"),
            Kind.COUNT,
            link=_new_registrations_url,
        ),
        Figure(
            "high_tech_valid",
            _("High-tech enterprises"),
            Kind.COUNT,
            headline=True,
            public=True,
            link=_enterprises_url("high_tech_on_day"),
        ),
        Figure(
            "high_tech_expiring_90d",
            _("High-tech certificates expiring within 90 days"),
            Kind.COUNT,
            link=_enterprises_url("high_tech_expiring_on_day"),
        ),
    ),
)
