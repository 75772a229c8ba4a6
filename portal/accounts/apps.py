from collections.abc import Callable
from typing import Any

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "portal.accounts"
    label = "accounts"
    verbose_name = _("Accounts and roles")

    def ready(self) -> None:
        # The security log's receivers (sign-ins and changes of rights).
        from portal.accounts import signals  # noqa: F401

        _name_relations()


def _name_relations() -> None:
    """Django names the tables behind a user's groups and permissions "User-group
    relationship" in English at import; the admin's deletion summary lists them. Named
    here in the user's language, with rows that read as what they link."""
    from django.contrib.auth.models import Group

    from portal.accounts.models import User
    from portal.accounts.permission_labels import permission_label

    relations = (
        (User.groups.through, _("user's role"), _("users' roles"), "user", "group"),
        (
            User.user_permissions.through,
            _("user's permission"),
            _("users' permissions"),
            "user",
            "permission",
        ),
        (
            Group.permissions.through,
            _("role's permission"),
            _("roles' permissions"),
            "group",
            "permission",
        ),
    )
    for through, singular, plural, left, right in relations:
        through._meta.verbose_name = singular
        through._meta.verbose_name_plural = plural
        shown = permission_label if right == "permission" else str
        through.__str__ = _relation_str(left, right, shown)  # type: ignore[method-assign]


def _relation_str(left: str, right: str, shown: Callable[[Any], str]) -> Callable[[Any], str]:
    """A relation row as the two things it links: "周婷 · 局工作人员"; a permission by its
    translated label (its own str is the English name it was created with)."""

    def label(row: Any) -> str:
        return f"{getattr(row, left)} · {shown(getattr(row, right))}"

    return label
