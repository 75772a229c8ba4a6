"""One mapping from a service's refusal to what a person reads, for views and the admin."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.utils.translation import gettext as _


def messages_of(exc: ValidationError | PermissionDenied) -> list[str]:
    """Every message of a refusal as plain sentences (field messages included)."""
    if isinstance(exc, PermissionDenied):
        return [str(exc) or _("You may not make this step.")]
    return [str(message) for message in exc.messages]


def put_on_form(form: Any, exc: ValidationError | PermissionDenied) -> None:
    """A refusal at the form's field it concerns, else at the top of the form."""
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
        return
    form.add_error(None, messages_of(exc))


__all__ = ["NON_FIELD_ERRORS", "messages_of", "put_on_form"]
