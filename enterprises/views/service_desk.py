"""Service-desk pages.

The enterprise's side: raise a request, follow its own requests and the bureau's replies,
see its project recommendations. The staff side: the desk (requests still being handled by
age and department, overdue ones highlighted, the year's counts) and one request's page with
its transitions. Objects come only through selectors; writes only through services.
"""

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from common.calendar import service_request_reopen_until
from common.uploads import serve_private_file
from enterprises import selectors, services
from enterprises.forms import (
    ServiceRequestAttachForm,
    ServiceRequestCloseForm,
    ServiceRequestFirmReplyForm,
    ServiceRequestForwardForm,
    ServiceRequestRaiseForm,
    ServiceRequestRateForm,
    ServiceRequestReopenForm,
    ServiceRequestReplyForm,
    ServiceRequestResolveForm,
)
from enterprises.models import ServiceRequest
from enterprises.views.registry import _add_errors, enterprise_member_required
from enterprises.workflows import DESK, SERVICE_REQUEST

View = Callable[..., HttpResponse]
Status = ServiceRequest.Status
DESK_PAGE_SIZE = 50

# ----------------------------------------------------------------------- enterprise side


@enterprise_member_required
def my_requests(request: HttpRequest) -> HttpResponse:
    enterprise = selectors.enterprise_for_user(user=request.user)
    service_requests = list(selectors.service_requests_for_enterprise(enterprise=enterprise))
    for item in service_requests:
        notes = [change.note for change in item.status_changes.all() if change.note]
        item.latest_note = notes[-1] if notes else ""  # type: ignore[attr-defined]
    return render(
        request,
        "enterprises/my_requests.html",
        {"enterprise": enterprise, "service_requests": service_requests},
    )


@enterprise_member_required
def request_create(request: HttpRequest) -> HttpResponse:
    enterprise = selectors.enterprise_for_user(user=request.user)
    form = ServiceRequestRaiseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.service_request_raise(
                enterprise=enterprise, acting_user=request.user, **form.cleaned_data
            )
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(
                request, _("Your request was registered as number %(pk)s.") % {"pk": created.pk}
            )
            return redirect("enterprises:request_detail", pk=created.pk)
    return render(
        request, "enterprises/request_form.html", {"enterprise": enterprise, "form": form}
    )


def _firm_forms(
    service_request: ServiceRequest, user: Any, data: Any = None, files: Any = None, bound: str = ""
) -> dict[str, Form]:
    """The forms open to the enterprise on its request now; only `bound` gets the post.

    Replying and adding files are always open; rating while the request is resolved and not
    rated yet; reopening while it is resolved (the service judges the window, the page says
    until when).
    """
    forms: dict[str, Form] = {}

    def make(name: str, cls: Any) -> None:
        forms[name] = cls(
            data if bound == name else None, files if bound == name else None, prefix=name
        )

    make("reply", ServiceRequestFirmReplyForm)
    make("attach", ServiceRequestAttachForm)
    if service_request.status == Status.RESOLVED and service_request.satisfaction is None:
        make("rate", ServiceRequestRateForm)
    if Status.OPEN in SERVICE_REQUEST.steps_for(user, service_request):
        make("reopen", ServiceRequestReopenForm)
    return forms


def _render_request_detail(
    request: HttpRequest, service_request: ServiceRequest, forms: dict[str, Form]
) -> HttpResponse:
    reopen_until = None
    if service_request.status == Status.RESOLVED and service_request.resolved_on:
        reopen_until = service_request_reopen_until(service_request.resolved_on)
    return render(
        request,
        "enterprises/request_detail.html",
        {
            "service_request": service_request,
            "attachments": selectors.service_request_attachments(service_request=service_request),
            "forms": forms,
            "reopen_until": reopen_until,
            "reopen_open": reopen_until is not None and timezone.localdate() <= reopen_until,
        },
        status=400 if any(form.errors for form in forms.values()) else 200,
    )


@enterprise_member_required
def request_detail(request: HttpRequest, pk: int) -> HttpResponse:
    service_request = selectors.service_request_get_for_user(user=request.user, pk=pk)
    forms = _firm_forms(service_request, request.user)
    return _render_request_detail(request, service_request, forms)


FIRM_ACTIONS: dict[str, tuple[Callable[..., Any], str]] = {
    "reply": (services.service_request_firm_reply, gettext_lazy("Your reply was sent.")),
    "attach": (services.service_request_attach, gettext_lazy("The file was added.")),
    "rate": (services.service_request_rate, gettext_lazy("Thank you for rating the resolution.")),
    "reopen": (services.service_request_reopen, gettext_lazy("The request was reopened.")),
}


@enterprise_member_required
@require_POST
def request_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    """The enterprise replies, adds a file, rates the resolution or reopens its request."""
    service_request = selectors.service_request_get_for_user(user=request.user, pk=pk)
    forms = _firm_forms(service_request, request.user, request.POST, request.FILES, bound=action)
    return _run_form_service(
        request,
        service_request,
        forms,
        key=action,
        services_table=FIRM_ACTIONS,
        closed=_("This is not open to the request any more."),
        detail="enterprises:request_detail",
        render=_render_request_detail,
    )


