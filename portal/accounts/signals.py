"""The security log: sign-ins, failed sign-ins, sign-outs and every change of someone's rights.

The receivers only record (through `services.security_event_record`); they decide nothing.
Rights are watched at the model level, so that the admin, the services and the shell all
leave a row: a user's groups and own permissions, a group's permissions, and the is_active,
is_staff and is_superuser flags. Who acted is the user a service names on the row it saves
(`_history_user`, which the audit trail reads too) or else the user of the current request
(django-simple-history's middleware keeps it).
"""

from typing import Any

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _
from simple_history.models import HistoricalRecords

from portal.accounts.middleware import touch_bureau_session
from portal.accounts.models import SecurityEvent, User
from portal.accounts.services import security_event_record

Kind = SecurityEvent.Kind
FLAGS = ("is_active", "is_staff", "is_superuser")


def _request() -> HttpRequest | None:
    return getattr(HistoricalRecords.context, "request", None)


def _ip(request: HttpRequest | None) -> str | None:
    return get_client_ip_address(request) if request is not None else None


def _acting_user(instance: Any = None) -> Any:
    acting = getattr(instance, "_history_user", None)
    if acting is None:
        acting = getattr(_request(), "user", None)
    return acting


def _record_change(*, user: User | None, detail: str, instance: Any = None) -> None:
    security_event_record(
        kind=Kind.PERMISSIONS_CHANGED,
        user=user,
        acting_user=_acting_user(instance),
        ip_address=_ip(_request()),
        detail=detail,
    )


# --- signing in and out ---------------------------------------------------------------------


@receiver(user_logged_in, dispatch_uid="security_log_signed_in")
def _signed_in(sender: Any, request: HttpRequest, user: User, **kwargs: Any) -> None:
    security_event_record(kind=Kind.SIGNED_IN, user=user, acting_user=user, ip_address=_ip(request))
    # A bureau session starts with the idle expiry, not the default two weeks.
    touch_bureau_session(request, user)


@receiver(user_login_failed, dispatch_uid="security_log_sign_in_failed")
def _sign_in_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    username = str(credentials.get(User.USERNAME_FIELD) or "")
    detail = ""
    if getattr(request, "axes_locked_out", False):
        with translation.override(settings.LANGUAGE_CODE):
            detail = _("Refused while locked after repeated failures.")
    security_event_record(
        kind=Kind.SIGN_IN_FAILED,
        user=User.objects.filter(username=username).first() if username else None,
        username=username,
        ip_address=_ip(request),
        detail=detail,
    )


@receiver(user_logged_out, dispatch_uid="security_log_signed_out")
def _signed_out(sender: Any, request: HttpRequest, user: User | None, **kwargs: Any) -> None:
    if user is not None:
        security_event_record(
            kind=Kind.SIGNED_OUT, user=user, acting_user=user, ip_address=_ip(request)
        )


# --- groups and permissions -----------------------------------------------------------------


def _names(model: type, pks: Any) -> str:
    if model is Group:
        names = Group.objects.filter(pk__in=pks).order_by("name").values_list("name", flat=True)
    else:
        names = [
            f"{app_label}.{codename}"
            for app_label, codename in Permission.objects.filter(pk__in=pks)
            .order_by("content_type__app_label", "codename")
            .values_list("content_type__app_label", "codename")
        ]
    return ", ".join(names)


