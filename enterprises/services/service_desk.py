"""Every write of the service desk: visits, requests and their workflow, recommendations,
and the daily overdue digest.

Each transition is one service on the one workflow mechanism (`common.workflow`, the tables
in `enterprises.workflows`): it locks the row alone, checks the table and the actor, runs its
own checks, saves through `save_with_audit`, writes a status-change record and the
notifications of the next actors and of the enterprise (outbox rows sent after commit).
Refusals are ValidationError (bad input, keyed by the service's argument names so forms can
show them at the field, or a step the table lacks) or PermissionDenied (wrong actor);
nothing is saved in either case.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from common.audit import save_with_audit
from common.calendar import service_request_due_on, service_request_reopen_until
from common.notifications import absolute, notification_write, step_notifications_write
from common.queue import overdue_queue_items
from common.uploads import PrivateFileValidator
from common.workflow import lock, move, require_step
from enterprises.models import (
    Department,
    Enterprise,
    OverdueDigest,
    ProjectRecommendation,
    ProjectRecommendationStatusChange,
    RequestCategory,
    ServiceRequest,
    ServiceRequestAttachment,
    ServiceRequestStatusChange,
    ServiceVisit,
)
from enterprises.workflows import DESK, ENTERPRISE, PROJECT_RECOMMENDATION, SERVICE_REQUEST

if TYPE_CHECKING:
    from common.types import User

logger = logging.getLogger(__name__)

Status = ServiceRequest.Status
Handling = ServiceRequest.Handling

# Handling a request resolved without being forwarded may have.
DIRECT_HANDLING = (Handling.ON_SITE, Handling.COORDINATED)
# A reply is recorded as a step from a state to itself; it tells the enterprise alone, with
# the request's own email and links (the workflow, told differently; not registered).
REPLY = dataclasses.replace(
    SERVICE_REQUEST, next={}, tell=dict.fromkeys(Status.values, (ENTERPRISE,))
)
# The enterprise's reply, the other way round: it tells the desk, that is the request's
# handler when it has one (or whoever holds the handler's queue today), else the desk's staff.
FIRM_REPLY = dataclasses.replace(
    SERVICE_REQUEST, next=dict.fromkeys(Status.values, (DESK,)), tell={}
)
# The kinds of file an enterprise may add to a request.
ATTACHMENT_KINDS = ("pdf", "png", "jpeg", "xlsx")


def _require_staff(acting_user: User, permission: str) -> None:
    if not (getattr(acting_user, "is_staff", False) and acting_user.has_perm(permission)):
        raise PermissionDenied(_("Only bureau staff handling requests may do this."))


def _require_desk(acting_user: User) -> None:
    """The desk's staff (the actor of every request step) for what is not a step."""
    if not DESK.holds(acting_user):
        raise PermissionDenied(_("Only bureau staff handling requests may do this."))


def _acts_for(acting_user: User, enterprise: Enterprise) -> bool:
    """An enterprise user whose approved link is to `enterprise`."""
    return (
        getattr(acting_user, "enterprise_id", None) == enterprise.pk
        and getattr(acting_user, "link_status", "") == "approved"
    )


def _user(acting_user: User | None) -> User | None:
    return acting_user if getattr(acting_user, "pk", None) else None


def _check_not_future(day: dt.date | None, field: str, message: str) -> None:
    if day and day > timezone.localdate():
        raise ValidationError({field: message})


# ---------------------------------------------------------------------------------- visits


@transaction.atomic
def service_visit_record(
    *,
    enterprise: Enterprise,
    visited_on: dt.date,
    visitors: str,
    acting_user: User,
    notes: str = "",
) -> ServiceVisit:
    """Record a visit of bureau staff to a firm (staff only). One visit per firm and day."""
    _require_staff(acting_user, "enterprises.add_servicevisit")
    visitors = visitors.strip()
    if not visitors:
        raise ValidationError({"visitors": _("Name the staff who went on the visit.")})
    if ServiceVisit.objects.filter(enterprise=enterprise, visited_on=visited_on).exists():
        raise ValidationError(
            {"visited_on": _("A visit to this enterprise on this day is already recorded.")}
        )
    visit = ServiceVisit(
        enterprise=enterprise,
        visited_on=visited_on,
        visitors=visitors,
        notes=notes.strip(),
        recorded_by=_user(acting_user),
    )
    save_with_audit(visit, acting_user=acting_user, reason="visit recorded")
    return visit


