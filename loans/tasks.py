"""Celery tasks of the loans app: thin, they take ids and call one service."""

from celery import shared_task

from loans import services


@shared_task(name="loans.send_loan_status_email", acks_late=True)
def send_loan_status_email(change_id: int) -> int:
    """Email the people concerned by LoanStatusChange `change_id` (see loan_status_email_send)."""
    return services.loan_status_email_send(change_id=change_id)