def _run_form_service(
    request: HttpRequest,
    service_request: Any,
    forms: dict[str, Any],
    *,
    key: str,
    services_table: dict[str, Any],
    closed: str,
    detail: str,
    render: Callable[..., HttpResponse],
) -> HttpResponse:
    """The firm's actions and the desk's steps alike: the bound form's data to its service;
    back to the request's page with a message, or the page again with the form's errors."""
    form = forms.get(key)
    if form is None or key not in services_table:
        messages.error(request, closed)
        return redirect(detail, pk=service_request.pk)
    if form.is_valid():
        service, done = services_table[key]
        try:
            service(service_request=service_request, acting_user=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _add_errors(form, exc)
        else:
            messages.success(request, str(done))
            return redirect(detail, pk=service_request.pk)
    return render(request, service_request, forms)


@enterprise_member_required
def request_attachment(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    attachment = selectors.service_request_attachment_get_for_user(
        user=request.user, pk=pk, attachment_pk=attachment_pk
    )
    return serve_private_file(request, attachment.file, filename=attachment.original_name)


@enterprise_member_required
def my_projects(request: HttpRequest) -> HttpResponse:
    enterprise = selectors.enterprise_for_user(user=request.user)
    recommendations = list(selectors.project_recommendations_for_enterprise(enterprise=enterprise))
    return render(
        request,
        "enterprises/my_projects.html",
        {"enterprise": enterprise, "recommendations": recommendations},
    )


# ---------------------------------------------------------------------------- staff side


def desk_view(view: View) -> View:
    """Logged in; the selectors refuse anyone who is not staff of the service desk."""
    return login_required(view)


@desk_view
def desk(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    department = request.GET.get("department", "")
    department_id = (
        int(department) if department.isdigit() else (0 if department == "none" else None)
    )
    pending = selectors.desk_pending_requests(user=request.user, department_id=department_id)
    page = Paginator(pending, DESK_PAGE_SIZE).get_page(request.GET.get("page"))
    for item in page.object_list:
        item.age = item.age_on(today)
        item.overdue = item.is_overdue_on(today)
    return render(
        request,
        "enterprises/desk.html",
        {
            "today": today,
            "page": page,
            "age_table": selectors.desk_age_table(user=request.user, day=today),
            "age_bands": [label for _upper, label in selectors.AGE_BANDS],
            "counts": selectors.service_counts_on(today),
            "satisfaction": selectors.desk_satisfaction(user=request.user),
            "department": department,
        },
    )


def _transition_forms(
    service_request: Any, user: Any, data: Any = None, bound: str = ""
) -> dict[str, Form]:
    """The forms of the steps this user may make on this request now (the workflow's table
    and actors); only `bound` gets the posted data."""
    steps = SERVICE_REQUEST.steps_for(user, service_request)
    forms: dict[str, Form] = {}

    def make(name: str, cls: Any, **kwargs: Any) -> None:
        forms[name] = cls(data if bound == name else None, prefix=name, **kwargs)

    if Status.FORWARDED in steps:
        make("forward", ServiceRequestForwardForm)
    if Status.RESOLVED in steps:
        make("resolve", ServiceRequestResolveForm, service_request=service_request)
    if Status.CLOSED in steps:
        make("close", ServiceRequestCloseForm)
    if service_request.is_pending and DESK.holds(user):
        make("reply", ServiceRequestReplyForm)
    return forms


@desk_view
def desk_request(request: HttpRequest, pk: int) -> HttpResponse:
    service_request = selectors.desk_request_get(user=request.user, pk=pk)
    forms = _transition_forms(service_request, request.user)
    return _render_desk_request(request, service_request, forms)


def _render_desk_request(request: HttpRequest, service_request: Any, forms: dict) -> HttpResponse:
    today = timezone.localdate()
    return render(
        request,
        "enterprises/desk_request.html",
        {
            "service_request": service_request,
            "attachments": selectors.service_request_attachments(service_request=service_request),
            "forms": forms,
            "overdue": service_request.is_overdue_on(today),
            "age": service_request.age_on(today),
        },
        status=400 if any(form.errors for form in forms.values()) else 200,
    )


STEP_SERVICES: dict[str, tuple[Callable[..., Any], str]] = {
    "forward": (services.service_request_forward, gettext_lazy("The request was forwarded.")),
    "resolve": (services.service_request_resolve, gettext_lazy("The request was resolved.")),
    "close": (services.service_request_close, gettext_lazy("The request was closed.")),
    "reply": (services.service_request_reply, gettext_lazy("The reply was recorded.")),
}


@desk_view
@require_POST
def desk_request_step(request: HttpRequest, pk: int, step: str) -> HttpResponse:
    service_request = selectors.desk_request_get(user=request.user, pk=pk)
    forms = _transition_forms(service_request, request.user, request.POST, bound=step)
    return _run_form_service(
        request,
        service_request,
        forms,
        key=step,
        services_table=STEP_SERVICES,
        closed=_("This step is not open to the request any more."),
        detail="service_desk:request_detail",
        render=_render_desk_request,
    )


@desk_view
def desk_attachment(request: HttpRequest, pk: int, attachment_pk: int) -> HttpResponse:
    attachment = selectors.desk_attachment_get(
        user=request.user, pk=pk, attachment_pk=attachment_pk
    )
    return serve_private_file(request, attachment.file, filename=attachment.original_name)