# -------------------------------------------------------------------------------- requests


def _new_request(
    *,
    enterprise: Enterprise,
    registered_on: dt.date,
    category: RequestCategory,
    description: str,
    acting_user: User,
    visit: ServiceVisit | None,
    handler: User | None,
    due_on: dt.date | None,
    reason: str,
) -> ServiceRequest:
    description = " ".join(description.split())
    if not description:
        raise ValidationError({"description": _("Describe the problem.")})
    if visit is not None and visit.enterprise_id != enterprise.pk:
        raise ValidationError({"visit": _("The visit was to another enterprise.")})
    if ServiceRequest.objects.filter(
        enterprise=enterprise, registered_on=registered_on, description=description
    ).exists():
        raise ValidationError(
            {"description": _("The same request was already registered on this day.")}
        )
    service_request = ServiceRequest(
        enterprise=enterprise,
        visit=visit,
        registered_on=registered_on,
        category=category,
        description=description,
        handler=handler,
        due_on=due_on or service_request_due_on(registered_on),
        raised_by=_user(acting_user),
    )
    save_with_audit(service_request, acting_user=acting_user, reason=reason)
    change = ServiceRequestStatusChange.objects.create(
        service_request=service_request,
        from_status="",
        to_status=Status.OPEN,
        acting_user=_user(acting_user),
    )
    # The request now waits for the desk (its handler, once it has one); staff who register
    # a request they handle themselves need no email about it.
    if service_request.handler_id is None or service_request.handler_id != getattr(
        acting_user, "pk", None
    ):
        step_notifications_write(SERVICE_REQUEST, service_request, change)
    return service_request


@transaction.atomic
def service_request_raise(
    *, enterprise: Enterprise, category: RequestCategory, description: str, acting_user: User
) -> ServiceRequest:
    """An enterprise raises a request from the portal, registered today.

    Only a user acting for `enterprise` (approved link) may raise it. The request waits,
    without a handler, for bureau staff to take it up: every holder of the desk's permission
    is notified (outbox rows, sent after commit).
    """
    if not _acts_for(acting_user, enterprise):
        raise PermissionDenied(_("You may raise requests only for your own enterprise."))
    return _new_request(
        enterprise=enterprise,
        registered_on=timezone.localdate(),
        category=category,
        description=description,
        acting_user=acting_user,
        visit=None,
        handler=None,
        due_on=None,
        reason="raised by the enterprise",
    )


@transaction.atomic
def service_request_register(
    *,
    enterprise: Enterprise,
    registered_on: dt.date,
    category: RequestCategory,
    description: str,
    acting_user: User,
    visit: ServiceVisit | None = None,
    handler: User | None = None,
    due_on: dt.date | None = None,
) -> ServiceRequest:
    """Staff register a request collected at a visit or by phone; they handle it by default.

    The due date defaults to the usual time limit: the 15th working day after the day of
    registration on the official calendar (`common.calendar.service_request_due_on`). A
    handler other than the acting staff member is notified that the request waits for them.
    """
    _require_staff(acting_user, "enterprises.add_servicerequest")
    return _new_request(
        enterprise=enterprise,
        registered_on=registered_on,
        category=category,
        description=description,
        acting_user=acting_user,
        visit=visit,
        handler=handler if handler is not None else _user(acting_user),
        due_on=due_on,
        reason="registered by staff",
    )


def _lock_for(service_request: ServiceRequest, target: str, acting_user: User) -> ServiceRequest:
    """The request, locked alone, once the table has the step and the actor may make it."""
    locked = lock(SERVICE_REQUEST, service_request, related=("enterprise",))
    require_step(SERVICE_REQUEST, locked, target, acting_user)
    return locked


