"""Staff admin for the enterprise registry. Every save and action goes through services."""

import datetime as dt
from typing import Any

from django.contrib import admin, messages
from django.db.models import OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from import_export.admin import ImportExportMixin

from common.admin import (
    AuditedInlineMixin,
    AuditedModelAdmin,
    OnDayFilter,
    RowExists,
    form_values,
    money_display,
    today,
)
from common.audit import save_with_audit
from enterprises import services
from enterprises.admin_dossier import DossierLinkMixin
from enterprises.admin_import import LedgerImportAdminMixin
from enterprises.models import (
    AnnualFigures,
    Enterprise,
    HighTechCertificate,
    Street,
    TechFirmRegistration,
)
from enterprises.resources import (
    AnnualFiguresResource,
    EnterpriseResource,
    HighTechCertificateResource,
    TechFirmRegistrationResource,
)

EXPIRY_WARNING_DAYS = 90


class RegisteredTodayFilter(admin.SimpleListFilter):
    title = _("registered tech firm today")
    parameter_name = "registered_today"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        registered = Enterprise.objects.registered_on(today()).values("pk")
        if self.value() == "yes":
            return queryset.filter(pk__in=registered)
        if self.value() == "no":
            return queryset.exclude(pk__in=registered)
        return queryset


class HighTechTodayFilter(admin.SimpleListFilter):
    title = _("valid high-tech certificate today")
    parameter_name = "high_tech_today"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        valid = Enterprise.objects.high_tech_on(today()).values("pk")
        if self.value() == "yes":
            return queryset.filter(pk__in=valid)
        if self.value() == "no":
            return queryset.exclude(pk__in=valid)
        return queryset


class RegisteredOnDayFilter(OnDayFilter):
    title = _("registered tech firm on day")
    parameter_name = "registered_on_day"

    def filter_on(self, queryset: QuerySet, day: dt.date) -> QuerySet:
        return queryset.filter(pk__in=Enterprise.objects.registered_on(day).values("pk"))


class HighTechOnDayFilter(OnDayFilter):
    title = _("high-tech enterprise on day")
    parameter_name = "high_tech_on_day"

    def filter_on(self, queryset: QuerySet, day: dt.date) -> QuerySet:
        return queryset.filter(pk__in=Enterprise.objects.high_tech_on(day).values("pk"))


class HighTechExpiringOnDayFilter(OnDayFilter):
    """High-tech on the day, with no valid certificate lasting beyond 90 days after it."""

    title = _("high-tech status ending within 90 days of day")
    parameter_name = "high_tech_expiring_on_day"

    def filter_on(self, queryset: QuerySet, day: dt.date) -> QuerySet:
        horizon = day + dt.timedelta(days=EXPIRY_WARNING_DAYS)
        valid = HighTechCertificate.objects.valid_on(day)
        lasting = valid.filter(expires_on__gt=horizon).filter(
            Q(revoked_on__isnull=True) | Q(revoked_on__gt=horizon)
        )
        return queryset.filter(pk__in=valid.values("enterprise")).exclude(
            pk__in=lasting.values("enterprise")
        )


class TechFirmRegistrationInline(AuditedInlineMixin, admin.TabularInline):
    model = TechFirmRegistration
    fields = ("number", "registered_on", "removed_on")


class HighTechCertificateInline(AuditedInlineMixin, admin.TabularInline):
    model = HighTechCertificate
    fields = ("number", "kind", "issued_on", "expires_on", "revoked_on")
    readonly_fields = ("expires_on",)


class AnnualFiguresInline(AuditedInlineMixin, admin.TabularInline):
    model = AnnualFigures
    fields = ("year", "revenue", "rd_expenditure", "employees", "rd_staff", "locked")
    readonly_fields = ("locked",)


@admin.register(Street)
class StreetAdmin(AuditedModelAdmin):
    list_display = ("name", "kind", "sort_order")
    list_editable = ("sort_order",)
    search_fields = ("name",)
    ordering = ("sort_order",)

    def save_model(self, request: HttpRequest, obj: Street, form: Any, change: bool) -> None:
        save_with_audit(obj, acting_user=request.user)


