"""Staff admin of the service desk. Saves and transitions go through the services.

Visits and requests import and export their official ledgers (enterprises.resources) with
the preview of the ledger engine.

Request transitions are made on the service-desk pages (linked from each request); project
recommendations move through their workflow from their change form, where the chosen step
runs its service while the form is validated, so that a refusal shows at the field.
"""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin

from common.admin import AuditedModelAdmin, form_values, today
from common.audit import save_with_audit
from common.lib.money import wan_to_yuan
from enterprises import services
from enterprises.admin_import import LedgerImportAdminMixin
from enterprises.forms import DateInput
from enterprises.models import (
    Department,
    ProjectRecommendation,
    ProjectRecommendationStatusChange,
    ServiceRequest,
    ServiceRequestStatusChange,
    ServiceVisit,
)
from enterprises.resources import ServiceRequestResource, ServiceVisitResource


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Department)
class DepartmentAdmin(AuditedModelAdmin):
    list_display = ("name", "contact", "active", "sort_order")
    list_editable = ("active", "sort_order")
    list_filter = ("active",)
    search_fields = ("name",)

    def save_model(self, request: HttpRequest, obj: Department, form: Any, change: bool) -> None:
        save_with_audit(obj, acting_user=request.user, reason="admin")


class VisitRequestInline(ReadOnlyInline):
    model = ServiceRequest
    fields = ("registered_on", "category", "description", "status", "due_on")
    readonly_fields = fields
    show_change_link = True


