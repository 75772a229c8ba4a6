"""The operator desk: a carrier's tenants, activities, indicators and upgrade readiness.

An operator sees only its own carrier; bureau staff may open any carrier's pages (the
admin links to them for the readiness view). Every object comes through a selector, so
another carrier's pages, or another carrier's tenancy, answer 404. Writes are the
operator's, and a bureau user's only where its role holds the permission: the selector
answers 403 to a user who may read the carrier but not write, and the pages show only the
buttons of the writes the user may make.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from incubators import selectors, services
from incubators.forms import (
    ActivityForm,
    EntryForm,
    IndicatorDayForm,
    MoveOutForm,
    TenantAddForm,
)
from incubators.models import ActivityKind, Incubator

TREND_MONTHS = 12


def _add_errors(form: Any, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: at its field when the form has it."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            field = _FIELD_ALIASES.get(field, field)
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


# An error of the service on the enterprise is shown at the code the operator typed.
_FIELD_ALIASES = {"enterprise": "uscc"}


def _context(request: HttpRequest, incubator: Incubator, **extra: Any) -> dict[str, Any]:
    """The page's context, with the desk's writes this user may make (buttons shown)."""
    may = selectors.desk_writes_for_user(user=request.user, incubator=incubator)
    return {"incubator": incubator, "may": may, **extra}


@login_required
def desk_home(request: HttpRequest) -> HttpResponse:
    incubator = selectors.incubator_for_user(user=request.user)
    return redirect("incubators:dashboard", pk=incubator.pk)


@login_required
def dashboard(request: HttpRequest, pk: int) -> HttpResponse:
    incubator = selectors.incubator_get_for_user(user=request.user, pk=pk)
    day_form = IndicatorDayForm(request.GET or None)
    day = day_form.day_or_today()
    trend = selectors.indicator_trend(incubator=incubator, until=day, months=TREND_MONTHS)
    current = trend[-1]
    level = incubator.level_on(day)
    readiness = selectors.readiness_for(
        incubator=incubator, indicators=current, current_level=level
    )
    peak = max((figures.tenants for figures in trend), default=0) or 1
    for figures in trend:
        figures.bar = round(figures.tenants * 100 / peak)  # type: ignore[attr-defined]
    return render(
        request,
        "incubators/dashboard.html",
        _context(
            request,
            incubator,
            day=day,
            day_form=day_form,
            level=level,
            indicators=current,
            readiness=readiness,
            trend=trend,
        ),
    )


@login_required
def tenant_list(request: HttpRequest, pk: int) -> HttpResponse:
    incubator = selectors.incubator_get_for_user(user=request.user, pk=pk)
    today = timezone.localdate()
    tenancies = list(selectors.tenancies_for_incubator(incubator=incubator))
    current = [t for t in tenancies if t.is_resident_on(today)]
    past = [t for t in tenancies if not t.is_resident_on(today)]
    return render(
        request,
        "incubators/tenants.html",
        _context(request, incubator, today=today, current=current, past=past),
    )


@login_required
def tenant_add(request: HttpRequest, pk: int) -> HttpResponse:
    incubator = selectors.incubator_get_for_user(
        user=request.user, pk=pk, permission=selectors.DESK_WRITES["add_tenant"]
    )
    sites = incubator.sites.order_by("name")
    form = TenantAddForm(request.POST or None, sites=sites)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            tenancy, created = services.tenancy_add_by_uscc(
                incubator=incubator,
                uscc=data["uscc"],
                name=data["name"],
                moved_in_on=data["moved_in_on"],
                area=data["area"],
                site=data.get("site"),
                acting_user=request.user,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            if created:
                messages.info(
                    request,
                    _(
                        "%(name)s is not yet in the bureau's registry: a pending record was "
                        "created for the bureau to complete."
                    )
                    % {"name": tenancy.enterprise.name},
                )
            messages.success(
                request, _("%(name)s was added as a tenant.") % {"name": tenancy.enterprise.name}
            )
            return redirect("incubators:tenants", pk=incubator.pk)
    return render(request, "incubators/tenant_form.html", _context(request, incubator, form=form))


@login_required
def tenant_move_out(request: HttpRequest, pk: int, tenancy_pk: int) -> HttpResponse:
    incubator = selectors.incubator_get_for_user(
        user=request.user, pk=pk, permission=selectors.DESK_WRITES["move_out"]
    )
    tenancy = selectors.tenancy_get_for_incubator(incubator=incubator, pk=tenancy_pk)
    form = MoveOutForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.tenancy_move_out(
                tenancy=tenancy,
                moved_out_on=form.cleaned_data["moved_out_on"],
                graduated=form.cleaned_data["graduated"],
                acting_user=request.user,
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request,
                _("The move-out of %(name)s was recorded.") % {"name": tenancy.enterprise.name},
            )
            return redirect("incubators:tenants", pk=incubator.pk)
    return render(
        request,
        "incubators/move_out_form.html",
        _context(request, incubator, tenancy=tenancy, form=form),
    )


@login_required
def activity_list(request: HttpRequest, pk: int) -> HttpResponse:
    incubator = selectors.incubator_get_for_user(user=request.user, pk=pk)
    activities = selectors.activities_for_incubator(incubator=incubator)
    return render(
        request, "incubators/activities.html", _context(request, incubator, activities=activities)
    )


@login_required
def activity_add(request: HttpRequest, pk: int) -> HttpResponse:
    incubator = selectors.incubator_get_for_user(
        user=request.user, pk=pk, permission=selectors.DESK_WRITES["add_activity"]
    )
    form = ActivityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            activity = services.activity_record(
                organiser=incubator, acting_user=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request, _("The activity %(title)s was recorded.") % {"title": activity.title}
            )
            return redirect("incubators:activities", pk=incubator.pk)
    return render(request, "incubators/activity_form.html", _context(request, incubator, form=form))


@login_required
def entries(request: HttpRequest, pk: int, activity_pk: int) -> HttpResponse:
    """A competition's entrants, and a form to enter one more (by its code).

    Anyone who may read the carrier sees the entrants; the form is shown, and a POST
    accepted, only for those who may enter a firm (403 otherwise).
    """
    permission = selectors.DESK_WRITES["add_entry"]
    incubator = selectors.incubator_get_for_user(
        user=request.user, pk=pk, permission=permission if request.method == "POST" else None
    )
    activity = selectors.activity_get_for_incubator(incubator=incubator, pk=activity_pk)
    if activity.kind != ActivityKind.COMPETITION:
        raise Http404
    form = EntryForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            entry, _created = services.competition_entry_add_by_uscc(
                activity=activity, acting_user=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("%(name)s was entered.") % {"name": entry.enterprise.name})
            return redirect("incubators:entries", pk=incubator.pk, activity_pk=activity.pk)
    return render(
        request,
        "incubators/entries.html",
        _context(
            request,
            incubator,
            activity=activity,
            entries=selectors.entries_for_activity(activity=activity),
            form=form,
        ),
    )
