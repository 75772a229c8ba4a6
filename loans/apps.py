from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LoansConfig(AppConfig):
    name = "loans"
    verbose_name = _("Knowledge-value credit loans")

    def ready(self) -> None:
        # The registry of workflows is complete in every process (web, worker, beat).
        from loans import workflows  # noqa: F401
