from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubsidiesConfig(AppConfig):
    name = "subsidies"
    verbose_name = _("Subsidies and rewards")

    def ready(self) -> None:
        # The workflows register themselves: every process sees the whole registry.
        from subsidies.workflows import claims  # noqa: F401