@admin.register(ServiceVisit)
class ServiceVisitAdmin(LedgerImportAdminMixin, ImportExportMixin, AuditedModelAdmin):
    resource_classes = [ServiceVisitResource]
    list_display = ("visited_on", "enterprise", "visitors", "request_count")
    list_select_related = ("enterprise",)
    list_filter = ("visited_on",)
    date_hierarchy = "visited_on"
    search_fields = ("enterprise__name", "=enterprise__uscc", "visitors")
    autocomplete_fields = ("enterprise",)
    fields = ("enterprise", "visited_on", "visitors", "notes", "recorded_by", "add_request")
    readonly_fields = ("recorded_by", "add_request")
    inlines = (VisitRequestInline,)

    @admin.display(description=_("requests collected"))
    def add_request(self, obj: ServiceVisit) -> str:
        if obj.pk is None:
            return "—"
        query = urlencode(
            {
                "enterprise": obj.enterprise_id,
                "visit": obj.pk,
                "registered_on": obj.visited_on.isoformat(),
            }
        )
        url = reverse("admin:enterprises_servicerequest_add")
        return format_html(
            '<a href="{}?{}">{}</a>', url, query, _("Register a request collected at this visit")
        )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(requests_collected=Count("requests"))

    @admin.display(description=_("requests collected"), ordering="requests_collected")
    def request_count(self, obj: ServiceVisit) -> int:
        return obj.requests_collected  # type: ignore[attr-defined]

    def save_model(self, request: HttpRequest, obj: ServiceVisit, form: Any, change: bool) -> None:
        if change:
            save_with_audit(obj, acting_user=request.user, reason="admin")
            return
        saved = services.service_visit_record(acting_user=request.user, **form_values(form, obj))
        obj.pk = saved.pk


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("Overdue today"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(pk__in=ServiceRequest.objects.overdue_on(today()).values("pk"))
        return queryset


class StatusChangeInline(ReadOnlyInline):
    model = ServiceRequestStatusChange
    fields = ("created_at", "from_status", "to_status", "note", "acting_user")
    readonly_fields = fields


@admin.register(ServiceRequest)
class ServiceRequestAdmin(LedgerImportAdminMixin, ImportExportMixin, AuditedModelAdmin):
    resource_classes = [ServiceRequestResource]
    list_display = (
        "id",
        "enterprise",
        "registered_on",
        "category",
        "status",
        "handling",
        "department",
        "handler",
        "due_on",
        "overdue",
    )
    list_select_related = ("enterprise", "department", "handler")
    list_filter = (OverdueFilter, "status", "handling", "category", "department", "registered_on")
    date_hierarchy = "registered_on"
    search_fields = ("enterprise__name", "=enterprise__uscc", "description")
    autocomplete_fields = ("enterprise", "visit")
    inlines = (StatusChangeInline,)
    # Staff may correct these; the rest changes only through a transition on the desk.
    detail_fields = ("registered_on", "category", "description", "visit", "handler", "due_on")
    workflow_fields = (
        "status",
        "handling",
        "department",
        "resolved_on",
        "resolution_note",
        "closed_reason",
        "raised_by",
        "desk_link",
    )

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        if obj is None:
            return ("enterprise", *self.detail_fields)
        return ("enterprise", *self.detail_fields, *self.workflow_fields)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("enterprise", *self.workflow_fields) if obj is not None else ()

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "due_on" in form.base_fields:
            # Left empty, the service sets the usual due date.
            form.base_fields["due_on"].required = False
            form.base_fields["due_on"].help_text = _(
                "Empty: due %(days)d working days after the day of registration (official "
                "calendar)."
            ) % {"days": settings.SERVICE_REQUEST_DUE_WORKING_DAYS}
        if "handler" in form.base_fields:
            form.base_fields["handler"].queryset = get_user_model().objects.filter(
                is_staff=True, is_active=True
            )
        return form

    @admin.display(boolean=True, description=_("overdue"))
    def overdue(self, obj: ServiceRequest) -> bool:
        return obj.is_overdue_on(today())

    @admin.display(description=_("service desk"))
    def desk_link(self, obj: ServiceRequest) -> str:
        url = reverse("service_desk:request_detail", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Forward, reply, resolve or close"))

    def save_model(
        self, request: HttpRequest, obj: ServiceRequest, form: Any, change: bool
    ) -> None:
        values = form_values(form, obj)
        if change:
            values.pop("enterprise", None)
            services.service_request_update(service_request=obj, acting_user=request.user, **values)
            return
        saved = services.service_request_register(acting_user=request.user, **values)
        obj.pk = saved.pk


class RecommendationStatusChangeInline(ReadOnlyInline):
    model = ProjectRecommendationStatusChange
    fields = ("created_at", "from_status", "to_status", "note", "acting_user")
    readonly_fields = fields


class ProjectRecommendationForm(forms.ModelForm):
    """The details, plus the next workflow step: it runs its service when the form is
    validated, so that a refusal (such as funding without an amount) shows at the field."""

    STEPS = {
        "recommend": ProjectRecommendation.Status.RECOMMENDED,
        "fund": ProjectRecommendation.Status.FUNDED,
        "decline": ProjectRecommendation.Status.NOT_FUNDED,
    }

    step = forms.ChoiceField(
        label=_("Next step"),
        required=False,
        choices=[
            ("", "—"),
            ("recommend", _("Recommended to the programme")),
            ("fund", _("Funded")),
            ("decline", _("Not funded")),
        ],
    )
    step_date = forms.DateField(label=_("Date of the step"), required=False, widget=DateInput())
    funding_wan = forms.DecimalField(
        label=_("Funding amount (10,000 yuan)"),
        required=False,
        min_value=0,
        max_digits=18,
        decimal_places=6,
    )
    step_note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea({"rows": 2}))

    acting_user: Any = None

    class Meta:
        model = ProjectRecommendation
        fields = ("enterprise", "programme", "level", "title", "year", "notes")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        step = cleaned.get("step")
        if not step or self.instance.pk is None or self.errors:
            return cleaned
        day = cleaned.get("step_date") or today()
        note = cleaned.get("step_note") or ""
        recommendation = self.instance
        try:
            if step == "recommend":
                services.project_recommendation_recommend(
                    recommendation=recommendation,
                    recommended_on=day,
                    note=note,
                    acting_user=self.acting_user,
                )
            elif step == "fund":
                wan = cleaned.get("funding_wan")
                services.project_recommendation_fund(
                    recommendation=recommendation,
                    funding_amount=None if wan is None else wan_to_yuan(wan),
                    decided_on=day,
                    note=note,
                    acting_user=self.acting_user,
                )
            else:
                services.project_recommendation_decline(
                    recommendation=recommendation,
                    decided_on=day,
                    note=note,
                    acting_user=self.acting_user,
                )
        except ValidationError as exc:
            fields = {"recommended_on": "step_date", "decided_on": "step_date"}
            fields["funding_amount"] = "funding_wan"
            if hasattr(exc, "error_dict"):
                for name, errors in exc.error_dict.items():
                    self.add_error(fields.get(name, "step"), errors)
            else:
                self.add_error("step", exc)
        return cleaned


@admin.register(ProjectRecommendation)
class ProjectRecommendationAdmin(AuditedModelAdmin):
    form = ProjectRecommendationForm
    list_display = (
        "title",
        "enterprise",
        "programme",
        "level",
        "year",
        "status",
        "recommended_on",
        "decided_on",
        "funding_amount",
    )
    list_select_related = ("enterprise",)
    list_filter = ("status", "level", "year")
    search_fields = ("title", "programme", "enterprise__name", "=enterprise__uscc")
    autocomplete_fields = ("enterprise",)
    inlines = (RecommendationStatusChangeInline,)
    workflow_fields = ("status", "recommended_on", "decided_on", "funding_amount")
    step_fields = ("step", "step_date", "funding_wan", "step_note")

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        details = (None, {"fields": ("enterprise", "programme", "level", "title", "year", "notes")})
        if obj is None:
            return (details,)
        return (
            details,
            (_("Workflow"), {"fields": self.workflow_fields}),
            (_("Next step"), {"fields": self.step_fields}),
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("enterprise", *self.workflow_fields) if obj is not None else ()

    def get_form(self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.acting_user = request.user
        return form

    def save_model(
        self, request: HttpRequest, obj: ProjectRecommendation, form: Any, change: bool
    ) -> None:
        details = {
            k: form.cleaned_data[k] for k in ("programme", "level", "title", "year", "notes")
        }
        if not change:
            saved = services.project_recommendation_create(
                enterprise=form.cleaned_data["enterprise"], acting_user=request.user, **details
            )
            obj.pk = saved.pk
            return
        # A step taken in clean() already saved the workflow; keep it, write only details.
        current = ProjectRecommendation.objects.get(pk=obj.pk)
        changed = [name for name, value in details.items() if getattr(current, name) != value]
        if changed:
            for name in changed:
                setattr(current, name, details[name])
            save_with_audit(current, acting_user=request.user, reason="admin")
