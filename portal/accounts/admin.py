"""Staff admin for user accounts and the security log.

Link decisions go through portal.accounts.services. Who may change which account, and which
of its fields, is decided by the account rules of portal.accounts.roles: the forms here only
contain the fields the signed-in user may change, so a POST of any other field changes nothing.
"""

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import GroupAdmin as DjangoGroupAdmin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, UserChangeForm
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from common.admin import CountAheadMixin, ReadOnlyHistoryAdmin
from portal.accounts import roles, services
from portal.accounts.forms import RejectLinkForm
from portal.accounts.models import SecurityEvent, User
from portal.accounts.permission_labels import permission_label

# Staff who decide links see these but change only the organisation: a changed email would
# let them reset someone else's password.
PERSONAL_FIELDS = ("username", "first_name", "last_name", "email", "phone")


class PortalUserChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        # The organisation kind is read-only here; keep the enterprise in step with it so that
        # the database constraint never has to refuse the row.
        kind = self.instance.organisation_kind
        enterprise = cleaned.get("enterprise")
        if "enterprise" in self.fields:
            if kind == User.OrganisationKind.ENTERPRISE and enterprise is None:
                self.add_error("enterprise", _("An enterprise account needs its enterprise."))
            elif kind != User.OrganisationKind.ENTERPRISE and enterprise is not None:
                self.add_error(
                    "enterprise", _("Only an enterprise account can belong to an enterprise.")
                )
        self._clean_incubator(cleaned)
        self._clean_bank(cleaned)
        self._clean_audit_firm(cleaned)
        return cleaned

    def _clean_audit_firm(self, cleaned: dict[str, Any]) -> None:
        """Staff make a bureau-less, non-staff account an auditor by choosing its audit firm
        (the link is approved at once: staff decide it); an auditor keeps one."""
        if "audit_firm" not in self.fields:
            return
        kind = self.instance.organisation_kind
        firm = cleaned.get("audit_firm")
        message = _("Only an account of no other organisation can belong to an audit firm.")
        if kind == User.OrganisationKind.AUDIT_FIRM and firm is None:
            self.add_error("audit_firm", _("An auditor account needs its audit firm."))
        elif firm is not None and kind == User.OrganisationKind.NONE:
            if (
                cleaned.get("is_staff", self.instance.is_staff)
                or cleaned.get("enterprise") is not None
                or cleaned.get("incubator") is not None
                or cleaned.get("bank") is not None
            ):
                self.add_error("audit_firm", message)
            else:
                self.instance.organisation_kind = User.OrganisationKind.AUDIT_FIRM
                self.instance.link_status = User.LinkStatus.APPROVED
        elif firm is not None and kind != User.OrganisationKind.AUDIT_FIRM:
            self.add_error("audit_firm", message)

    def _clean_incubator(self, cleaned: dict[str, Any]) -> None:
        """Staff make a bureau-less, non-staff account a carrier operator by choosing its
        carrier (the link is approved at once: staff decide it); an operator keeps one."""
        if "incubator" not in self.fields:
            return
        kind = self.instance.organisation_kind
        incubator = cleaned.get("incubator")
        if kind == User.OrganisationKind.INCUBATOR and incubator is None:
            self.add_error("incubator", _("A carrier operator account needs its carrier."))
        elif incubator is not None and kind == User.OrganisationKind.NONE:
            if (
                cleaned.get("is_staff", self.instance.is_staff)
                or cleaned.get("enterprise") is not None
            ):
                self.add_error(
                    "incubator", _("A bureau or enterprise account cannot operate a carrier.")
                )
            else:
                self.instance.organisation_kind = User.OrganisationKind.INCUBATOR
                self.instance.link_status = User.LinkStatus.APPROVED
        elif incubator is not None and kind != User.OrganisationKind.INCUBATOR:
            self.add_error(
                "incubator", _("A bureau or enterprise account cannot operate a carrier.")
            )

    def _clean_bank(self, cleaned: dict[str, Any]) -> None:
        """A bank can be chosen only for a bureau-less, non-staff account (or an officer);
        the link itself is made by the user_bank_link service once the form is saved."""
        if "bank" not in self.fields or cleaned.get("bank") is None:
            return
        kind = self.instance.organisation_kind
        if (
            kind not in (User.OrganisationKind.NONE, User.OrganisationKind.BANK)
            or cleaned.get("is_staff", self.instance.is_staff)
            or cleaned.get("enterprise") is not None
            or cleaned.get("incubator") is not None
        ):
            self.add_error(
                "bank", _("Only an account of no other organisation can be a bank officer.")
            )


