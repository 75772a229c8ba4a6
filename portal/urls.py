from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from portal import views

admin.site.site_header = _("District Science and Technology Bureau")
admin.site.site_title = _("Bureau administration")
admin.site.index_title = _("Administration")

urlpatterns = [
    path("", views.home, name="home"),
    path("queue/", views.queue, name="queue"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("portal.accounts.urls")),
    path("enterprise/", include("enterprises.urls")),
    path("loans/", include("loans.urls")),
    path("service-desk/", include("enterprises.desk_urls")),
    path("dashboard/", include("portal.statistics.urls")),
    path("carrier/", include("incubators.urls")),
    path("subsidies/", include("subsidies.urls")),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]
