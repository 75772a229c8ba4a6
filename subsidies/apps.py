from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubsidiesConfig(AppConfig):
    name = "subsidies"
    verbose_name = _("Subsidies and rewards")

    def ready(self) -> None:
        # The subsidies workflows join the registry in every process (DESIGN §3a).
        from subsidies.services import totals
        from subsidies.workflows import claims, recognition  # noqa: F401

        # What each policy version has committed and paid, kept as its claims change.
        totals.connect()
