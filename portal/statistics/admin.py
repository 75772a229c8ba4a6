"""Staff admin for district figures, snapshots and report emails; writes go through services."""

import json
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from common.admin import DeliveryStateFilter, ReadOnlyHistoryAdmin, money_display
from portal.statistics import services
from portal.statistics.models import (
    DistrictStatistic,
    MonthlySummary,
    ReportDelivery,
    ReportSubscription,
)


@admin.register(DistrictStatistic)
class DistrictStatisticAdmin(ReadOnlyHistoryAdmin):
    list_display = (
        "year",
        "gdp_display",
        "rd_expenditure_display",
        "intensity",
        "city_intensity_pct",
        "note",
    )
    search_fields = ("=year", "note")
    gdp_display = money_display(DistrictStatistic, "gdp")
    rd_expenditure_display = money_display(DistrictStatistic, "rd_expenditure")

    @admin.display(description=_("R&D intensity (%)"))
    def intensity(self, obj: DistrictStatistic) -> str:
        return f"{obj.intensity_pct}"

    def save_model(
        self, request: HttpRequest, obj: DistrictStatistic, form: Any, change: bool
    ) -> None:
        services.district_statistic_save(statistic=obj, acting_user=request.user)


@admin.register(MonthlySummary)
class MonthlySummaryAdmin(ReadOnlyHistoryAdmin):
    list_display = ("period_label", "as_of", "computed_at", "computed_by")
    list_select_related = ("computed_by",)
    date_hierarchy = "period"
    fields = ("period", "as_of", "computed_at", "computed_by", "figures_pretty")
    readonly_fields = fields
    actions = ("recompute_selected",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Snapshots are computed (command, schedule or the action below), never typed in.
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("month"), ordering="period")
    def period_label(self, obj: MonthlySummary) -> str:
        return obj.period_label

    @admin.display(description=_("figures"))
    def figures_pretty(self, obj: MonthlySummary) -> str:
        return format_html("<pre>{}</pre>", json.dumps(obj.as_json(), ensure_ascii=False, indent=2))

    @admin.action(
        description=_("Recompute selected months (the replaced figures stay in the history)"),
        permissions=["change"],
    )
    def recompute_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        count = 0
        for summary in queryset:
            services.monthly_summary_compute(
                period=summary.month, force=True, acting_user=request.user
            )
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d month recomputed.", "%(count)d months recomputed.", count)
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(ReportSubscription)
class ReportSubscriptionAdmin(ReadOnlyHistoryAdmin):
    list_display = ("__str__", "user", "email", "language", "active", "created_at")
    list_select_related = ("user",)
    list_filter = ("active", "language")
    search_fields = ("email", "user__username", "user__email")
    autocomplete_fields = ("user",)
    fields = ("user", "email", "language", "active")

    def save_model(
        self, request: HttpRequest, obj: ReportSubscription, form: Any, change: bool
    ) -> None:
        services.report_subscription_save(subscription=obj, acting_user=request.user)


@admin.register(ReportDelivery)
class ReportDeliveryAdmin(ReadOnlyHistoryAdmin):
    list_display = (
        "summary",
        "recipient",
        "language",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
    )
    list_select_related = ("summary",)
    list_filter = (DeliveryStateFilter, "status", "summary__period")
    search_fields = ("recipient",)
    readonly_fields = (
        "summary",
        "subscription",
        "recipient",
        "language",
        "status",
        "attempts",
        "next_attempt_at",
        "claimed_at",
        "smtp_started_at",
        "sent_at",
        "last_error",
        "alerted_at",
        "created_at",
    )
    actions = ("release_selected",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(
        description=_(
            "Send selected deliveries again (after checking those that may have been sent)"
        ),
        permissions=["change"],
    )
    def release_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        released = 0
        for delivery in queryset:
            if services.report_delivery_release(delivery=delivery, acting_user=request.user):
                released += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d delivery queued for sending again.",
                "%(count)d deliveries queued for sending again.",
                released,
            )
            % {"count": released},
            messages.SUCCESS,
        )
