"""View decorators shared by the apps: who may open a page, and a reason when they may not."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

View = Callable[..., HttpResponse]


def bureau_staff_required(view: View) -> View:
    """Signed in (else the login page) and bureau staff (else 403 saying why).

    Django's `staff_member_required` sends a signed-in bank officer to the admin's login
    page, which reads as if the password were wrong; the 403 page says what the page is for.
    """

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_staff:
            raise PermissionDenied(
                _("This page is for bureau staff; your account acts for an organisation.")
            )
        return view(request, *args, **kwargs)

    return wrapped
