"""The audited save every service writes through.

django-simple-history reads `_history_user` and `_change_reason` from the instance it
records, so the history row names who made the change and why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

if TYPE_CHECKING:
    from common.types import AnyUser


def save_with_audit(obj: models.Model, *, acting_user: AnyUser | None, reason: str = "") -> None:
    """full_clean() then save(), recording who and why in the history row.

    The history row names nobody when no saved user acted: `acting_user` None (a
    registration, a system job) or the anonymous visitor.
    """
    obj.full_clean()
    obj._history_user = acting_user if acting_user is not None and acting_user.pk else None  # type: ignore[attr-defined]
    if reason:
        obj._change_reason = reason  # type: ignore[attr-defined]
    obj.save()