def _record(
    service_request: ServiceRequest, target: str, *, acting_user: User, note: str, reason: str
) -> None:
    """Move the locked request to `target`: saved, recorded, next actors and firm told."""
    move(
        SERVICE_REQUEST, service_request, target, acting_user=acting_user, note=note, reason=reason
    )


@transaction.atomic
def service_request_forward(
    *,
    service_request: ServiceRequest,
    department: Department | None,
    acting_user: User,
    note: str = "",
    due_on: dt.date | None = None,
) -> ServiceRequest:
    """Forward an open request to a department (staff); the acting staff becomes its handler
    when it had none, and `due_on` (if given) replaces the due date."""
    locked = _lock_for(service_request, Status.FORWARDED, acting_user)
    if department is None:
        raise ValidationError(
            {"department": _("Choose the department the request is forwarded to.")}
        )
    if not department.active:
        raise ValidationError({"department": _("This department no longer takes requests.")})
    locked.handling = Handling.FORWARDED
    locked.department = department
    if due_on is not None:
        locked.due_on = due_on
    if locked.handler_id is None:
        locked.handler = acting_user
    _record(
        locked, Status.FORWARDED, acting_user=acting_user, note=note.strip(), reason="forwarded"
    )
    return locked


@transaction.atomic
def service_request_resolve(
    *,
    service_request: ServiceRequest,
    resolved_on: dt.date | None,
    note: str,
    acting_user: User,
    handling: str = "",
) -> ServiceRequest:
    """Resolve a request (staff) with the date and a note the enterprise will read.

    An open request also says how it was handled (answered on site or coordinated within
    the district); a forwarded one stays "forwarded to a department".
    """
    locked = _lock_for(service_request, Status.RESOLVED, acting_user)
    note = note.strip()
    errors: dict[str, str] = {}
    if resolved_on is None:
        errors["resolved_on"] = _("Enter the resolution date.")
    elif resolved_on < locked.registered_on:
        errors["resolved_on"] = _("The resolution date cannot be before the registration date.")
    elif resolved_on > timezone.localdate():
        errors["resolved_on"] = _("The resolution date cannot be in the future.")
    if not note:
        errors["note"] = _("Describe how the request was resolved.")
    if locked.status == Status.OPEN and handling not in DIRECT_HANDLING:
        errors["handling"] = _(
            "Say whether the request was answered on site or coordinated within the district."
        )
    if errors:
        raise ValidationError(errors)
    if locked.status == Status.OPEN:
        locked.handling = handling
    locked.resolved_on = resolved_on
    locked.resolution_note = note
    if locked.handler_id is None:
        locked.handler = acting_user
    _record(locked, Status.RESOLVED, acting_user=acting_user, note=note, reason="resolved")
    return locked


@transaction.atomic
def service_request_close(
    *, service_request: ServiceRequest, reason: str, acting_user: User
) -> ServiceRequest:
    """Close a request without resolving it (staff), with the reason the enterprise will read."""
    locked = _lock_for(service_request, Status.CLOSED, acting_user)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason for closing without resolution.")})
    locked.closed_reason = reason
    _record(locked, Status.CLOSED, acting_user=acting_user, note=reason, reason="closed")
    return locked


@transaction.atomic
def service_request_reply(
    *, service_request: ServiceRequest, note: str, acting_user: User
) -> ServiceRequestStatusChange:
    """A staff reply to the enterprise that leaves the status as it is (recorded as a step
    from the status to itself); the enterprise is notified (outbox rows, sent after commit)."""
    _require_desk(acting_user)
    locked = lock(SERVICE_REQUEST, service_request, related=("enterprise",))
    note = note.strip()
    if not note:
        raise ValidationError({"note": _("Write the reply.")})
    change = ServiceRequestStatusChange(
        service_request=locked,
        from_status=locked.status,
        to_status=locked.status,
        note=note,
        acting_user=_user(acting_user),
    )
    save_with_audit(change, acting_user=acting_user)
    step_notifications_write(REPLY, locked, change)
    return change


def _require_firm(acting_user: User, service_request: ServiceRequest) -> None:
    if not ENTERPRISE.holds(acting_user, service_request):
        raise PermissionDenied(_("Only the enterprise that raised the request may do this."))


