from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnterprisesConfig(AppConfig):
    name = "enterprises"
    verbose_name = _("Enterprise registry")

    def ready(self) -> None:
        # The service desk's workflows join the registry in every process (DESIGN §3a).
        from enterprises import workflows  # noqa: F401
