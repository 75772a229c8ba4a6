"""Reads that depend on who asks. Views fetch enterprise records only through these."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db.models import Avg, Count, Prefetch, Q, QuerySet
from django.http import Http404

from enterprises.models import (
    AnnualFigures,
    Enterprise,
    HighTechCertificate,
    ProjectRecommendation,
    ServiceRequest,
    ServiceRequestAttachment,
    ServiceRequestStatusChange,
    ServiceVisit,
    TechFirmRegistration,
)
from enterprises.models.service_desk import overdue_condition

if TYPE_CHECKING:
    from common.types import AnyUser


def enterprise_for_user(*, user: AnyUser) -> Enterprise:
    """The enterprise this user acts for once staff approved the link; otherwise 404."""
    if not user.is_authenticated or user.link_status != "approved" or user.enterprise_id is None:
        raise Http404
    return Enterprise.objects.select_related("street").get(pk=user.enterprise_id)


def enterprise_get_for_user(*, user: AnyUser, pk: int) -> Enterprise:
    """One enterprise by id, only if it is the user's own (staff may read any); else 404."""
    if user.is_staff:
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


def annual_figures_get_for_user(*, user: AnyUser, year: int) -> AnnualFigures | None:
    """The user's own enterprise's figures for `year`, or None when none are recorded."""
    enterprise = enterprise_for_user(user=user)
    return AnnualFigures.objects.filter(enterprise=enterprise, year=year).first()


def registry_counts_on(day: dt.date) -> dict[str, int]:
    """Registered tech firms and valid high-tech enterprises on `day` (DESIGN §5)."""
    return {
        "registered_tech_firms": Enterprise.objects.registered_on(day).count(),
        "high_tech_valid": Enterprise.objects.high_tech_on(day).count(),
    }


def annual_figures_get_by_pk_for_user(*, user: AnyUser, pk: int) -> AnnualFigures:
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


# ------------------------------------------------------------------------- service desk

# Age bands of the desk's open-request table, in days since registration (upper bounds).
AGE_BANDS: tuple[tuple[int | None, str], ...] = (
    (7, "0–7"),
    (15, "8–15"),
    (30, "16–30"),
    (None, ">30"),
)


def service_counts_on(day: dt.date) -> dict[str, int]:
    """The service figures of DESIGN §5 for the year of `day`, up to `day`."""
    return {
        "visited_firms_ytd": ServiceVisit.objects.visited_firms_ytd(day),
        "requests_collected_ytd": ServiceRequest.objects.requests_collected_ytd(day),
        "requests_resolved_ytd": ServiceRequest.objects.requests_resolved_ytd(day),
    }


def service_requests_for_enterprise(*, enterprise: Enterprise) -> QuerySet[ServiceRequest]:
    """The enterprise's own requests, newest first, with their replies (two queries)."""
    return (
        ServiceRequest.objects.filter(enterprise=enterprise)
        .select_related("department", "category")
        .prefetch_related(
            Prefetch(
                "status_changes",
                queryset=ServiceRequestStatusChange.objects.order_by("created_at", "pk"),
            )
        )
        .order_by("-registered_on", "-pk")
    )


def service_request_attachment_get_for_user(
    *, user: AnyUser, pk: int, attachment_pk: int
) -> ServiceRequestAttachment:
    """A file of one of the user's own enterprise's requests; any other is 404."""
    enterprise = enterprise_for_user(user=user)
    found = ServiceRequestAttachment.objects.filter(
        pk=attachment_pk, service_request_id=pk, service_request__enterprise=enterprise
    ).first()
    if found is None:
        raise Http404
    return found


def desk_attachment_get(*, user: AnyUser, pk: int, attachment_pk: int) -> ServiceRequestAttachment:
    """A file of a request, for staff of the service desk; 404 when it does not exist."""
    _require_desk(user)
    found = ServiceRequestAttachment.objects.filter(pk=attachment_pk, service_request_id=pk).first()
    if found is None:
        raise Http404
    return found


def service_request_attachments(
    *, service_request: ServiceRequest
) -> list[ServiceRequestAttachment]:
    """The request's files with who added them (one query)."""
    return list(
        service_request.attachments.select_related("uploaded_by").order_by("uploaded_at", "pk")
    )


def desk_satisfaction(*, user: AnyUser, limit: int = 20) -> dict[str, Any]:
    """The firms' ratings of resolutions for the desk: how many, their average, and the
    latest rated requests (two queries)."""
    _require_desk(user)
    rated = ServiceRequest.objects.filter(satisfaction__isnull=False)
    summary = rated.aggregate(count=Count("pk"), average=Avg("satisfaction"))
    latest = list(
        rated.select_related("enterprise", "handler").order_by("-rated_on", "-pk")[:limit]
    )
    return {"count": summary["count"], "average": summary["average"], "latest": latest}


def service_request_get_for_user(*, user: AnyUser, pk: int) -> ServiceRequest:
    """One request of the user's own enterprise, with its replies; another's is 404."""
    enterprise = enterprise_for_user(user=user)
    found = service_requests_for_enterprise(enterprise=enterprise).filter(pk=pk).first()
    if found is None:
        raise Http404
    found.enterprise = enterprise
    return found


def project_recommendations_for_enterprise(
    *, enterprise: Enterprise
) -> QuerySet[ProjectRecommendation]:
    return ProjectRecommendation.objects.filter(enterprise=enterprise).order_by("-year", "title")


def _require_desk(user: AnyUser) -> None:
    if not (user.is_staff and user.has_perm("enterprises.view_servicerequest")):
        raise PermissionDenied


def desk_pending_requests(*, user: AnyUser, department_id: int | None = None) -> QuerySet:
    """Requests still being handled, oldest first, for staff of the service desk."""
    _require_desk(user)
    requests = (
        ServiceRequest.objects.pending()
        .select_related("enterprise", "department", "handler", "category")
        .order_by("registered_on", "pk")
    )
    if department_id is not None:
        requests = requests.filter(department_id=department_id or None)
    return requests


def desk_age_table(*, user: AnyUser, day: dt.date) -> list[dict[str, Any]]:
    """Pending requests counted by department (None: not forwarded) and age band, with the
    overdue ones; one grouped query."""
    _require_desk(user)
    bands: dict[str, Any] = {}
    lower = None
    for upper, label in AGE_BANDS:
        condition = Q()
        if upper is not None:
            condition &= Q(registered_on__gte=day - dt.timedelta(days=upper))
        if lower is not None:
            condition &= Q(registered_on__lt=day - dt.timedelta(days=lower))
        bands[label] = Count("registered_on", filter=condition)  # never empty: every request
        lower = upper
    rows = (
        ServiceRequest.objects.pending()
        .values("department_id", "department__name", "department__sort_order")
        # Counted over columns of the pending requests' covering index (department,
        # registered_on, due_on), which then answers without the table.
        .annotate(
            total=Count("*"),
            overdue=Count("registered_on", filter=overdue_condition(day)),
            **bands,
        )
        .order_by("department__sort_order", "department__name")
    )
    return [
        {
            "department_id": row["department_id"],
            "department": row["department__name"],
            "bands": [row[label] for _upper, label in AGE_BANDS],
            "total": row["total"],
            "overdue": row["overdue"],
        }
        for row in rows
    ]


def desk_request_get(*, user: AnyUser, pk: int) -> ServiceRequest:
    """One request for staff of the service desk; 404 when it does not exist (its steps are
    read by the page's timeline)."""
    _require_desk(user)
    found = (
        ServiceRequest.objects.select_related(
            "enterprise", "department", "handler", "visit", "category"
        )
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise Http404
    return found
