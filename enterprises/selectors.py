"""Reads that depend on who asks. Views fetch enterprise records only through these."""

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from enterprises.models import AnnualFigures, Enterprise, HighTechCertificate, TechFirmRegistration


def enterprise_for_user(*, user: Any) -> Enterprise:
    """The enterprise this user acts for once staff approved the link; otherwise 404."""
    if (
        not getattr(user, "is_authenticated", False)
        or getattr(user, "link_status", "") != "approved"
    ):
        raise Http404
    enterprise_id = getattr(user, "enterprise_id", None)
    if enterprise_id is None:
        raise Http404
    return Enterprise.objects.select_related("street").get(pk=enterprise_id)


def enterprise_get_for_user(*, user: Any, pk: int) -> Enterprise:
    """One enterprise by id, only if it is the user's own (staff may read any); else 404."""
    if getattr(user, "is_staff", False):
        enterprise = Enterprise.objects.select_related("street").filter(pk=pk).first()
        if enterprise is None:
            raise Http404
        return enterprise
    own = enterprise_for_user(user=user)
    if own.pk != pk:
        raise Http404
    return own


def registrations_for_enterprise(*, enterprise: Enterprise) -> QuerySet[TechFirmRegistration]:
    return enterprise.registrations.order_by("-registered_on")


def certificates_for_enterprise(*, enterprise: Enterprise) -> QuerySet[HighTechCertificate]:
    return enterprise.certificates.order_by("-issued_on")


def annual_figures_for_enterprise(*, enterprise: Enterprise) -> QuerySet[AnnualFigures]:
    return enterprise.annual_figures.order_by("-year")


def annual_figures_get_for_user(*, user: Any, year: int) -> AnnualFigures | None:
    """The user's own enterprise's figures for `year`, or None when none are recorded."""
    enterprise = enterprise_for_user(user=user)
    return AnnualFigures.objects.filter(enterprise=enterprise, year=year).first()


def registry_counts_on(day: dt.date) -> dict[str, int]:
    """Registered tech firms and valid high-tech enterprises on `day` (DESIGN §5)."""
    return {
        "registered_tech_firms": Enterprise.objects.registered_on(day).count(),
        "high_tech_valid": Enterprise.objects.high_tech_on(day).count(),
    }


def annual_figures_get_by_pk_for_user(*, user: Any, pk: int) -> AnnualFigures:
    """One figures record by id, only if it belongs to the user's own enterprise; else 404."""
    enterprise = enterprise_for_user(user=user)
    record = AnnualFigures.objects.filter(enterprise=enterprise, pk=pk).first()
    if record is None:
        raise Http404
    record.enterprise = enterprise  # already loaded; saves a query when the page names it
    return record


def annual_figure_years_for_enterprise(*, enterprise: Enterprise) -> set[int]:
    """The years for which the enterprise has figures recorded."""
    return set(enterprise.annual_figures.values_list("year", flat=True))
