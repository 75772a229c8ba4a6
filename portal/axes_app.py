"""django-axes under a Chinese name in the admin (its AppConfig has no verbose name, so the
admin showed "Axes")."""

from axes.apps import AppConfig as AxesAppConfig
from django.utils.translation import gettext_lazy as _


class AxesConfig(AxesAppConfig):
    verbose_name = _("Sign-in security")
