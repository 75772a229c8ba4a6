"""Celery tasks of loans: thin, they call one service."""

from celery import shared_task

from loans.services import loans_fall_overdue


@shared_task(name="loans.fall_overdue", acks_late=True)
def fall_overdue() -> int:
    """Move to "overdue" every disbursed loan with an instalment due before today and not
    repaid (see loans_fall_overdue: the step is recorded, the bank and the firm are told).
    Returns how many moved."""
    return loans_fall_overdue()