@transaction.atomic
def service_request_firm_reply(
    *, service_request: ServiceRequest, note: str, acting_user: User
) -> ServiceRequestStatusChange:
    """The enterprise replies on its request's thread (a step from the status to itself,
    authored by the firm's user). The request's handler, or the desk's staff when it has
    none, is notified (outbox rows, sent after commit)."""
    _require_firm(acting_user, service_request)
    locked = lock(SERVICE_REQUEST, service_request, related=("enterprise",))
    note = note.strip()
    if not note:
        raise ValidationError({"note": _("Write the reply.")})
    change = ServiceRequestStatusChange(
        service_request=locked,
        from_status=locked.status,
        to_status=locked.status,
        note=note,
        acting_user=_user(acting_user),
    )
    save_with_audit(change, acting_user=acting_user)
    step_notifications_write(FIRM_REPLY, locked, change)
    return change


@transaction.atomic
def service_request_attach(
    *, service_request: ServiceRequest, file: Any, acting_user: User
) -> ServiceRequestAttachment:
    """Add a file to a request (its enterprise or the desk's staff). The file is checked by
    size and content (`common.uploads`) and kept private."""
    if not (ENTERPRISE.holds(acting_user, service_request) or DESK.holds(acting_user)):
        raise PermissionDenied(_("Only the enterprise or the service desk may add files."))
    if not file:
        raise ValidationError({"file": _("Choose a file.")})
    try:
        PrivateFileValidator(ATTACHMENT_KINDS)(file)
    except ValidationError as exc:
        raise ValidationError({"file": exc.messages}) from exc
    attachment = ServiceRequestAttachment(
        service_request=service_request,
        file=file,
        original_name=str(getattr(file, "name", ""))[-255:],
        uploaded_by=_user(acting_user),
    )
    save_with_audit(attachment, acting_user=acting_user, reason="file added")
    return attachment


@transaction.atomic
def service_request_rate(
    *,
    service_request: ServiceRequest,
    satisfaction: int | None,
    acting_user: User,
    comment: str = "",
) -> ServiceRequest:
    """The enterprise rates the resolution of its request (满意度 1–5, optional comment),
    once per resolution and only while the request is resolved."""
    _require_firm(acting_user, service_request)
    locked = lock(SERVICE_REQUEST, service_request, related=("enterprise",))
    if locked.status != Status.RESOLVED:
        raise ValidationError({"satisfaction": _("Only a resolved request can be rated.")})
    if locked.satisfaction is not None:
        raise ValidationError(
            {"satisfaction": _("The resolution of this request has been rated already.")}
        )
    if satisfaction is None or not 1 <= satisfaction <= 5:
        raise ValidationError(
            {"satisfaction": _("Rate the resolution from 1 (poor) to 5 (very good).")}
        )
    locked.satisfaction = satisfaction
    locked.satisfaction_comment = comment.strip()
    locked.rated_on = timezone.localdate()
    save_with_audit(locked, acting_user=acting_user, reason="resolution rated")
    return locked


@transaction.atomic
def service_request_reopen(
    *, service_request: ServiceRequest, reason: str, acting_user: User
) -> ServiceRequest:
    """The enterprise reopens a resolved request within SERVICE_REQUEST_REOPEN_WORKING_DAYS
    working days of its resolution (`common.calendar.service_request_reopen_until`).

    The request is open again with a new due date from today; the resolution date and any
    rating are cleared (the status-change record keeps the reason, the history the rest);
    its handler (or the desk's staff) is notified.
    """
    locked = _lock_for(service_request, Status.OPEN, acting_user)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the request is not resolved.")})
    today = timezone.localdate()
    until = service_request_reopen_until(locked.resolved_on)  # type: ignore[arg-type]
    if today > until:
        raise ValidationError(
            {
                "reason": _(
                    "A request can be reopened only until %(until)s; raise a new request instead."
                )
                % {"until": until.isoformat()}
            }
        )
    locked.resolved_on = None
    locked.satisfaction = None
    locked.satisfaction_comment = ""
    locked.rated_on = None
    # An open request has not been forwarded (yet again): the handling is decided anew.
    if locked.handling == Handling.FORWARDED:
        locked.handling = ""
    locked.due_on = service_request_due_on(today)
    _record(locked, Status.OPEN, acting_user=acting_user, note=reason, reason="reopened")
    return locked