def _user_detail(model: type, added: bool, names: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        if model is Group:
            text = _("Added to groups: %(names)s") if added else _("Removed from groups: %(names)s")
        else:
            text = (
                _("Permissions granted: %(names)s")
                if added
                else _("Permissions withdrawn: %(names)s")
            )
        return text % {"names": names}


def _group_detail(group: Group, added: bool, names: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        text = (
            _("Group “%(group)s” gained permissions: %(names)s")
            if added
            else _("Group “%(group)s” lost permissions: %(names)s")
        )
        return text % {"group": group.name, "names": names}


def _changed_pks(instance: Any, action: str, pk_set: Any, current: Any) -> tuple[bool, Any]:
    """(added?, pks) for a post_ action; a clear remembers what it removes beforehand."""
    if action == "pre_clear":
        instance._security_cleared = list(current.values_list("pk", flat=True))
        return False, None
    if action == "post_clear":
        return False, instance.__dict__.pop("_security_cleared", None)
    if action in ("post_add", "post_remove"):
        return action == "post_add", pk_set
    return False, None


def _user_rights_changed(
    instance: Any, action: str, reverse: bool, model: type, pk_set: Any, field: str
) -> None:
    if not reverse:
        # instance is the user, pk_set the groups or permissions
        target = Group if field == "groups" else Permission
        added, pks = _changed_pks(instance, action, pk_set, getattr(instance, field))
        if pks:
            _record_change(
                user=instance,
                detail=_user_detail(target, added, _names(target, pks)),
                instance=instance,
            )
        return
    # instance is a group or permission, pk_set the users
    added, pks = _changed_pks(instance, action, pk_set, instance.user_set)
    if not pks:
        return
    name = _names(type(instance), [instance.pk])
    for user in User.objects.filter(pk__in=pks):
        _record_change(user=user, detail=_user_detail(type(instance), added, name))


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="security_log_user_groups")
def _user_groups_changed(
    sender: Any, instance: Any, action: str, reverse: bool, model: type, pk_set: Any, **kwargs: Any
) -> None:
    _user_rights_changed(instance, action, reverse, model, pk_set, "groups")


@receiver(
    m2m_changed,
    sender=User.user_permissions.through,
    dispatch_uid="security_log_user_permissions",
)
def _user_permissions_changed(
    sender: Any, instance: Any, action: str, reverse: bool, model: type, pk_set: Any, **kwargs: Any
) -> None:
    _user_rights_changed(instance, action, reverse, model, pk_set, "user_permissions")


@receiver(m2m_changed, sender=Group.permissions.through, dispatch_uid="security_log_group_perms")
def _group_permissions_changed(
    sender: Any, instance: Any, action: str, reverse: bool, model: type, pk_set: Any, **kwargs: Any
) -> None:
    if not reverse:
        # instance is the group, pk_set the permissions
        added, pks = _changed_pks(instance, action, pk_set, instance.permissions)
        if pks:
            _record_change(
                user=None, detail=_group_detail(instance, added, _names(Permission, pks))
            )
        return
    # instance is a permission, pk_set the groups
    added, pks = _changed_pks(instance, action, pk_set, instance.group_set)
    if not pks:
        return
    name = _names(Permission, [instance.pk])
    for group in Group.objects.filter(pk__in=pks):
        _record_change(user=None, detail=_group_detail(group, added, name))


# --- the flags ------------------------------------------------------------------------------


@receiver(pre_save, sender=User, dispatch_uid="security_log_flags_before")
def _remember_flags(
    sender: Any, instance: User, raw: bool, update_fields: Any = None, **kwargs: Any
) -> None:
    if raw or instance._state.adding:
        return
    if update_fields is not None and not set(update_fields) & set(FLAGS):
        return  # such as the last_login of every sign-in
    instance._security_flags = User.objects.filter(pk=instance.pk).values(*FLAGS).first()  # type: ignore[attr-defined]


@receiver(post_save, sender=User, dispatch_uid="security_log_flags_after")
def _record_flags(sender: Any, instance: User, created: bool, raw: bool, **kwargs: Any) -> None:
    if raw:
        return
    if created:
        # A new account counts only when it starts with bureau rights.
        before: dict[str, bool] | None = {
            "is_active": instance.is_active,
            "is_staff": False,
            "is_superuser": False,
        }
    else:
        before = instance.__dict__.pop("_security_flags", None)
    if not before:
        return
    changes = []
    with translation.override(settings.LANGUAGE_CODE):
        for flag in FLAGS:
            old, new = before[flag], getattr(instance, flag)
            if old != new:
                changes.append(
                    _("%(field)s: %(old)s → %(new)s")
                    % {
                        "field": User._meta.get_field(flag).verbose_name,
                        "old": _("Yes") if old else _("No"),
                        "new": _("Yes") if new else _("No"),
                    }
                )
    if changes:
        _record_change(user=instance, detail="; ".join(changes), instance=instance)
