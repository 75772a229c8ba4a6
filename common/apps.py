from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CommonConfig(AppConfig):
    name = "common"
    verbose_name = _("Common")

    def ready(self) -> None:
        from django.contrib.admin.templatetags import admin_list

        from common.queue import connect_count_invalidation

        admin_list._boolean_icon = boolean_icon  # type: ignore[attr-defined]
        connect_count_invalidation()


def boolean_icon(value: bool | None) -> str:
    """Django admin's yes/no icon with its alt text in the user's language (Django writes
    "True"/"False"/"None"). Django looks the function up on admin_list at each call (its
    utils import it inside the function), so replacing it there covers lists and read-only
    fields alike."""
    from django.templatetags.static import static
    from django.utils.html import format_html

    icon = {True: "yes", False: "no", None: "unknown"}[value]
    text = {True: _("Yes"), False: _("No"), None: _("Unknown")}[value]
    return format_html('<img src="{}" alt="{}">', static(f"admin/img/icon-{icon}.svg"), text)
