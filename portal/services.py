"""Cross-cutting services of the portal package."""

from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import transaction
from django.utils import timezone


@transaction.atomic
def housekeeping_run() -> dict[str, int]:
    """Delete expired sessions and lockout records whose cool-off has passed.

    Safe to run any number of times: it only deletes rows that are already dead.
    """
    now = timezone.now()
    sessions, _ = Session.objects.filter(expire_date__lt=now).delete()
    attempts, _ = AccessAttempt.objects.filter(
        attempt_time__lt=now - settings.AXES_COOLOFF_TIME
    ).delete()
    return {"sessions": sessions, "access_attempts": attempts}