# --- permissions in the user's language -----------------------------------------------------


class PermissionLabelsMixin:
    """Lists permissions by their translated labels in the multiple-choice widgets."""

    def formfield_for_manytomany(
        self, db_field: Any, request: HttpRequest | None = None, **kwargs: Any
    ) -> Any:
        if db_field.name in ("permissions", "user_permissions"):
            queryset = kwargs.get("queryset", db_field.remote_field.model.objects)
            kwargs["queryset"] = queryset.select_related("content_type")
        field = super().formfield_for_manytomany(  # type: ignore[misc]
            db_field, request=request, **kwargs
        )
        if field is not None and db_field.name in ("permissions", "user_permissions"):
            field.label_from_instance = permission_label
        return field


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(PermissionLabelsMixin, DjangoGroupAdmin):
    """Django's group admin, with the permissions listed in the user's language."""


def _usable_password_warning() -> str:
    return format_html(
        '{}<ul id="id_unusable_warning" class="messagelist"><li class="warning">{}</li></ul>',
        gettext(
            "Whether the user will be able to authenticate using a password or not. "
            "If disabled, they may still be able to authenticate using other backends, "
            "such as Single Sign-On or LDAP."
        ),
        gettext("If disabled, the current password for this user will be lost."),
    )


class PortalAdminPasswordChangeForm(AdminPasswordChangeForm):
    """Django's form joins its help text to a warning at import, which fixes it in English;
    this one builds the same text in the user's language."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if "usable_password" in self.fields:
            self.fields["usable_password"].help_text = lazy(_usable_password_warning, str)()


@admin.register(User)
class UserAdmin(PermissionLabelsMixin, ReadOnlyHistoryAdmin, DjangoUserAdmin):
    form = PortalUserChangeForm
    change_password_form = PortalAdminPasswordChangeForm
    list_display = (
        "username",
        "email",
        "full_name",
        "organisation",
        "link_status",
        "is_staff",
        "is_active",
        "date_joined",
    )
    list_filter = ("link_status", "organisation_kind", "is_staff", "is_active", "groups")
    list_select_related = ("enterprise", "incubator", "bank", "audit_firm")
    search_fields = ("username", "email", "first_name", "last_name", "phone", "enterprise__name")
    ordering = ("-date_joined",)
    autocomplete_fields = ("enterprise", "incubator", "bank", "audit_firm")
    readonly_fields = (
        "organisation_kind",
        "link_status",
        "link_decided_by",
        "link_decided_at",
        "last_login",
        "date_joined",
    )
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "email", "phone")}),
        (
            _("Organisation"),
            {
                "fields": (
                    "organisation_kind",
                    "enterprise",
                    "incubator",
                    "bank",
                    "audit_firm",
                    "link_status",
                    "link_decided_by",
                    "link_decided_at",
                )
            },
        ),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    actions = ("approve_link", "reject_link")

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        allowed = super().has_change_permission(request, obj)
        if obj is None or not allowed:
            return allowed
        return roles.can_change_account(request.user, obj)

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        if obj is None or not allowed:
            return allowed
        return roles.can_change_account(request.user, obj)

    def get_fieldsets(self, request: HttpRequest, obj: User | None = None) -> Any:
        if obj is None:
            return super().get_fieldsets(request, obj)  # the add form: only the bureau admin
        hidden = set(roles.RIGHTS_FIELDS) - set(roles.rights_fields(request.user, obj))
        if not roles.can_set_password(request.user, obj):
            hidden.add("password")  # its link leads to a page they may not open
        fieldsets = []
        for name, options in self.fieldsets:
            fields = tuple(field for field in options["fields"] if field not in hidden)
            if fields:
                fieldsets.append((name, {**options, "fields": fields}))
        return fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None) -> Any:
        readonly = tuple(super().get_readonly_fields(request, obj))
        if obj is not None and not roles.can_manage_accounts(request.user):
            readonly += PERSONAL_FIELDS
        return readonly

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        """Only the bureau admin sets a password here (no old password asked); everyone
        changes their own on the password change page."""
        if not roles.can_set_password(request.user, self.get_object(request, unquote(id))):
            raise PermissionDenied
        return super().user_change_password(request, id, form_url)

    def save_model(self, request: HttpRequest, obj: User, form: Any, change: bool) -> None:
        staff_decided = (User.OrganisationKind.INCUBATOR, User.OrganisationKind.AUDIT_FIRM)
        if obj.organisation_kind in staff_decided and not obj.link_decided_at:
            # the form made this account a carrier operator: staff decided the link
            obj.link_decided_by = request.user  # type: ignore[assignment]
            obj.link_decided_at = timezone.now()
        if change and "bank" in form.changed_data:
            # The bank link goes through its service (kind, approval, role) once the rest of
            # the form, groups included, is saved with the stored link (save_related).
            obj._new_bank = obj.bank  # type: ignore[attr-defined]
            obj.bank = User.objects.get(pk=obj.pk).bank
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if hasattr(form.instance, "_new_bank"):
            services.user_bank_link(
                user=form.instance, bank=form.instance._new_bank, acting_user=request.user
            )

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return (
            super()
            .get_queryset(request)
            .select_related("enterprise", "incubator", "bank", "audit_firm", "link_decided_by")
        )

    @admin.display(description=_("full name"), ordering="last_name")
    def full_name(self, obj: User) -> str:
        return obj.get_full_name()

    @admin.display(description=_("organisation"), ordering="enterprise__name")
    def organisation(self, obj: User) -> str:
        return str(obj.organisation) if obj.organisation is not None else "—"

    @admin.action(description=_("Approve the organisation link"), permissions=["change"])
    def approve_link(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        done = 0
        for user in queryset:
            try:
                services.user_link_approve(user=user, acting_user=request.user)
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, "; ".join(_messages(exc)), messages.WARNING)
            else:
                done += 1
        if done:
            self.message_user(
                request,
                ngettext(
                    "Approved %(count)d account; the user was notified by email.",
                    "Approved %(count)d accounts; the users were notified by email.",
                    done,
                )
                % {"count": done},
                messages.SUCCESS,
            )

    @admin.action(description=_("Reject the organisation link"), permissions=["change"])
    def reject_link(self, request: HttpRequest, queryset: QuerySet[User]) -> HttpResponse | None:
        form = RejectLinkForm(request.POST if "reason" in request.POST else None)
        if form.is_valid():
            done = 0
            for user in queryset:
                try:
                    services.user_link_reject(
                        user=user, acting_user=request.user, reason=form.cleaned_data["reason"]
                    )
                except (ValidationError, PermissionDenied) as exc:
                    self.message_user(request, "; ".join(_messages(exc)), messages.WARNING)
                else:
                    done += 1
            if done:
                self.message_user(
                    request,
                    ngettext(
                        "Rejected %(count)d account; the user was notified by email.",
                        "Rejected %(count)d accounts; the users were notified by email.",
                        done,
                    )
                    % {"count": done},
                    messages.SUCCESS,
                )
            return None
        # First step (or a missing reason): ask for the reason on an intermediate page.
        return TemplateResponse(
            request,
            "accounts/admin/reject_link.html",
            {
                **self.admin_site.each_context(request),
                "title": _("Reject the organisation link"),
                "opts": self.model._meta,
                "form": form,
                "users": queryset,
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
                "select_across": request.POST.get("select_across", "0"),
            },
        )


@admin.register(SecurityEvent)
class SecurityEventAdmin(CountAheadMixin, admin.ModelAdmin):
    """The security log, read-only; only roles with its view permission (the bureau admin)."""

    list_display = ("created_at", "kind", "username", "acting_user", "ip_address", "detail")
    list_filter = ("kind",)
    list_select_related = ("acting_user",)
    search_fields = ("username", "ip_address", "detail")
    # The log only grows: no COUNT(*) of the whole table on every page (CountAheadMixin).
    show_full_result_count = False
    list_per_page = 100

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def _messages(exc: ValidationError | PermissionDenied) -> list[str]:
    if isinstance(exc, ValidationError):
        return exc.messages
    return [str(exc)]
