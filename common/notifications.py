"""The notification outbox: rows written in the transaction of what they report, sent by a
task after commit through the one delivery path of `common.outbox` (claimed with a
conditional UPDATE, so a retried or duplicated task sends each message once)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from common.models import Notification
from common.outbox import outbox_enqueue_on_commit, outbox_send

if TYPE_CHECKING:
    from common.models import StatusChange
    from common.workflow import Workflow


def absolute(path: str) -> str:
    return settings.PORTAL_BASE_URL.rstrip("/") + path if path.startswith("/") else path


def notification_write(
    *,
    recipients: Iterable[Any],
    subject: str,
    body: str,
    path: str = "",
    kind: str,
    dedupe_key: str = "",
) -> list[Notification]:
    """Write one pending notification per recipient (each person once) and send them after
    commit. With a `dedupe_key`, a person who already has that key gets nothing new."""
    written: list[Notification] = []
    seen: set[int] = set()
    for user in recipients:
        if user.pk in seen:
            continue
        seen.add(user.pk)
        row = Notification(
            recipient=user,
            email=(user.email or "").strip(),
            kind=kind,
            subject=" ".join(subject.split())[:200],
            body=body,
            url=absolute(path),
            dedupe_key=dedupe_key,
            status=Notification.Status.PENDING if user.email else Notification.Status.FAILED,
            # No address: given up at once (no next attempt), visible in the admin.
            next_attempt_at=timezone.now() if user.email else None,
            last_error="" if user.email else "no email address",
        )
        if dedupe_key:
            try:
                with transaction.atomic():
                    row.save()
            except IntegrityError:
                continue
        else:
            row.save()
        written.append(row)
    _send_after_commit([row.pk for row in written if row.status == Notification.Status.PENDING])
    return written


def _send_after_commit(ids: list[int]) -> None:
    outbox_enqueue_on_commit(Notification, ids)


def admins_notify(*, subject: str, body: str, kind: str = "admin_alert") -> list[Notification]:
    """Write one notification per ADMINS address (or, with none configured, per active
    superuser with an address) and queue them after commit; returns the rows."""
    addresses = [address for _name, address in settings.ADMINS]
    rows: list[Notification] = []
    if addresses:
        for address in dict.fromkeys(a.strip().lower() for a in addresses if a.strip()):
            rows.append(
                Notification(
                    email=address,
                    kind=kind,
                    subject=" ".join(subject.split())[:200],
                    body=body,
                )
            )
        Notification.objects.bulk_create(rows)
        _send_after_commit([row.pk for row in rows])
        return rows
    from django.contrib.auth import get_user_model

    superusers = (
        get_user_model().objects.filter(is_superuser=True, is_active=True).exclude(email="")
    )
    return notification_write(recipients=superusers, subject=subject, body=body, kind=kind)


def step_notifications_write(workflow: Workflow, obj: Any, change: StatusChange) -> int:
    """Tell each next actor of the new state (and whoever the state informs) about the
    step, each with the page that opens for them; the person who made the step is not told
    of it. Returns the number of rows written."""
    target = change.to_status
    count = 0
    told: set[int] = {change.acting_user_id} if change.acting_user_id else set()
    for waiting, actors in (
        (True, workflow.next.get(target, ())),
        (False, workflow.tell.get(target, ())),
    ):
        for actor in actors:
            people = [u for u in _recipients(workflow, obj, actor) if u.pk not in told]
            if not people:
                continue
            told.update(u.pk for u in people)
            path = workflow.link(obj, actor)
            context = {
                "workflow": workflow,
                "obj": obj,
                "title": workflow.title(obj),
                "change": change,
                "from_label": workflow.state_label(change.from_status)
                if change.from_status
                else "",
                "to_label": workflow.state_label(target),
                "waiting": waiting,
                "actor": actor,
                "url": absolute(path),
            }
            for for_bureau in (True, False):
                group = [u for u in people if bool(u.is_staff) == for_bureau]
                if not group:
                    continue
                from common.workflow import acting_party

                context["by"] = acting_party(change, for_bureau=for_bureau)
                with translation.override(settings.LANGUAGE_CODE):
                    subject = render_to_string("common/email/step_subject.txt", context)
                    body = render_to_string("common/email/step.txt", context)
                count += len(
                    notification_write(
                        recipients=group,
                        subject=subject,
                        body=body,
                        path=path,
                        kind=workflow.name,
                    )
                )
    return count


def _recipients(workflow: Workflow, obj: Any, actor: Any) -> list[Any]:
    """The people `actor` stands for on `obj`: the holder (or whoever holds their queue
    today) when a staff member has taken the record up, else every holder of the role."""
    from common.queue import queue_holders

    holder = workflow.holder_id(obj)
    if holder is not None and workflow.held_by_holder(actor):
        people = [u for u in queue_holders(holder) if actor.holds(u, obj)]
        if people:
            return people
    return list(actor.recipients(obj).order_by("pk"))


def notifications_for_user(*, user: Any, limit: int = 20) -> list[Notification]:
    """The latest messages written to `user` (their inbox), newest first. Reads only."""
    return list(Notification.objects.filter(recipient=user).order_by("-created_at", "-pk")[:limit])


# ------------------------------------------------------------------------------ sending


def notification_send(*, notification_id: int) -> str:
    """Send one notification through the outbox (see `common.outbox.outbox_send`)."""
    return outbox_send(model=Notification, pk=notification_id)
