"""Thin tasks: take ids, call one service."""

from __future__ import annotations

from smtplib import SMTPException

from celery import shared_task

from common.notifications import notification_send


@shared_task(
    bind=True,
    name="common.send_notification",
    autoretry_for=(SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=600,
    max_retries=5,
    acks_late=True,
)
def send_notification(self, notification_id: int) -> str:  # type: ignore[no-untyped-def]
    final = self.request.retries >= self.max_retries
    return notification_send(notification_id=notification_id, final_attempt=final)
