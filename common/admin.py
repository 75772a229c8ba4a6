"""Admin base classes every app's admin builds on."""

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import lookup_spawns_duplicates
from django.contrib.admin.views.main import PAGE_VAR
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    Expression,
    F,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
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
from django.utils.formats import date_format
from django.utils.text import smart_split, unescape_string_literal
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import DeletedObject
from simple_history.template_utils import HistoricalRecordContextHelper, ObjDiffDisplay

from common.audit import save_with_audit
from common.calendar import calendar_day_delete, calendar_day_save
from common.errors import put_on_form
from common.lib.money import format_wan_grouped, format_yuan
from common.models import CalendarDay, Notification, OutboxStatus, QueueHandover
from common.outbox import outbox_release
from common.pagination import EstimatedCountPaginator, page_number
from common.queue import MANAGE_HANDOVERS, may_set_handover, queue_handover_save
from common.workflow import REGISTRY, Workflow


class _ReadableDiffDisplay(ObjDiffDisplay):
    """A long value shortened around its change, saying in the reader's language how much
    was left out (simple-history writes "[120 chars]")."""

    def shortened_str(self, prefix: str, num_skipped_chars: int, suffix: str) -> str:
        left_out = _("[%(count)d characters left out]") % {"count": num_skipped_chars}
        return f"{prefix}{left_out}{suffix}"


class ReadableHistoryHelper(HistoricalRecordContextHelper):
    """A change on the history page in words: a choice by its label ("已提交", not
    "submitted"), an empty value as "—" (simple-history prints None, and an empty foreign
    key as "Deleted 用户 (pk=None)"), and a field the admin names in `history_displays` as
    that function reads it (a JSON field by its labels, not its English keys)."""

    def __init__(
        self,
        model: Any,
        historical_record: Any,
        *,
        displays: dict[str, Callable[[Any], str]] | None = None,
    ) -> None:
        super().__init__(model, historical_record)
        self.displays = displays or {}

    def get_obj_diff_display(self) -> ObjDiffDisplay:
        return _ReadableDiffDisplay(max_length=self.max_displayed_delta_change_chars)

    def prepare_delta_change_value(self, change: Any, value: Any) -> Any:
        if isinstance(value, DeletedObject) and value.pk is None:
            return "—"
        if change.field in self.displays and value not in (None, ""):
            return self.displays[change.field](value) or "—"
        value = super().prepare_delta_change_value(change, value)
        if value is None or value == "":
            return "—"
        field = self.model._meta.get_field(change.field)
        choices = getattr(field, "flatchoices", None)
        if choices:
            return dict(choices).get(value, value)
        return value


class ReadOnlyHistoryAdmin(SimpleHistoryAdmin):
    """History pages show what a record was; they never save it.

    django-simple-history's version page is a change form whose POST saves the old version
    over the record ("revert") for anyone who may view history. Every change goes through
    the services, so the version page answers GET only and offers no save button.
    """

    # How the history page reads a field whose stored value is not for people (JSON).
    history_displays: dict[str, Callable[[Any], str]] = {}

    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        return True

    def get_historical_record_context_helper(
        self, request: HttpRequest, historical_record: Any
    ) -> HistoricalRecordContextHelper:
        return ReadableHistoryHelper(self.model, historical_record, displays=self.history_displays)

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


class CountAheadMixin:
    """The changelist's paginator told which page is shown (EstimatedCountPaginator counts
    from it a few pages ahead)."""

    paginator: type[Paginator] = EstimatedCountPaginator

    def get_paginator(
        self,
        request: HttpRequest,
        queryset: Any,
        per_page: int,
        orphans: int = 0,
        allow_empty_first_page: bool = True,
    ) -> Paginator:
        return self.paginator(  # type: ignore[call-arg]
            queryset,
            per_page,
            orphans,
            allow_empty_first_page,
            page=page_number(request.GET.get(PAGE_VAR)),
        )


