"""Celery tasks of the enterprise registry: thin, they take ids and call one service."""

from celery import shared_task
from django.utils import timezone

from enterprises.services.imports import import_job_run, import_jobs_fail_lost
from enterprises.services.reminders import high_tech_expiry_reminders_send
from enterprises.services.service_desk import overdue_digests_send


@shared_task(name="enterprises.run_import_job", acks_late=True)
def run_import_job(job_id: int) -> None:
    """Import the official list of ImportJob `job_id` (see import_job_run for effects)."""
    import_job_run(job_id=job_id)


@shared_task(name="enterprises.fail_lost_import_jobs", acks_late=True)
def fail_lost_import_jobs() -> int:
    """Mark failed the background imports whose worker died (see import_jobs_fail_lost)."""
    return import_jobs_fail_lost()


@shared_task(name="enterprises.send_overdue_digests", acks_late=True)
def send_overdue_digests() -> int:
    """Write each handler today's digest of their overdue requests to the outbox (at most
    once a day; the worker sends it)."""
    return overdue_digests_send()


@shared_task(name="enterprises.send_high_tech_expiry_reminders", acks_late=True)
def send_high_tech_expiry_reminders() -> int:
    """Write today's high-tech certificate expiry reminders to the outbox (each person gets
    each step's reminder once; see high_tech_expiry_reminders_send)."""
    return high_tech_expiry_reminders_send(on=timezone.localdate())
