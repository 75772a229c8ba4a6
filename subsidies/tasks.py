"""Celery tasks of subsidies: thin, they take ids and call one service."""

from celery import shared_task

from subsidies.services import claim_change_notify


@shared_task(name="subsidies.notify_claim_change", acks_late=True)
def notify_claim_change(change_id: int) -> int:
    """Email the claimant about one step of its claim (see claim_change_notify)."""
    return claim_change_notify(change_id=change_id)
