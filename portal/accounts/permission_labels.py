"""Permissions in the reader's language: Django stores a permission's name in English when it
creates it ("Can add enterprise"), so the admin's lists translate it here."""

from django.contrib.auth.models import Permission
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

# The names Django gives the permissions it creates ("Can add enterprise"), as msgids.
_BUILTIN_NAMES = {
    "add": _("Can add %(model)s"),
    "change": _("Can change %(model)s"),
    "delete": _("Can delete %(model)s"),
    "view": _("Can view %(model)s"),
}


def permission_label(permission: Permission) -> str:
    """A permission as the admin lists it: app | model | what it allows, translated.

    The stored name is the English text the permission was created with, so it is
    translated here: Django's own four by their action and the model's verbose name, the
    others (`sign_as_deputy_director`) by their name, which is the msgid of `Meta.permissions`.
    """
    content_type = permission.content_type
    model = content_type.model_class()
    if model is None:
        return f"{content_type} | {gettext(permission.name)}"
    verbose_name = _model_name(model)
    action, _sep, model_name = permission.codename.partition("_")
    if action in _BUILTIN_NAMES and model_name == content_type.model:
        name = _BUILTIN_NAMES[action] % {"model": verbose_name}
    else:
        name = gettext(permission.name)
    return f"{model._meta.app_config.verbose_name} | {verbose_name} | {name}"


def _model_name(model: type) -> str:
    """The model's verbose name in the user's language. django-simple-history names its
    history models "historical <name>" in English once, at import; those are named here."""
    instance_type = getattr(model, "instance_type", None)
    if instance_type is not None and model.__name__.startswith("Historical"):
        return _("history of %(model)s") % {"model": instance_type._meta.verbose_name}
    return str(model._meta.verbose_name)
