"""Celery tasks of the monthly statistics: thin, they call one service each.

The schedules are in portal/celery.py. Every task is safe to run twice: snapshots are unique
per month and each email is claimed by its delivery row before it is sent.
"""

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from common.outbox import outbox_enqueue
from portal.statistics import services
from portal.statistics.lib import Period
from portal.statistics.models import ReportDelivery


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
    outbox_enqueue(ReportDelivery, delivery_ids)
    return len(delivery_ids)


@shared_task(
    name="statistics.send_report_delivery",
    acks_late=True,
    soft_time_limit=settings.OUTBOX_SEND_SOFT_TIME_LIMIT,
    time_limit=settings.OUTBOX_SEND_TIME_LIMIT,
)
def send_report_delivery(delivery_id: int) -> str:
    """Send one report email (claimed first); a failed attempt is rescheduled in its row and
    queued again by the outbox sweep (common.sweep_outbox), not retried here."""
    return services.report_delivery_send(delivery_id=delivery_id)
