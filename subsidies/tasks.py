"""Celery tasks of subsidies: thin, they call one service."""

from celery import shared_task

from subsidies.services import subsidy_claim_notices_end


@shared_task(name="subsidies.end_notices", acks_late=True)
def end_notices() -> int:
    """End the public notices whose last day is past; staff are told each claim waits for
    approval (see subsidy_claim_notices_end). Returns how many ended."""
    return subsidy_claim_notices_end()
