"""Who holds whose work queue today (handovers), and the work queue itself."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from common.models import QueueHandover


def queue_holders(user_id: int, *, on: dt.date | None = None) -> list[Any]:
    """The people who act on `user_id`'s records on `on` (default today): the colleagues the
    queue is handed to, or the person themself when no handover covers the day."""
    day = on or timezone.localdate()
    delegates = list(
        QueueHandover.objects.filter(
            from_user_id=user_id, starts_on__lte=day, ends_on__gte=day
        ).values_list("to_user_id", flat=True)
    )
    ids = delegates or [user_id]
    return list(get_user_model().objects.filter(pk__in=ids, is_active=True).order_by("pk"))
