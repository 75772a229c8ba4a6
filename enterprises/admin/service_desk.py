"""Staff admin of the service desk. Saves and transitions go through the services.

Visits and requests import and export their official ledgers (enterprises.resources) with
the preview of the ledger engine.

A request's and a recommendation's change page offers as buttons only the steps this user
may make from the current state (`common.admin.WorkflowStepsMixin` over the tables of
`enterprises.workflows`); each opens the step's form and calls its service, whose refusal is
shown at the field with nothing saved. Requests also have their service-desk page.
"""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportMixin

from common.admin import (
    AdminStep,
    AuditedModelAdmin,
    WorkflowStepsMixin,
    form_values,
    money_display,
    related_count,
    today,
)
from common.audit import save_with_audit
from common.lib.money import wan_to_yuan
from enterprises import services
from enterprises.admin_dossier import DossierLinkMixin
from enterprises.admin_import import LedgerImportAdminMixin
from enterprises.forms import (
    DateInput,
    ServiceRequestCloseForm,
    ServiceRequestForwardForm,
    ServiceRequestResolveForm,
)
from enterprises.models import (
    Department,
    ProjectRecommendation,
    ProjectRecommendationStatusChange,
    RequestCategory,
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


@admin.register(RequestCategory)
class RequestCategoryAdmin(AuditedModelAdmin):
    """The bureau's request categories: words added here, or by a ledger import naming a
    category the list lacks, are offered in the firm's and the desk's forms while active."""

    list_display = ("name", "active", "sort_order", "request_count")
    list_editable = ("active", "sort_order")
    list_filter = ("active",)
    search_fields = ("name",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[RequestCategory]:
        return (
            super()
            .get_queryset(request)
            .annotate(requests_in=related_count(ServiceRequest, "category"))
        )

    @admin.display(description=_("requests"), ordering="requests_in")
    def request_count(self, obj: RequestCategory) -> int:
        return obj.requests_in  # type: ignore[attr-defined]

    def save_model(
        self, request: HttpRequest, obj: RequestCategory, form: Any, change: bool
    ) -> None:
        save_with_audit(obj, acting_user=request.user, reason="admin")


class VisitRequestInline(ReadOnlyInline):
    model = ServiceRequest
    fields = ("registered_on", "category", "description", "status", "due_on")
    readonly_fields = fields
    show_change_link = True


@admin.register(ServiceVisit)
class ServiceVisitAdmin(
    DossierLinkMixin, LedgerImportAdminMixin, ImportExportMixin, AuditedModelAdmin
):
    resource_classes = [ServiceVisitResource]
    list_display = ("visited_on", "enterprise", "visitors", "request_count")
    list_select_related = ("enterprise",)
    list_filter = ("visited_on",)
    # no date hierarchy: its year list is a DISTINCT over every row (the date filter stays)
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
        return (
            super()
            .get_queryset(request)
            .annotate(requests_collected=related_count(ServiceRequest, "visit"))
        )

    @admin.display(description=_("requests collected"), ordering="requests_collected")
    def request_count(self, obj: ServiceVisit) -> int:
        return obj.requests_collected  # type: ignore[attr-defined]

    def save_model(self, request: HttpRequest, obj: ServiceVisit, form: Any, change: bool) -> None:
        if change:
            save_with_audit(obj, acting_user=request.user, reason="admin")
            return
        saved = services.service_visit_record(acting_user=request.user, **form_values(form, obj))
        obj.pk = saved.pk


class SatisfactionFilter(admin.SimpleListFilter):
    """The firm's rating, 1 to 5 or not rated: the choices are known, so the list does not
    read every request for the distinct ratings there are."""

    title = _("satisfaction")
    parameter_name = "satisfaction"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(str(n), str(n)) for n in range(5, 0, -1)] + [("none", _("not rated"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == "none":
            return queryset.filter(satisfaction__isnull=True)
        if value in {str(n) for n in range(1, 6)}:
            return queryset.filter(satisfaction=int(value))
        return queryset


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


RequestStatus = ServiceRequest.Status


@admin.register(ServiceRequest)
class ServiceRequestAdmin(
    DossierLinkMixin,
    WorkflowStepsMixin,
    LedgerImportAdminMixin,
    ImportExportMixin,
    AuditedModelAdmin,
):
    workflow_name = "service_request"
    admin_steps = {
        RequestStatus.FORWARDED: AdminStep(
            lambda obj, user, data: services.service_request_forward(
                service_request=obj, acting_user=user, **data
            ),
            form=ServiceRequestForwardForm,
            label=_("Forward to a department"),
        ),
        RequestStatus.RESOLVED: AdminStep(
            lambda obj, user, data: services.service_request_resolve(
                service_request=obj, acting_user=user, **data
            ),
            form=ServiceRequestResolveForm,
            label=_("Resolve"),
        ),
        RequestStatus.CLOSED: AdminStep(
            lambda obj, user, data: services.service_request_close(
                service_request=obj, acting_user=user, **data
            ),
            form=ServiceRequestCloseForm,
            label=_("Close without resolution"),
        ),
    }
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
    list_select_related = ("enterprise", "department", "handler", "category")
    list_filter = (
        OverdueFilter,
        "status",
        "handling",
        "category",
        "department",
        "registered_on",
        SatisfactionFilter,
    )
    # no date hierarchy: its year list is a DISTINCT over every row (the date filter stays)
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


class RecommendStepForm(forms.Form):
    recommended_on = forms.DateField(
        label=_("Recommendation date"), initial=today, widget=DateInput()
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea({"rows": 2}))


class FundStepForm(forms.Form):
    funding_amount = forms.DecimalField(
        label=_("Funding amount (10,000 yuan)"),
        required=False,
        min_value=0,
        max_digits=18,
        decimal_places=6,
    )
    decided_on = forms.DateField(label=_("Decision date"), initial=today, widget=DateInput())
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea({"rows": 2}))


class DeclineStepForm(forms.Form):
    decided_on = forms.DateField(label=_("Decision date"), initial=today, widget=DateInput())
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea({"rows": 2}))


def _fund(obj: ProjectRecommendation, user: Any, data: dict[str, Any]) -> Any:
    wan = data.get("funding_amount")
    return services.project_recommendation_fund(
        recommendation=obj,
        funding_amount=None if wan is None else wan_to_yuan(wan),
        decided_on=data["decided_on"],
        note=data["note"],
        acting_user=user,
    )


RecommendationStatus = ProjectRecommendation.Status


@admin.register(ProjectRecommendation)
class ProjectRecommendationAdmin(DossierLinkMixin, WorkflowStepsMixin, AuditedModelAdmin):
    workflow_name = "project_recommendation"
    admin_steps = {
        RecommendationStatus.RECOMMENDED: AdminStep(
            lambda obj, user, data: services.project_recommendation_recommend(
                recommendation=obj, acting_user=user, **data
            ),
            form=RecommendStepForm,
            label=_("Recommended to the programme"),
        ),
        RecommendationStatus.FUNDED: AdminStep(_fund, form=FundStepForm, label=_("Funded")),
        RecommendationStatus.NOT_FUNDED: AdminStep(
            lambda obj, user, data: services.project_recommendation_decline(
                recommendation=obj, acting_user=user, **data
            ),
            form=DeclineStepForm,
            label=_("Not funded"),
        ),
    }
    fields = ("enterprise", "programme", "level", "title", "year", "notes")
    list_display = (
        "title",
        "enterprise",
        "programme",
        "level",
        "year",
        "status",
        "recommended_on",
        "decided_on",
        "funding_amount_display",
    )
    list_select_related = ("enterprise",)
    list_filter = ("status", "level", "year")
    search_fields = ("title", "programme", "enterprise__name", "=enterprise__uscc")
    autocomplete_fields = ("enterprise",)
    inlines = (RecommendationStatusChangeInline,)
    workflow_fields = ("status", "recommended_on", "decided_on", "funding_amount_display")
    # The funding step takes 万元 (its form field says so); the page shows the same unit.
    funding_amount_display = money_display(
        ProjectRecommendation,
        "funding_amount",
        wan=True,
        description=_("Funding amount (10,000 yuan)"),
    )

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        details = (None, {"fields": self.fields})
        if obj is None:
            return (details,)
        return (details, (_("Workflow"), {"fields": self.workflow_fields}))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("enterprise", *self.workflow_fields) if obj is not None else ()

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
        # The form writes the details only; the workflow moves by its steps alone.
        current = ProjectRecommendation.objects.get(pk=obj.pk)
        changed = [name for name, value in details.items() if getattr(current, name) != value]
        if changed:
            for name in changed:
                setattr(current, name, details[name])
            save_with_audit(current, acting_user=request.user, reason="admin")