@transaction.atomic
def service_request_update(
    *, service_request: ServiceRequest, acting_user: User, **fields: Any
) -> ServiceRequest:
    """Staff correct a request's details (category, description, visit, handler, due date).

    The status and everything a transition sets are changed only by the transitions.
    """
    _require_desk(acting_user)
    allowed = {"category", "description", "visit", "handler", "due_on", "registered_on"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"Not editable outside a transition: {sorted(unknown)}")
    locked = lock(SERVICE_REQUEST, service_request)
    for name, value in fields.items():
        setattr(locked, name, value)
    save_with_audit(locked, acting_user=acting_user, reason="details corrected")
    return locked


# ----------------------------------------------------------------------- overdue digests


def overdue_digests_send(*, day: dt.date | None = None) -> int:
    """Email each handler with overdue requests, and each bureau user whose work queue holds
    overdue items of any process, one digest for `day` (default today).

    Side effects: one OverdueDigest row and one outbox notification per such person who has
    an email address and has not had that day's digest yet (the worker sends them). Safe to
    run any number of times. Returns the number of digests written.
    """
    day = day or timezone.localdate()
    handler_ids = set(
        ServiceRequest.objects.overdue_on(day)
        .filter(handler__isnull=False)
        .values_list("handler_id", flat=True)
    )
    # Whose queue holds overdue items is known only from each queue (a bounded number of
    # queries per person, once a day).
    handler_ids |= set(
        get_user_model()
        .objects.filter(is_staff=True, is_active=True)
        .exclude(email="")
        .values_list("pk", flat=True)
    )
    return sum(overdue_digest_send(handler_id=pk, day=day) for pk in sorted(handler_ids))


