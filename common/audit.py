"""The audited save every service writes through.

django-simple-history reads `_history_user` and `_change_reason` from the instance it
records, so the history row names who made the change and why.
"""

from typing import Any

from django.db import models


def save_with_audit(obj: models.Model, *, acting_user: Any, reason: str = "") -> None:
    """full_clean() then save(), recording who and why in the history row."""
    obj.full_clean()
    obj._history_user = acting_user if getattr(acting_user, "pk", None) else None  # type: ignore[attr-defined]
    if reason:
        obj._change_reason = reason  # type: ignore[attr-defined]
    obj.save()