@admin.register(Enterprise)
class EnterpriseAdmin(
    DossierLinkMixin, LedgerImportAdminMixin, ImportExportMixin, AuditedModelAdmin
):
    dossier_path = ""
    resource_classes = [EnterpriseResource]
    list_display = (
        "name",
        "uscc",
        "street",
        "industry",
        "listing",
        "status",
        "registered_today",
        "high_tech_today",
    )
    list_select_related = ("street",)
    list_filter = (
        "status",
        "street",
        "industry",
        RegisteredTodayFilter,
        HighTechTodayFilter,
        "listing",
        RegisteredOnDayFilter,
        HighTechOnDayFilter,
        HighTechExpiringOnDayFilter,
    )
    search_fields = ("name", "=uscc", "uscc")
    inlines = (TechFirmRegistrationInline, HighTechCertificateInline, AnnualFiguresInline)
    actions = ("activate_selected",)
    fieldsets = (
        (None, {"fields": ("uscc", "uscc_override_reason", "name", "status")}),
        (
            _("Registry"),
            {
                "fields": (
                    "legal_representative",
                    "street",
                    "industry",
                    "founded_on",
                    "registered_capital",
                    "employees",
                    "rd_staff",
                    "listing",
                )
            },
        ),
        (_("Contact"), {"fields": ("contact_person", "contact_phone", "contact_email", "address")}),
        (_("Bank account"), {"fields": ("bank_name", "bank_account")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        day = today()
        return (
            super()
            .get_queryset(request)
            .annotate(  # per listed row, not a hash of every registration and certificate
                is_registered_today=RowExists(
                    TechFirmRegistration.objects.registered_on(day).filter(
                        enterprise=OuterRef("pk")
                    )
                ),
                is_high_tech_today=RowExists(
                    HighTechCertificate.objects.valid_on(day).filter(enterprise=OuterRef("pk"))
                ),
            )
        )

    @admin.display(boolean=True, description=_("registered today"), ordering="is_registered_today")
    def registered_today(self, obj: Enterprise) -> bool:
        return obj.is_registered_today  # type: ignore[attr-defined]

    @admin.display(boolean=True, description=_("high-tech today"), ordering="is_high_tech_today")
    def high_tech_today(self, obj: Enterprise) -> bool:
        return obj.is_high_tech_today  # type: ignore[attr-defined]

    def save_model(self, request: HttpRequest, obj: Enterprise, form: Any, change: bool) -> None:
        values = form_values(form, obj)
        if change:
            saved = services.enterprise_update(enterprise=obj, acting_user=request.user, **values)
        else:
            saved = services.enterprise_create(acting_user=request.user, **values)
        obj.pk = saved.pk

    @admin.action(
        description=_("Confirm selected pending enterprises in the registry"),
        permissions=["change"],
    )
    def activate_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        pending = queryset.filter(status=Enterprise.Status.PENDING)
        count = 0
        for enterprise in pending:
            services.enterprise_activate(enterprise=enterprise, acting_user=request.user)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d enterprise confirmed.", "%(count)d enterprises confirmed.", count)
            % {"count": count},
            messages.SUCCESS,
        )


class ExpiringSoonFilter(admin.SimpleListFilter):
    title = _("validity")
    parameter_name = "validity"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("valid", _("Valid today")),
            ("expiring", _("Expiring within 90 days")),
            ("invalid", _("Expired or revoked")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        day = today()
        valid = HighTechCertificate.objects.valid_on(day).values("pk")
        if self.value() == "valid":
            return queryset.filter(pk__in=valid)
        if self.value() == "expiring":
            return queryset.filter(
                pk__in=valid, expires_on__lte=day + dt.timedelta(days=EXPIRY_WARNING_DAYS)
            )
        if self.value() == "invalid":
            return queryset.exclude(pk__in=valid)
        return queryset


class EnterpriseChildAdmin(
    DossierLinkMixin, LedgerImportAdminMixin, ImportExportMixin, AuditedModelAdmin
):
    """Admin for rows that belong to one enterprise, each with its official list."""

    list_select_related = ("enterprise",)
    autocomplete_fields = ("enterprise",)
    search_fields = ("enterprise__name", "=enterprise__uscc")

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        save_with_audit(obj, acting_user=request.user, reason="admin")

    @admin.display(description=_("unified social credit code"), ordering="enterprise__uscc")
    def enterprise_uscc(self, obj: Any) -> str:
        return obj.enterprise.uscc


@admin.register(TechFirmRegistration)
class TechFirmRegistrationAdmin(EnterpriseChildAdmin):
    resource_classes = [TechFirmRegistrationResource]
    list_display = ("number", "enterprise", "enterprise_uscc", "registered_on", "removed_on")
    list_filter = ("registered_on", "removed_on")
    search_fields = ("=number", *EnterpriseChildAdmin.search_fields)
    # no date hierarchy: its year list is a DISTINCT over every row (the date filter stays)


@admin.register(HighTechCertificate)
class HighTechCertificateAdmin(EnterpriseChildAdmin):
    resource_classes = [HighTechCertificateResource]
    list_display = (
        "number",
        "enterprise",
        "enterprise_uscc",
        "kind",
        "issued_on",
        "expires_on",
        "revoked_on",
    )
    list_filter = (ExpiringSoonFilter, "kind", "issued_on")
    search_fields = ("=number", *EnterpriseChildAdmin.search_fields)
    readonly_fields = ("expires_on",)
    # no date hierarchy: its year list is a DISTINCT over every row (the date filter stays)


@admin.register(AnnualFigures)
class AnnualFiguresAdmin(EnterpriseChildAdmin):
    resource_classes = [AnnualFiguresResource]
    list_display = (
        "enterprise",
        "enterprise_uscc",
        "year",
        "revenue_display",
        "rd_expenditure_display",
        "employees",
        "rd_staff",
        "locked",
    )
    list_filter = ("year", "locked")
    revenue_display = money_display(AnnualFigures, "revenue")
    rd_expenditure_display = money_display(AnnualFigures, "rd_expenditure")
    readonly_fields = ("locked", "submitted_by")
    actions = ("lock_selected", "unlock_selected")

    def _set_locked(self, request: HttpRequest, queryset: QuerySet, *, locked: bool) -> int:
        count = 0
        for figures in queryset:
            services.annual_figures_set_locked(
                figures=figures, locked=locked, acting_user=request.user
            )
            count += 1
        return count

    @admin.action(
        description=_("Lock selected figures against edits by the enterprise"),
        permissions=["change"],
    )
    def lock_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = self._set_locked(request, queryset, locked=True)
        self.message_user(request, _("%(count)d records locked.") % {"count": count})

    @admin.action(description=_("Unlock selected figures"), permissions=["change"])
    def unlock_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = self._set_locked(request, queryset, locked=False)
        self.message_user(request, _("%(count)d records unlocked.") % {"count": count})
