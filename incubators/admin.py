"""Staff admin for carriers. Every save, inline row and action goes through services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import admin, messages
from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import Count, Exists, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from import_export.admin import ImportExportMixin

from common.admin import AuditedInlineMixin, AuditedModelAdmin, OnDayFilter, year_filter
from enterprises.admin_dossier import DossierLinkMixin
from enterprises.admin_import import LedgerImportAdminMixin
from enterprises.models import HighTechCertificate, TechFirmRegistration
from incubators import services
from incubators.models import (
    Activity,
    CompetitionEntry,
    Incubator,
    IncubatorSite,
    Indicator,
    Level,
    ReadinessThreshold,
    Recognition,
    Tenancy,
    today,
)
from incubators.resources import IncubatorResource, TenancyResource


class LevelTodayFilter(admin.SimpleListFilter):
    title = _("level held today")
    parameter_name = "level_today"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(str(level.value), level.label) for level in Level] + [
            ("none", _("Not recognised"))
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == "none":
            return queryset.filter(level_on__isnull=True)
        if value and value.isdigit():
            return queryset.filter(level_on=int(value))
        return queryset


class ResidentTodayFilter(admin.SimpleListFilter):
    title = _("resident today")
    parameter_name = "resident_today"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        resident = Tenancy.objects.resident_on(today()).values("pk")
        if self.value() == "yes":
            return queryset.filter(pk__in=resident)
        if self.value() == "no":
            return queryset.exclude(pk__in=resident)
        return queryset


# --- On a given day: the links of the monthly figures (?<parameter>=YYYY-MM-DD) ----------


class CountedOnDayFilter(OnDayFilter):
    title = _("recognised carrier on day")
    parameter_name = "counted_on_day"

    def filter_on(self, queryset: QuerySet, day: dt.date) -> QuerySet:
        return queryset.filter(pk__in=Incubator.objects.counted_on(day).values("pk"))


class LevelOnDayFilter(admin.SimpleListFilter):
    """The highest level held on a day, ?level_on_day=YYYY-MM-DD:<district|municipal|national>."""

    title = _("level held on day")
    parameter_name = "level_on_day"

    def parsed(self) -> tuple[dt.date, Level] | None:
        day, _sep, key = (self.value() or "").partition(":")
        levels = {level.key: level for level in Level}
        try:
            return dt.date.fromisoformat(day), levels[key]
        except (ValueError, KeyError):
            return None

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        parsed = self.parsed()
        day = parsed[0] if parsed else today()
        return [(f"{day.isoformat()}:{level.key}", f"{level.label} {day}") for level in Level]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        parsed = self.parsed()
        if parsed is None:
            return queryset
        day, level = parsed
        held = Incubator.objects.holding_level_on(day, level.value).values("pk")
        return queryset.filter(pk__in=held)


class ResidentOnDayFilter(OnDayFilter):
    title = _("resident on day")
    parameter_name = "resident_on_day"

    def filter_on(self, queryset: QuerySet, day: dt.date) -> QuerySet:
        return queryset.filter(pk__in=Tenancy.objects.resident_on(day).values("pk"))


class TenantRegisteredOnDayFilter(OnDayFilter):
    title = _("tenant is a registered tech firm on day")
    parameter_name = "registered_on_day"

    def filter_on(self, queryset: QuerySet, day: dt.date) -> QuerySet:
        registered = TechFirmRegistration.objects.registered_on(day)
        return queryset.filter(Exists(registered.filter(enterprise=OuterRef("enterprise_id"))))


class TenantHighTechOnDayFilter(OnDayFilter):
    title = _("tenant is a high-tech enterprise on day")
    parameter_name = "high_tech_on_day"

    def filter_on(self, queryset: QuerySet, day: dt.date) -> QuerySet:
        valid = HighTechCertificate.objects.valid_on(day)
        return queryset.filter(Exists(valid.filter(enterprise=OuterRef("enterprise_id"))))


class IncubatorSiteInline(AuditedInlineMixin, admin.TabularInline):
    model = IncubatorSite
    fields = ("name", "address", "area")
    show_change_link = False


class RecognitionInline(AuditedInlineMixin, admin.TabularInline):
    model = Recognition
    fields = ("level", "recognized_on", "document_number", "revoked_on")
    show_change_link = False


class TenancyInline(AuditedInlineMixin, admin.TabularInline):
    """The carrier's tenants, read-only here: a carrier may have hundreds, and each one is
    changed on its own page (the change link), where the move-out actions are."""

    model = Tenancy
    fields = ("enterprise", "site", "area", "moved_in_on", "moved_out_on", "graduated")
    readonly_fields = fields
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .select_related("enterprise", "incubator", "site__incubator")
        )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# The service that saves each kind of inline row (each locks the carrier and validates).
_INLINE_SAVERS = {
    IncubatorSite: lambda obj, user: services.site_save(site=obj, acting_user=user),
    Recognition: lambda obj, user: services.recognition_save(recognition=obj, acting_user=user),
    Tenancy: lambda obj, user: services.tenancy_save(tenancy=obj, acting_user=user),
    CompetitionEntry: lambda obj, user: services.competition_entry_save(
        entry=obj, acting_user=user
    ),
}


class CarrierModelAdmin(AuditedModelAdmin):
    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        for instance in formset.save(commit=False):
            _INLINE_SAVERS[type(instance)](instance, request.user)
        formset.save_m2m()


@admin.register(Incubator)
class IncubatorAdmin(LedgerImportAdminMixin, ImportExportMixin, CarrierModelAdmin):
    resource_classes = [IncubatorResource]
    list_display = (
        "name",
        "kind",
        "level_today",
        "street",
        "area",
        "tenants_today",
        "desk_link",
    )
    list_select_related = ("street",)
    list_filter = ("kind", LevelTodayFilter, "street", CountedOnDayFilter, LevelOnDayFilter)
    search_fields = ("name", "operator__name", "=operator__uscc")
    autocomplete_fields = ("operator", "street")
    inlines = (IncubatorSiteInline, RecognitionInline, TenancyInline)
    fields = ("name", "kind", "operator", "street", "address", "area", "workstations", "opened_on")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        day = today()
        tenants = (
            Tenancy.objects.resident_on(day)
            .filter(incubator=OuterRef("pk"))
            .order_by()
            .values("incubator")
            .annotate(count=Count("enterprise", distinct=True))
            .values("count")
        )
        return (
            super()
            .get_queryset(request)
            .with_level_on(day)
            .annotate(
                tenants_on=Coalesce(Subquery(tenants, output_field=IntegerField()), 0),
            )
        )

    @admin.display(description=_("level held today"), ordering="level_on")
    def level_today(self, obj: Incubator) -> str:
        level = obj.level_on  # type: ignore[attr-defined]
        return Level(level).label if level else "—"

    @admin.display(description=_("tenants today"), ordering="tenants_on")
    def tenants_today(self, obj: Incubator) -> int:
        return obj.tenants_on  # type: ignore[attr-defined]

    @admin.display(description=_("indicators and readiness"))
    def desk_link(self, obj: Incubator) -> str:
        url = reverse("incubators:dashboard", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Show indicators"))

    def save_model(self, request: HttpRequest, obj: Incubator, form: Any, change: bool) -> None:
        services.incubator_save(incubator=obj, acting_user=request.user)


@admin.register(Recognition)
class RecognitionAdmin(CarrierModelAdmin):
    list_display = ("incubator", "level", "recognized_on", "document_number", "revoked_on")
    list_select_related = ("incubator",)
    list_filter = ("level", "incubator__kind")
    search_fields = ("incubator__name", "document_number")
    autocomplete_fields = ("incubator",)
    date_hierarchy = "recognized_on"
    actions = ("revoke_today",)

    def save_model(self, request: HttpRequest, obj: Recognition, form: Any, change: bool) -> None:
        services.recognition_save(recognition=obj, acting_user=request.user)

    @admin.action(
        description=_("Revoke the selected recognitions from today"), permissions=["change"]
    )
    def revoke_today(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = 0
        for recognition in queryset.filter(revoked_on__isnull=True):
            services.recognition_revoke(
                recognition=recognition, revoked_on=today(), acting_user=request.user
            )
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d recognition revoked.", "%(count)d recognitions revoked.", count)
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(Tenancy)
class TenancyAdmin(DossierLinkMixin, LedgerImportAdminMixin, ImportExportMixin, CarrierModelAdmin):
    resource_classes = [TenancyResource]
    list_display = (
        "enterprise",
        "incubator",
        "area",
        "moved_in_on",
        "moved_out_on",
        "graduated",
    )
    list_select_related = ("enterprise", "incubator")
    list_filter = (
        ResidentTodayFilter,
        "graduated",
        "incubator__kind",
        ResidentOnDayFilter,
        TenantRegisteredOnDayFilter,
        TenantHighTechOnDayFilter,
        # 200,000 tenancies: a year filter, not a date hierarchy (a DISTINCT over every row)
        year_filter("moved_in_on", _("year moved in")),
    )
    search_fields = ("enterprise__name", "=enterprise__uscc", "incubator__name")
    autocomplete_fields = ("incubator", "enterprise")
    actions = ("move_out_today", "graduate_today")

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "site":
            # a site's label names its carrier: one query for all choices, not one each
            kwargs["queryset"] = IncubatorSite.objects.select_related("incubator")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request: HttpRequest, obj: Tenancy, form: Any, change: bool) -> None:
        services.tenancy_save(tenancy=obj, acting_user=request.user)

    def _move_out(self, request: HttpRequest, queryset: QuerySet, *, graduated: bool) -> None:
        count = 0
        for tenancy in queryset.filter(moved_out_on__isnull=True):
            services.tenancy_move_out(
                tenancy=tenancy, moved_out_on=today(), graduated=graduated, acting_user=request.user
            )
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d tenancy ended.", "%(count)d tenancies ended.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(
        description=_("Record that the selected tenants moved out today"),
        permissions=["change"],
    )
    def move_out_today(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._move_out(request, queryset, graduated=False)

    @admin.action(
        description=_("Record that the selected tenants graduated today"),
        permissions=["change"],
    )
    def graduate_today(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._move_out(request, queryset, graduated=True)


class CompetitionEntryInline(AuditedInlineMixin, admin.TabularInline):
    model = CompetitionEntry
    fields = ("enterprise", "finalist", "award", "rank")
    autocomplete_fields = ("enterprise",)
    show_change_link = False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("enterprise")


@admin.register(Activity)
class ActivityAdmin(CarrierModelAdmin):
    list_display = ("held_on", "title", "kind", "organiser_display", "participants")
    list_select_related = ("organiser",)
    # A year filter in place of a date hierarchy, whose year list is a DISTINCT over every
    # activity found (and its span a second pass over them).
    list_filter = ("kind", "organiser__kind", year_filter("held_on", _("year held")))
    search_fields = ("title", "organiser__name")
    autocomplete_fields = ("organiser",)
    inlines = (CompetitionEntryInline,)
    fields = ("kind", "title", "held_on", "organiser", "participants", "description")

    @admin.display(description=_("organiser"), ordering="organiser__name")
    def organiser_display(self, obj: Activity) -> str:
        return obj.organiser_name

    def save_model(self, request: HttpRequest, obj: Activity, form: Any, change: bool) -> None:
        if not change:
            obj.recorded_by = request.user
        services.activity_save(activity=obj, acting_user=request.user)


@admin.register(ReadinessThreshold)
class ReadinessThresholdAdmin(AuditedModelAdmin):
    list_display = ("kind", "level", "indicator", "minimum", "alternative_display", "source")
    list_editable = ("minimum",)
    list_filter = ("kind", "level")

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReadinessThreshold]:
        # The indicators of each row's alternative group, in the page's query: the group's
        # name is a code staff chose ("space"), its members say what it means.
        group = (
            ReadinessThreshold.objects.filter(
                kind=OuterRef("kind"), level=OuterRef("level"), alternative=OuterRef("alternative")
            )
            .exclude(alternative="")
            .order_by()
            .values("alternative")
            .annotate(indicators=ArrayAgg("indicator", order_by="indicator"))
            .values("indicators")
        )
        return super().get_queryset(request).annotate(alternative_indicators=Subquery(group))

    @admin.display(
        description=ReadinessThreshold._meta.get_field("alternative").verbose_name,
        ordering="alternative",
    )
    def alternative_display(self, obj: ReadinessThreshold) -> str:
        """ "面积（平方米）或工位数": the group's indicators by their labels, not its code."""
        codes = getattr(obj, "alternative_indicators", None) or []
        if not codes:
            return "—"
        labels = dict(Indicator.choices)
        return str(_(" or ")).join(str(labels.get(code, code)) for code in codes)

    def save_model(
        self, request: HttpRequest, obj: ReadinessThreshold, form: Any, change: bool
    ) -> None:
        services.readiness_threshold_save(threshold=obj, acting_user=request.user)
