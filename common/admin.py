"""Admin base classes every app's admin builds on."""

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from common.audit import save_with_audit
from common.errors import put_on_form
from common.workflow import REGISTRY, Workflow


class ReadOnlyHistoryAdmin(SimpleHistoryAdmin):
    """History pages show what a record was; they never save it.

    django-simple-history's version page is a change form whose POST saves the old version
    over the record ("revert") for anyone who may view history. Every change goes through
    the services, so the version page answers GET only and offers no save button.
    """

    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def has_change_history_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method != "GET":
            return HttpResponseNotAllowed(["GET"])
        request._reading_history = True  # type: ignore[attr-defined]
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        """On a version page every field is shown as text, not as an input that looks
        editable."""
        readonly = super().get_readonly_fields(request, obj)
        if not getattr(request, "_reading_history", False):
            return readonly
        opts = self.model._meta
        return (*readonly, *(f.name for f in (*opts.fields, *opts.many_to_many) if f.editable))


def today() -> dt.date:
    return timezone.localdate()


class EstimatedCountPaginator(Paginator):
    """Uses PostgreSQL's row estimate for an unfiltered table instead of COUNT(*).

    A registry of 100,000 rows would otherwise pay a full count on every page load.
    """

    @cached_property
    def count(self) -> int:
        qs = self.object_list
        if (
            connection.vendor == "postgresql"
            and isinstance(qs, QuerySet)
            and not qs.query.where
            and not qs.query.distinct
        ):
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                    [qs.model._meta.db_table],
                )
                row = cursor.fetchone()
            if row and row[0] > 10000:
                return int(row[0])
        return super().count


def form_values(form: Any, obj: Any) -> dict[str, Any]:
    """The model field values a ModelAdmin form set on `obj`, to hand to a service."""
    concrete = {field.name for field in obj._meta.concrete_fields}
    return {name: getattr(obj, name) for name in form.cleaned_data if name in concrete}


class AuditedInlineMixin:
    """Inline rows are saved one by one through the audited save of the services module."""

    can_delete = False
    extra = 0
    show_change_link = True


class OnDayFilter(admin.SimpleListFilter):
    """A state on a given day, ?<parameter>=YYYY-MM-DD (the links of the monthly figures)."""

    def day(self) -> dt.date | None:
        try:
            return dt.date.fromisoformat(self.value() or "")
        except ValueError:
            return None

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        day = self.day()
        if day is not None:
            return [(day.isoformat(), day.isoformat())]
        return [(today().isoformat(), _("Today"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        day = self.day()
        return queryset if day is None else self.filter_on(queryset, day)

    def filter_on(self, queryset: QuerySet, day: dt.date) -> QuerySet:
        raise NotImplementedError


class AuditedModelAdmin(ReadOnlyHistoryAdmin):
    """Saves the object and its inline rows through common.audit.save_with_audit."""

    paginator = EstimatedCountPaginator
    show_full_result_count = False

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        for instance in formset.save(commit=False):
            save_with_audit(instance, acting_user=request.user, reason="admin inline")
        formset.save_m2m()


class StepForm(forms.Form):
    """A step with nothing to fill in but an optional note."""

    note = forms.CharField(
        label=_("Note"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


@dataclass(frozen=True)
class AdminStep:
    """How the admin makes one step: the form it asks for and the service it calls with
    `(obj, acting_user, cleaned_data)`."""

    service: Callable[[Any, Any, dict[str, Any]], Any]
    form: type[forms.Form] = StepForm
    label: Any = None


class WorkflowStepsMixin:
    """A record's change page offers as buttons only the steps this user may make from the
    record's current state (`workflow.steps_for`); each opens a page with the step's form
    and calls the process's service. The service decides; its refusal is shown at the
    field it concerns (`common.errors`), and nothing is saved."""

    workflow_name: str = ""
    admin_steps: dict[str, AdminStep] = {}
    change_form_template = "admin/common/change_form_steps.html"

    @property
    def workflow(self) -> Workflow:
        return REGISTRY[self.workflow_name]

    def get_urls(self) -> list[Any]:
        meta = self.model._meta  # type: ignore[attr-defined]
        own = [
            path(
                "<path:object_id>/step/<str:target>/",
                self.admin_site.admin_view(self.step_view),  # type: ignore[attr-defined]
                name=f"{meta.app_label}_{meta.model_name}_step",
            )
        ]
        return own + super().get_urls()  # type: ignore[misc]

    def offered_steps(self, request: HttpRequest, obj: Any) -> list[tuple[str, str]]:
        """(target, label) of the steps this user may make now and the admin knows how to."""
        workflow = self.workflow
        return [
            (target, str(self.admin_steps[target].label or workflow.state_label(target)))
            for target in workflow.steps_for(request.user, obj)  # type: ignore[arg-type]
            if target in self.admin_steps
        ]

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> Any:
        if obj is not None and obj.pk:
            meta = self.model._meta  # type: ignore[attr-defined]
            context["workflow_steps"] = [
                (
                    label,
                    reverse(
                        f"admin:{meta.app_label}_{meta.model_name}_step", args=[obj.pk, target]
                    ),
                )
                for target, label in self.offered_steps(request, obj)
            ]
        return super().render_change_form(request, context, add, change, form_url, obj)  # type: ignore[misc]

    def step_view(self, request: HttpRequest, object_id: str, target: str) -> HttpResponse:
        obj = self.get_object(request, object_id)  # type: ignore[attr-defined]
        if obj is None or not self.has_view_or_change_permission(request, obj):  # type: ignore[attr-defined]
            raise Http404(_("No such record."))
        step = self.admin_steps.get(target)
        if step is None or not self.workflow.may(request.user, obj, target):  # type: ignore[arg-type]
            raise PermissionDenied(_("You may not make this step on this record now."))
        meta = self.model._meta  # type: ignore[attr-defined]
        change_url = reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[obj.pk])
        form = step.form(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                step.service(obj, request.user, form.cleaned_data)
            except (ValidationError, PermissionDenied) as exc:
                put_on_form(form, exc)
            else:
                messages.success(
                    request,
                    _("%(title)s: %(step)s.")
                    % {
                        "title": self.workflow.title(obj),
                        "step": self.workflow.state_label(target),
                    },
                )
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),  # type: ignore[attr-defined]
            "opts": meta,
            "original": obj,
            "title": step.label or self.workflow.state_label(target),
            "subtitle": self.workflow.title(obj),
            "current_state": self.workflow.state_label(self.workflow.status_of(obj)),
            "form": form,
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/common/workflow_step.html", context)
