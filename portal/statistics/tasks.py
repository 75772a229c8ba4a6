"""Celery tasks of the monthly statistics: thin, they call one service each.

The schedules are in portal/celery.py. Every task is safe to run twice: snapshots are unique
per month and each email is claimed by its delivery row before it is sent.
"""

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from portal.statistics import services
from portal.statistics.lib import Period


def _previous_month() -> Period:
    return Period.of(timezone.localdate()).previous()


@shared_task(name="statistics.compute_previous_month", acks_late=True)
def compute_previous_month() -> list[str]:
    """Snapshot last month, and any of the twelve before it that is missing (catch-up)."""
    return [
        summary.period_label
        for summary in services.monthly_summary_catch_up(period=_previous_month())
    ]


@shared_task(name="statistics.send_monthly_reports", acks_late=True)
def send_monthly_reports(period: str | None = None) -> int:
    """Create the deliveries of `period` (default last month) and queue one send per delivery.

    Returns how many were queued; a delivery already claimed or sent is not queued again.
    """
    month = Period.parse(period) if period else _previous_month()
    delivery_ids = services.report_deliveries_prepare(period=month)
    for delivery_id in delivery_ids:
        send_report_delivery.delay(delivery_id)
    return len(delivery_ids)


@shared_task(
    bind=True,
    name="statistics.send_report_delivery",
    acks_late=True,
    autoretry_for=services.SEND_ERRORS,
    retry_backoff=settings.REPORT_RETRY_BACKOFF,
    retry_backoff_max=3600,
    retry_jitter=False,
    max_retries=settings.REPORT_MAX_RETRIES,
)
def send_report_delivery(self, delivery_id: int) -> str:  # type: ignore[no-untyped-def]
    """Send one report email (claimed first); SMTP errors are retried with backoff."""
    return services.report_delivery_send(
        delivery_id=delivery_id, final_attempt=self.request.retries >= self.max_retries
    )


@shared_task(name="statistics.alert_stuck_deliveries", acks_late=True)
def alert_stuck_deliveries() -> int:
    """Alert the admins about report emails left half-way (see the service); resends nothing."""
    return services.report_deliveries_alert_stuck()