class RelatedSearchMixin:
    """The changelist's search with every field across a relation searched in the related
    table alone: `enterprise__name` becomes `enterprise_id IN (ids of the firms whose name
    holds the term)`, the firm table read through its own (trigram) index, instead of an OR
    over a join that PostgreSQL can only answer by reading every row of the list.

    Same rows as Django's search: each term must match one of the fields (terms split and
    quoted as Django does, `^`/`=`/`@` prefixes kept). The related ids are fetched first (one
    query per relation and term) and passed as a list when there are at most ID_CAP of them;
    a term matching more (a word most firms share) is checked per row by an EXISTS on the
    related row's key, and page 1 is then found by walking the list's own order.
    """

    ID_CAP = 1000

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        search_fields = self.get_search_fields(request)  # type: ignore[attr-defined]
        if not (search_fields and search_term):
            return super().get_search_results(request, queryset, search_term)  # type: ignore[misc]
        lookups = [_search_lookup(str(field)) for field in search_fields]
        if not any(_hop(queryset.model, lookup) for lookup in lookups) and not any(
            _bigram_field(queryset.model, lookup) for lookup in lookups
        ):
            return super().get_search_results(request, queryset, search_term)  # type: ignore[misc]
        terms: list[Any] = []
        for bit in smart_split(search_term):
            if bit.startswith(('"', "'")) and bit[0] == bit[-1]:
                bit = unescape_string_literal(bit)
            terms.append(_term_q(queryset.model, lookups, bit, self.ID_CAP))
        queryset = queryset.filter(Q.create(terms))
        may_have_duplicates = any(
            lookup_spawns_duplicates(queryset.model._meta, lookup)
            for lookup in lookups
            if not _hop(queryset.model, lookup)
        )
        return queryset, may_have_duplicates


class RowExists(Exists):
    """EXISTS checked for each row as the list is walked (OFFSET 0 keeps PostgreSQL from
    hashing the whole related table first, which reads every firm, or every registration,
    to show 100 rows). For a column or a filter on a page of a big list."""

    template = "EXISTS(%(subquery)s OFFSET 0)"


# Text columns with a bigram column `<col>_bigrams` (portal_bigrams(UPPER(col)), generated
# by PostgreSQL, GIN-indexed; enterprises 0013, incubators 0006) that serves two-character
# terms, which a trigram index cannot.
BIGRAM_INDEXED = {"enterprises.Enterprise": {"name"}, "incubators.Activity": {"title"}}


# Columns that hold only some characters (a credit code: digits and capital letters, as
# Enterprise.clean enforces on every save): a term with any other character cannot match
# them, and is not looked for there (a two-character Chinese word would otherwise read every
# code, which no index serves).
SEARCH_ALPHABETS = {"enterprises.Enterprise": {"uscc": re.compile(r"[0-9A-Za-z]+")}}


def _cannot_hold(model: Any, lookup: str, term: str) -> bool:
    field = lookup.partition("__")[0]
    alphabet = SEARCH_ALPHABETS.get(model._meta.label, {}).get(field)
    return alphabet is not None and not alphabet.fullmatch(term)


def _whole_value(model: Any, lookup: str, term: str) -> str:
    """`<field>__icontains` as `<field>__iexact` when the term is as long as the field may
    be (a whole credit code): only the value itself can contain it, and equality is what an
    index on the column serves, where a trigram index reads every code sharing the term's
    pieces."""
    name, _sep, kind = lookup.partition("__")
    if kind != "icontains":
        return lookup
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return lookup
    if getattr(field, "max_length", None) == len(term) and not field.is_relation:
        return f"{name}__iexact"
    return lookup


def _bigram_field(model: Any, lookup: str) -> str | None:
    field, _sep, name = lookup.partition("__")
    if name == "icontains" and field in BIGRAM_INDEXED.get(model._meta.label, ()):
        return field
    return None


