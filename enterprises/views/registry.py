"""The enterprise's own pages ("my enterprise"). Every object comes through a selector.

A user whose link to the enterprise is not approved is sent to the "waiting for approval"
page; a user of another organisation (or another enterprise's object) gets 404.
"""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from enterprises import selectors, services
from enterprises.forms import AnnualFiguresForm, ContactForm
from enterprises.models import AnnualFigures

View = Callable[..., HttpResponse]


def enterprise_member_required(view: View) -> View:
    """Logged in; an enterprise account still waiting for approval sees the pending page."""

    @login_required
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if getattr(user, "organisation_kind", "") == "enterprise" and (
            getattr(user, "link_status", "") != "approved"
        ):
            # URL name of the accounts app (portal); a name, not an import, keeps the
            # dependency pointing downward.
            return redirect("link_pending")
        return view(request, *args, **kwargs)

    return wrapped


def _add_errors(form: Any, exc: ValidationError) -> None:
    """Put a service's ValidationError on the form: at its field when the form has it."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)


@enterprise_member_required
def my_enterprise(request: HttpRequest) -> HttpResponse:
    enterprise = selectors.enterprise_for_user(user=request.user)
    today = timezone.localdate()
    certificates = list(selectors.certificates_for_enterprise(enterprise=enterprise))
    for certificate in certificates:
        certificate.valid_today = certificate.is_valid_on(today)  # type: ignore[attr-defined]
    registrations = list(selectors.registrations_for_enterprise(enterprise=enterprise))
    for registration in registrations:
        registration.valid_today = registration.is_registered_on(today)  # type: ignore[attr-defined]
    # Official lists and the figures form speak 万元; the template shows the same unit.
    figures = list(selectors.annual_figures_for_enterprise(enterprise=enterprise))
    return render(
        request,
        "enterprises/my_enterprise.html",
        {
            "enterprise": enterprise,
            "registrations": registrations,
            "certificates": certificates,
            "figures": figures,
            "today": today,
        },
    )


@enterprise_member_required
def contact_edit(request: HttpRequest) -> HttpResponse:
    enterprise = selectors.enterprise_for_user(user=request.user)
    initial = {name: getattr(enterprise, name) for name in services.CONTACT_FIELDS}
    form = ContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.enterprise_update_contact(
                enterprise=enterprise, acting_user=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, _("The contact details were saved."))
            return redirect("enterprises:my_enterprise")
    return render(
        request, "enterprises/contact_form.html", {"enterprise": enterprise, "form": form}
    )


@enterprise_member_required
def figures_create(request: HttpRequest) -> HttpResponse:
    enterprise = selectors.enterprise_for_user(user=request.user)
    years = selectors.annual_figure_years_for_enterprise(enterprise=enterprise)
    form = AnnualFiguresForm(request.POST or None, existing_years=years)
    if request.method == "POST" and form.is_valid():
        return _submit_figures(request, form, enterprise=enterprise, year=form.cleaned_data["year"])
    return render(
        request,
        "enterprises/figures_form.html",
        {"enterprise": enterprise, "form": form, "record": None},
    )


@enterprise_member_required
def figures_edit(request: HttpRequest, pk: int) -> HttpResponse:
    record = selectors.annual_figures_get_by_pk_for_user(user=request.user, pk=pk)
    form = AnnualFiguresForm(request.POST or None, instance=record)
    if record.locked:
        # Shown read-only; a POST still reaches the service, which refuses and says why.
        for field in form.fields.values():
            field.disabled = True
    if request.method == "POST" and form.is_valid():
        return _submit_figures(request, form, enterprise=record.enterprise, year=record.year)
    return render(
        request,
        "enterprises/figures_form.html",
        {"enterprise": record.enterprise, "form": form, "record": record},
    )


def _submit_figures(
    request: HttpRequest, form: AnnualFiguresForm, *, enterprise: Any, year: int
) -> HttpResponse:
    try:
        record: AnnualFigures = services.annual_figures_submit(
            enterprise=enterprise, year=year, acting_user=request.user, **form.figures()
        )
    except ValidationError as exc:
        _add_errors(form, exc)
        existing = getattr(form, "instance", None)
        return render(
            request,
            "enterprises/figures_form.html",
            {"enterprise": enterprise, "form": form, "record": existing},
        )
    messages.success(request, _("The figures for %(year)s were saved.") % {"year": record.year})
    return redirect("enterprises:my_enterprise")
