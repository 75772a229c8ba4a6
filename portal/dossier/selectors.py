"""One page per enterprise (一企一档): everything the bureau keeps on a firm, read with one
query per kind of record however many records there are.

It lives in `portal` because it reads every domain app (DESIGN §3: only `portal` may)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.db.models import Model, Q, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from common.lib import uscc as uscc_lib
from enterprises.models import (
    AnnualFigures,
    Enterprise,
    HighTechCertificate,
    ServiceRequest,
    ServiceVisit,
    TechFirmRegistration,
)
from incubators.models import Tenancy
from loans.models import LoanApplication
from subsidies.models import RDAudit, SubsidyClaim

if TYPE_CHECKING:
    from common.types import AnyUser

VIEW_PERMISSION = "enterprises.view_enterprise"
EXPIRING_DAYS = 90
SEARCH_LIMIT = 50


def may_view_dossier(user: AnyUser) -> bool:
    """Bureau staff whose role may view enterprises."""
    return bool(user.is_authenticated and user.is_active and user.is_staff) and user.has_perm(
        VIEW_PERMISSION
    )


def enterprises_search(*, text: str) -> tuple[Enterprise | None, QuerySet[Enterprise]]:
    """Firms whose name or credit code holds `text`; an exact 18-character code that exists
    is returned first, alone, so that the page can go straight to it."""
    text = (text or "").strip()
    code = uscc_lib.normalise(text)
    if len(code) == 18:
        exact = Enterprise.objects.filter(uscc=code).first()
        if exact is not None:
            return exact, Enterprise.objects.filter(pk=exact.pk)
    if not text:
        return None, Enterprise.objects.none()
    found = Enterprise.objects.filter(Q(name__icontains=text) | Q(uscc__icontains=code))
    return None, found.order_by("name")[:SEARCH_LIMIT]


def enterprise_get_for_dossier(*, user: AnyUser, pk: int) -> Enterprise:
    if not may_view_dossier(user):
        raise Http404
    enterprise = Enterprise.objects.select_related("street").filter(pk=pk).first()
    if enterprise is None:
        raise Http404
    return enterprise


@dataclass
class Event:
    """One line of the timeline."""

    day: dt.date
    kind: str
    title: str
    status: str = ""
    amount: Decimal | None = None  # yuan
    url: str = ""
    record: Model | None = field(default=None, repr=False)


@dataclass
class Dossier:
    enterprise: Enterprise
    registrations: list[TechFirmRegistration]
    certificates: list[dict[str, Any]]
    figures: list[AnnualFigures]
    events: list[Event]


def _links(user: AnyUser) -> dict[type[Model], bool]:
    models: list[type[Model]] = [
        TechFirmRegistration, HighTechCertificate, AnnualFigures, Tenancy, LoanApplication,
        SubsidyClaim, RDAudit, ServiceVisit, ServiceRequest,
    ]  # fmt: skip
    return {
        model: user.has_perm(f"{model._meta.app_label}.view_{model._meta.model_name}")
        for model in models
    }


def _admin_url(obj: Model, allowed: dict[type[Model], bool]) -> str:
    if not allowed.get(type(obj)):
        return ""
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])


def _date(value: dt.datetime | None) -> dt.date | None:
    return timezone.localdate(value) if value else None


def dossier_for(*, user: AnyUser, enterprise: Enterprise, today: dt.date | None = None) -> Dossier:
    """The firm's whole record, newest first; each line links to its admin page when the
    reader may view that kind of record. One query per kind of record."""
    today = today or timezone.localdate()
    allowed = _links(user)
    firm = enterprise.pk
    events: list[Event] = []

    registrations = list(TechFirmRegistration.objects.filter(enterprise_id=firm))
    for reg in registrations:
        status = _("removed") if reg.removed_on and reg.removed_on <= today else _("valid")
        events.append(Event(reg.registered_on, _("Tech-firm registration"), reg.number, status,
                            url=_admin_url(reg, allowed), record=reg))  # fmt: skip

    certificates = []
    for cert in HighTechCertificate.objects.filter(enterprise_id=firm).order_by("-issued_on"):
        if cert.revoked_on and cert.revoked_on <= today:
            state, label = "revoked", _("revoked")
        elif cert.expires_on <= today:
            state, label = "expired", _("expired")
        elif (cert.expires_on - today).days <= EXPIRING_DAYS:
            state, label = "expiring", _("expiring soon")
        else:
            state, label = "valid", _("valid")
        url = _admin_url(cert, allowed)
        certificates.append({"certificate": cert, "state": state, "label": label, "url": url})
        events.append(Event(cert.issued_on, _("High-tech certificate"), cert.number, str(label),
                            url=url, record=cert))  # fmt: skip

    figures = list(AnnualFigures.objects.filter(enterprise_id=firm).order_by("-year"))

    for tenancy in Tenancy.objects.filter(enterprise_id=firm).select_related("incubator"):
        out = tenancy.moved_out_on
        events.append(Event(
            tenancy.moved_in_on, _("Tenancy"), tenancy.incubator.name,
            _("moved out on %(day)s") % {"day": out.isoformat()} if out else _("resident"),
            url=_admin_url(tenancy, allowed), record=tenancy,
        ))  # fmt: skip

    for loan in LoanApplication.objects.filter(enterprise_id=firm).select_related("bank"):
        title = str(loan.bank or _("no bank yet"))
        events.append(Event(
            loan.submitted_on or _date(loan.created_at) or today, _("Loan"), title,
            loan.get_status_display(), loan.approved_amount or loan.requested_amount,
            _admin_url(loan, allowed), loan,
        ))  # fmt: skip

    for claim in SubsidyClaim.objects.filter(enterprise_id=firm):
        events.append(Event(
            claim.submitted_on or _date(claim.created_at) or today, _("Subsidy claim"),
            f"{claim.get_programme_display()} {claim.year}", claim.get_status_display(),
            claim.approved_amount or claim.eligible_amount or claim.claimed_amount,
            _admin_url(claim, allowed), claim,
        ))  # fmt: skip

    for audit in RDAudit.objects.filter(claim__enterprise_id=firm).select_related("firm"):
        status = _("completed") if audit.completed_at else _("in progress")
        events.append(Event(
            _date(audit.assigned_at) or today, _("R&D audit"), str(audit.firm), status,
            audit.eligible_total if audit.completed_at else None,
            _admin_url(audit, allowed), audit,
        ))  # fmt: skip

    for visit in ServiceVisit.objects.filter(enterprise_id=firm):
        events.append(Event(visit.visited_on, _("Visit"), visit.visitors or "—",
                            url=_admin_url(visit, allowed), record=visit))  # fmt: skip

    for request in ServiceRequest.objects.filter(enterprise_id=firm).select_related("category"):
        events.append(Event(
            request.registered_on, _("Service request"), request.description[:80],
            request.get_status_display(), url=_admin_url(request, allowed), record=request,
        ))  # fmt: skip

    events.sort(key=lambda e: (e.day, e.kind, getattr(e.record, "pk", 0)), reverse=True)
    return Dossier(enterprise, registrations, certificates, figures, events)
