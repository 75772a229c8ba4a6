"""Thin tasks: take ids, call one service.

Sending has no Celery retries: a failed attempt is rescheduled in its row
(`next_attempt_at`) and queued again by the sweep, so no task waits in Redis with a countdown
longer than the broker's visibility timeout, and a task that runs twice sends nothing twice.
"""

from __future__ import annotations

from celery import shared_task
from django.apps import apps
from django.conf import settings

from common.models import Notification
from common.outbox import outbox_send, outbox_sweep


@shared_task(
    name="common.send_email",
    acks_late=True,
    soft_time_limit=settings.OUTBOX_SEND_SOFT_TIME_LIMIT,
    time_limit=settings.OUTBOX_SEND_TIME_LIMIT,
)
def send_email(label: str, pk: int) -> str:
    """Send row `pk` of the outbox model `label` (claimed first; see outbox_send)."""
    return outbox_send(model=apps.get_model(label), pk=pk)


@shared_task(
    name="common.send_notification",
    acks_late=True,
    soft_time_limit=settings.OUTBOX_SEND_SOFT_TIME_LIMIT,
    time_limit=settings.OUTBOX_SEND_TIME_LIMIT,
)
def send_notification(notification_id: int) -> str:
    """The former name of send_email for notifications (tasks queued before an upgrade)."""
    return outbox_send(model=Notification, pk=notification_id)


@shared_task(name="common.sweep_outbox", acks_late=True)
def sweep_outbox() -> dict[str, int]:
    """Queue again every email that is due or was lost, take back claims of dead workers,
    and alert the admins once about undelivered emails (see outbox_sweep)."""
    return outbox_sweep()