def overdue_digest_send(*, handler_id: int, day: dt.date) -> bool:
    """Send one person their overdue requests and the overdue items of their work queue for
    `day`, unless that digest exists already.

    The OverdueDigest row and the outbox notification are written in one transaction (the
    unique person-and-day key makes a second run write nothing); the worker sends the email
    after commit through the one delivery path, with its retries, sweep and alert.
    """
    handler = get_user_model().objects.filter(pk=handler_id, is_active=True).first()
    if handler is None or not handler.email:
        return False
    overdue = list(
        ServiceRequest.objects.overdue_on(day)
        .filter(handler=handler)
        .select_related("enterprise", "department", "category")
        .order_by("registered_on", "pk")
    )
    overdue.sort(key=lambda item: item.effective_due_on)
    listed = {request.pk for request in overdue}
    queue_items = [
        item
        for item in overdue_queue_items(user=handler, day=day)
        if not (isinstance(item.obj, ServiceRequest) and item.obj.pk in listed)
    ]
    if not overdue and not queue_items:
        return False
    for item in overdue:
        item.days_overdue = (day - item.effective_due_on).days
    context = {
        "handler": handler,
        "day": day,
        "requests": overdue,
        "queue_items": [(item, absolute(item.link)) for item in queue_items],
        "count": len(overdue) + len(queue_items),
        "queue_url": absolute(reverse("queue")),
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("enterprises/email/overdue_digest_subject.txt", context)
        body = render_to_string("enterprises/email/overdue_digest.txt", context)
    with transaction.atomic():
        _digest, claimed = OverdueDigest.objects.get_or_create(
            handler=handler, day=day, defaults={"request_count": len(overdue) + len(queue_items)}
        )
        if not claimed:
            return False
        notification_write(
            recipients=[handler],
            subject=subject,
            body=body,
            path=reverse("queue"),
            kind="overdue_digest",
            dedupe_key=f"overdue-digest-{day.isoformat()}",
        )
    return True


# ------------------------------------------------------------------ project recommendations


@transaction.atomic
def project_recommendation_create(
    *,
    enterprise: Enterprise,
    programme: str,
    level: str,
    title: str,
    year: int,
    acting_user: User,
    notes: str = "",
) -> ProjectRecommendation:
    """Start preparing a firm's project for a programme (staff)."""
    _require_staff(acting_user, "enterprises.add_projectrecommendation")
    recommendation = ProjectRecommendation(
        enterprise=enterprise,
        programme=programme.strip(),
        level=level,
        title=title.strip(),
        year=year,
        notes=notes.strip(),
    )
    save_with_audit(recommendation, acting_user=acting_user, reason="created")
    ProjectRecommendationStatusChange.objects.create(
        recommendation=recommendation,
        to_status=ProjectRecommendation.Status.PREPARING,
        acting_user=_user(acting_user),
    )
    return recommendation


def _lock_recommendation(
    recommendation: ProjectRecommendation, target: str, acting_user: User
) -> ProjectRecommendation:
    """The recommendation, locked alone, once the table has the step and the actor may."""
    locked = lock(PROJECT_RECOMMENDATION, recommendation, related=("enterprise",))
    require_step(PROJECT_RECOMMENDATION, locked, target, acting_user)
    return locked


def _record_recommendation(
    recommendation: ProjectRecommendation, target: str, *, acting_user: User, note: str
) -> None:
    move(
        PROJECT_RECOMMENDATION,
        recommendation,
        target,
        acting_user=acting_user,
        note=note,
        reason=target,
    )


@transaction.atomic
def project_recommendation_recommend(
    *,
    recommendation: ProjectRecommendation,
    recommended_on: dt.date,
    acting_user: User,
    note: str = "",
) -> ProjectRecommendation:
    """The bureau puts the project forward to the programme (staff)."""
    locked = _lock_recommendation(
        recommendation, ProjectRecommendation.Status.RECOMMENDED, acting_user
    )
    _check_not_future(
        recommended_on, "recommended_on", _("The recommendation date cannot be in the future.")
    )
    locked.recommended_on = recommended_on
    _record_recommendation(
        locked, ProjectRecommendation.Status.RECOMMENDED, acting_user=acting_user, note=note
    )
    return locked


def _decide(
    recommendation: ProjectRecommendation,
    *,
    target: str,
    decided_on: dt.date,
    acting_user: User,
    note: str,
    funding_amount: Decimal | None,
) -> ProjectRecommendation:
    locked = _lock_recommendation(recommendation, target, acting_user)
    _check_not_future(decided_on, "decided_on", _("The decision date cannot be in the future."))
    if locked.recommended_on and decided_on < locked.recommended_on:
        raise ValidationError(
            {"decided_on": _("The decision date cannot be before the recommendation date.")}
        )
    locked.decided_on = decided_on
    locked.funding_amount = funding_amount
    _record_recommendation(locked, target, acting_user=acting_user, note=note)
    return locked


@transaction.atomic
def project_recommendation_fund(
    *,
    recommendation: ProjectRecommendation,
    funding_amount: Decimal | None,
    decided_on: dt.date,
    acting_user: User,
    note: str = "",
) -> ProjectRecommendation:
    """Record that the programme funded the project, with the amount in yuan (staff)."""
    if funding_amount is None or funding_amount <= 0:
        raise ValidationError(
            {"funding_amount": _("Enter the funding amount granted, greater than zero.")}
        )
    return _decide(
        recommendation,
        target=ProjectRecommendation.Status.FUNDED,
        decided_on=decided_on,
        acting_user=acting_user,
        note=note,
        funding_amount=funding_amount,
    )


@transaction.atomic
def project_recommendation_decline(
    *,
    recommendation: ProjectRecommendation,
    decided_on: dt.date,
    acting_user: User,
    note: str = "",
) -> ProjectRecommendation:
    """Record that the programme did not fund the project (staff)."""
    return _decide(
        recommendation,
        target=ProjectRecommendation.Status.NOT_FUNDED,
        decided_on=decided_on,
        acting_user=acting_user,
        note=note,
        funding_amount=None,
    )
