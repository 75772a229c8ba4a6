"""Cross-cutting periodic tasks."""

from celery import shared_task

from portal import services


@shared_task
def housekeeping() -> dict[str, int]:
    """Delete expired sessions and login-failure records older than the lockout window."""
    return services.housekeeping_run()