class _HasBigram(Expression):
    """`<col>_bigrams @> ARRAY[UPPER(term)]`: the rows whose column holds the two characters,
    found through the bigram index; the LIKE beside it still decides."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, field: str, term: str) -> None:
        super().__init__()
        self.column: Any = F(field)
        self.term = term

    def resolve_expression(self, *args: Any, **kwargs: Any) -> "_HasBigram":
        clone = self.copy()
        clone.column = self.column.resolve_expression(*args, **kwargs)
        return clone

    def get_source_expressions(self) -> list[Any]:
        return [self.column]

    def set_source_expressions(self, exprs: Any) -> None:
        (self.column,) = exprs

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[Any, ...]]:
        column = self.column.target.column
        sql, params = compiler.compile(self.column)
        quoted = connection.ops.quote_name(column)
        assert sql.endswith(quoted), sql
        bigrams = sql.removesuffix(quoted) + connection.ops.quote_name(f"{column}_bigrams")
        return f"{bigrams} @> ARRAY[UPPER(%s)]", (*params, self.term)


def _search_lookup(field_name: str) -> str:
    """A search field as Django's admin reads it: the prefix names the lookup, else
    icontains (fields naming their own lookup are left as they are)."""
    for prefix, lookup in (("^", "istartswith"), ("=", "iexact"), ("@", "search")):
        if field_name.startswith(prefix):
            return f"{field_name.removeprefix(prefix)}__{lookup}"
    return f"{field_name}__icontains"


def _hop(model: Any, lookup: str) -> Any:
    """The forward foreign key (or one-to-one) `lookup` starts with, if it goes on past it."""
    first, _sep, rest = lookup.partition("__")
    if "__" not in rest:
        return None
    try:
        field = model._meta.get_field(first)
    except FieldDoesNotExist:
        return None
    if field.concrete and (field.many_to_one or field.one_to_one) and field.related_model:
        return field
    return None


def _term_q(model: Any, lookups: list[str], term: str, cap: int) -> Q:
    """One term against `lookups` of `model`: the fields of the model itself as they are,
    those across a forward relation as `<relation> IN (ids)` searched in the related table."""
    return _term_condition(model, lookups, term, cap)[0]


def _term_condition(model: Any, lookups: list[str], term: str, cap: int) -> tuple[Q, bool]:
    """`_term_q`, and whether a relation matched more than `cap` rows (then checked row by
    row): the ids of a list over such a relation are not gathered either, as they would be
    as many (a word every firm holds matches every loan of those firms)."""
    local: list[Any] = []
    across: dict[str, tuple[Any, list[str]]] = {}
    for lookup in lookups:
        if _cannot_hold(model, lookup, term):
            continue
        lookup = _whole_value(model, lookup, term)
        field = _hop(model, lookup)
        bigram = _bigram_field(model, lookup)
        if bigram and len(term) == 2 and connection.vendor == "postgresql":
            local.append(Q((lookup, term)) & Q(_HasBigram(bigram, term)))
        elif field is None:
            local.append((lookup, term))
        else:
            across.setdefault(field.name, (field.related_model, []))[1].append(
                lookup.partition("__")[2]
            )
    if not (local or across):  # no field can hold the term
        return Q(pk__in=[]), False
    q = Q.create(local, connector=Q.OR)
    broad = False
    for name, (related, rest) in across.items():
        inner, inner_broad = _term_condition(related, rest, term, cap)
        matching = related._default_manager.filter(inner).order_by()
        ids = [] if inner_broad else list(matching.values_list("pk", flat=True)[: cap + 1])
        if not inner_broad and len(ids) <= cap:
            q |= Q(**{f"{name}__in": ids})
        else:  # checked row by row as the list is walked in its order: it stops at page 1
            q |= Q(RowExists(matching.filter(pk=OuterRef(name))))
            broad = True
    return q, broad


def related_count(model: Any, field: str) -> Coalesce:
    """How many rows of `model` point at each listed row through `field`: a subquery per row
    of the page, in place of Count() over a join, whose GROUP BY reads every row of the list
    before the page is cut."""
    rows = (
        model._default_manager.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(n=Count("*"))  # COUNT(*): an index-only scan of the foreign key's index
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def year_filter(field: str, title: Any) -> type[admin.SimpleListFilter]:
    """A list filter on the calendar year of the date `field`, from its earliest to its latest
    year: in place of a date hierarchy on a big table, whose year list is a DISTINCT over
    every row, where the first and last year are two index lookups."""

    class YearFilter(admin.SimpleListFilter):
        parameter_name = f"{field}_year"

        def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
            span = model_admin.model._default_manager.aggregate(first=Min(field), last=Max(field))
            if span["first"] is None:
                return []
            years = range(span["last"].year, span["first"].year - 1, -1)
            return [(str(year), f"{year}") for year in years]

        def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
            value = self.value()
            if not value:
                return queryset
            if not value.isdigit() or not 1 <= int(value) <= 9999:
                return queryset.none()
            year = int(value)
            return queryset.filter(
                **{f"{field}__gte": dt.date(year, 1, 1), f"{field}__lte": dt.date(year, 12, 31)}
            )

    YearFilter.title = title
    return YearFilter


def year_number_filter(field: str, title: Any) -> type[admin.SimpleListFilter]:
    """A list filter on an integer year column, offering every year from its smallest to its
    largest value (two index lookups) in place of the field's own filter, whose choices are
    a DISTINCT over every row."""

    class YearNumberFilter(admin.SimpleListFilter):
        parameter_name = field

        def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
            span = model_admin.model._default_manager.aggregate(first=Min(field), last=Max(field))
            if span["first"] is None:
                return []
            return [(str(year), f"{year}") for year in range(span["last"], span["first"] - 1, -1)]

        def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
            value = self.value()
            if not value:
                return queryset
            if not value.isdigit() or not 1 <= int(value) <= 9999:
                return queryset.none()
            return queryset.filter(**{field: int(value)})

    YearNumberFilter.title = title
    return YearNumberFilter


def form_values(form: Any, obj: Any) -> dict[str, Any]:
    """The model field values a ModelAdmin form set on `obj`, to hand to a service."""
    concrete = {field.name for field in obj._meta.concrete_fields}
    return {name: getattr(obj, name) for name in form.cleaned_data if name in concrete}


def money_display(
    model: Any, field: str, *, wan: bool = False, description: Any = None
) -> Callable[[Any, Any], str]:
    """A ModelAdmin method showing `model.field` (yuan) through common.lib.money:
    '1,113,333.33', or in 万元 with `wan=True` (its description must then say 万元).

    The stock display of a DecimalField has no thousands separators unless
    USE_THOUSAND_SEPARATOR is on, which would group ids and years too. Name the method in
    list_display or readonly_fields in place of the field:
    `approved_amount_display = money_display(SubsidyClaim, "approved_amount")`."""
    fmt = format_wan_grouped if wan else format_yuan

    @admin.display(
        description=description or model._meta.get_field(field).verbose_name,
        ordering=field,
        empty_value="—",
    )
    def show(model_admin: Any, obj: Any) -> str:
        # "—" written here: a read-only field on a change page prints None as "None".
        value = getattr(obj, field)
        return "—" if value is None else fmt(value)

    show.__name__ = f"{field}_display"
    return show


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


class AuditedModelAdmin(CountAheadMixin, RelatedSearchMixin, ReadOnlyHistoryAdmin):
    """Saves the object and its inline rows through common.audit.save_with_audit; searches
    across relations in the related tables (RelatedSearchMixin); counts a few pages ahead
    (CountAheadMixin)."""

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
    # By target state; a step that means something else from one state (taking a claim out
    # of its batch is not approving it) is keyed by (from, to) and wins there.
    admin_steps: dict[str | tuple[str, str], AdminStep] = {}
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
        offered: list[tuple[str, str]] = []
        for target in workflow.steps_for(request.user, obj):  # type: ignore[arg-type]
            step = self.admin_step(obj, target)
            if step is not None:
                offered.append((target, str(step.label or workflow.state_label(target))))
        return offered

    def admin_step(self, obj: Any, target: str) -> AdminStep | None:
        """How the admin makes the step from `obj`'s current state to `target`, if it does."""
        source = self.workflow.status_of(obj)
        return self.admin_steps.get((source, target)) or self.admin_steps.get(target)

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
        step = self.admin_step(obj, target)
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


