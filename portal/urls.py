from typing import Any

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import HttpRequest, HttpResponse
from django.urls import include, path, reverse
from django.utils.translation import gettext_lazy as _

from portal import views

admin.site.site_header = _("District Science and Technology Bureau")
admin.site.site_title = _("Bureau administration")
admin.site.index_title = _("Administration")
_admin_login = admin.site.login


def _admin_login_to_queue(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """Signing in at /admin/login/ lands on the work queue, as every sign-in does; a sign-in
    asked for on the way to an admin page still goes on to that page."""
    if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
        extra_context = {**(extra_context or {}), REDIRECT_FIELD_NAME: reverse("queue")}
    return _admin_login(request, extra_context)


admin.site.login = _admin_login_to_queue  # type: ignore[method-assign]

urlpatterns = [
    path("", views.home, name="home"),
    path("queue/", views.queue, name="queue"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("portal.accounts.urls")),
    path("enterprise/", include("enterprises.urls")),
    path("loans/", include("loans.urls")),
    path("service-desk/", include("enterprises.desk_urls")),
    path("dashboard/", include("portal.statistics.urls")),
    path("dossier/", include("portal.dossier.urls")),
    path("carrier/", include("incubators.urls")),
    path("subsidies/", include("subsidies.urls")),
    path("notices/", include("subsidies.notice_urls")),
    path("admin/", admin.site.urls),
    path("i18n/setlang/", views.set_language, name="set_language"),
]