# ---- the official calendar


class CalendarYearFilter(admin.SimpleListFilter):
    """The years that have arrangements entered, newest first."""

    title = _("year")
    parameter_name = "year"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        years = CalendarDay.objects.dates("date", "year", order="DESC")
        return [(str(day.year), str(day.year)) for day in years]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        return queryset.filter(date__year=int(value)) if value and value.isdigit() else queryset


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Staff enter the State Council's holiday arrangements for the next year each winter:
    every day off of each holiday, and every weekend day worked in lieu."""

    list_display = ("date", "weekday", "kind", "name", "entered_by")
    list_select_related = ("entered_by",)
    list_filter = (CalendarYearFilter, "kind")
    date_hierarchy = "date"
    search_fields = ("name",)
    ordering = ("-date",)
    show_full_result_count = False
    fields = ("date", "kind", "name", "entered_by", "updated_at")
    readonly_fields = ("entered_by", "updated_at")

    @admin.display(description=_("weekday"), ordering="date")
    def weekday(self, obj: CalendarDay) -> str:
        return date_format(obj.date, "l")

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        next_year = today().year + 1
        if request.method == "GET" and not CalendarDay.objects.in_year(next_year).exists():
            messages.warning(
                request,
                _(
                    "No holiday arrangements are entered for %(year)d yet: deadlines in "
                    "%(year)d count weekends only until they are."
                )
                % {"year": next_year},
            )
        return super().changelist_view(request, extra_context)

    def save_model(self, request: HttpRequest, obj: CalendarDay, form: Any, change: bool) -> None:
        calendar_day_save(calendar_day=obj, acting_user=request.user)

    def delete_model(self, request: HttpRequest, obj: CalendarDay) -> None:
        calendar_day_delete(calendar_day=obj, acting_user=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for obj in queryset:
            calendar_day_delete(calendar_day=obj, acting_user=request.user)


# -------------------------------------------------------- the outbox and queue handovers


class DeliveryStateFilter(admin.SimpleListFilter):
    """Where an email stands, as staff act on it: the ones a person must look at first."""

    title = _("delivery")
    parameter_name = "delivery"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("needs_person", _("Needs a person")),
            ("uncertain", _("May have been sent")),
            ("retrying", _("Failed, will be tried again")),
            ("undelivered", _("Not delivered yet")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == "needs_person":
            return queryset.filter(
                Q(status=OutboxStatus.UNCERTAIN)
                | Q(status=OutboxStatus.FAILED, next_attempt_at__isnull=True)
            )
        if value == "uncertain":
            return queryset.filter(status=OutboxStatus.UNCERTAIN)
        if value == "retrying":
            return queryset.filter(status=OutboxStatus.FAILED, next_attempt_at__isnull=False)
        if value == "undelivered":
            return queryset.exclude(status=OutboxStatus.SENT)
        return queryset


@admin.register(Notification)
class NotificationAdmin(CountAheadMixin, admin.ModelAdmin):
    """The outbox, read-only: what was told to whom, and whether it went out. Staff may send
    again what needs a person (after checking, for what may have been sent)."""

    list_display = (
        "created_at",
        "recipient",
        "email",
        "kind",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
    )
    list_filter = (DeliveryStateFilter, "status", "kind")
    actions = ("release_selected",)
    list_select_related = ("recipient",)
    search_fields = ("subject", "email", "recipient__username", "recipient__last_name")
    show_full_result_count = False

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_release_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("common.change_notification")

    @admin.action(
        description=_(
            "Send selected notifications again (after checking those that may have been sent)"
        ),
        permissions=["release"],
    )
    def release_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        released = sum(
            outbox_release(model=Notification, pk=pk)
            for pk in queryset.values_list("pk", flat=True)
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d notification queued for sending again.",
                "%(count)d notifications queued for sending again.",
                released,
            )
            % {"count": released},
            messages.SUCCESS,
        )


class QueueHandoverForm(forms.ModelForm):
    class Meta:
        model = QueueHandover
        fields = ["from_user", "to_user", "starts_on", "ends_on"]


@admin.register(QueueHandover)
class QueueHandoverAdmin(admin.ModelAdmin):
    """A handler away hands their queue to a colleague for a period. Each sets their own;
    the bureau admin sets anyone's. Saved through `queue_handover_save`."""

    form = QueueHandoverForm
    list_display = ("from_user", "to_user", "starts_on", "ends_on", "created_by")
    list_select_related = ("from_user", "to_user", "created_by")
    search_fields = (
        "from_user__username",
        "from_user__last_name",
        "to_user__username",
        "to_user__last_name",
    )
    readonly_fields = ("created_by", "created_at")

    def _manages(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm(MANAGE_HANDOVERS))

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        """Anyone's for the bureau admin; one's own (given or taken) for everyone else."""
        queryset = super().get_queryset(request)
        if self._manages(request):
            return queryset
        return queryset.filter(Q(from_user=request.user) | Q(to_user=request.user))

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = ["from_user", "to_user", "starts_on", "ends_on"]
        return fields if obj is None else [*fields, "created_by", "created_at"]

    def get_changeform_initial_data(self, request: HttpRequest) -> dict[str, Any]:
        return {"from_user": request.user.pk}

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        bureau = get_user_model().objects.filter(is_staff=True)
        user: Any = request.user  # signed in: the admin lets no one else here
        if db_field.name == "from_user":
            # Only the bureau admin names someone else as the one handing over.
            kwargs["queryset"] = bureau if self._manages(request) else bureau.filter(pk=user.pk)
        elif db_field.name == "to_user":
            kwargs["queryset"] = bureau.filter(is_active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or may_set_handover(request.user, obj.from_user_id))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or may_set_handover(request.user, obj.from_user_id))

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        queue_handover_save(handover=obj, acting_user=request.user)
