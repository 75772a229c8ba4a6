"""The public notice board (公示) at /notices/: anyone reads the notices and, while one is
open, files an objection (a visitor with a name and phone number). Reads through selectors,
the objection through its service; the form is CSRF-protected and rate-limited per address.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_protect

from subsidies import selectors, services
from subsidies.forms import ObjectionForm
from subsidies.views import _add_errors

NOTICES_PER_PAGE = 20


def notice_list(request: HttpRequest) -> HttpResponse:
    """Anyone: the notices that have started, open ones first, 20 a page."""
    today = timezone.localdate()
    page = Paginator(selectors.notices_for_board(day=today), NOTICES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(request, "subsidies/notices.html", {"page": page, "today": today})


def _rate_key(request: HttpRequest) -> str:
    return f"objection-rate:{request.META.get('REMOTE_ADDR', '')}"


def _over_limit(request: HttpRequest) -> bool:
    """Count this address' objection posts in the current window (one hour, from its first
    post); True once it passed OBJECTION_RATE_LIMIT."""
    key = _rate_key(request)
    window = settings.OBJECTION_RATE_WINDOW_SECONDS
    if cache.add(key, 1, timeout=window):
        return False
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window)
        return False
    return count > settings.OBJECTION_RATE_LIMIT


@csrf_protect
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Anyone: one notice and its claims; while open, the objection form; once closed, the
    objections and the bureau's answers (never who objected)."""
    today = timezone.localdate()
    notice = selectors.notice_get_public(pk=pk, day=today)
    is_open = notice.is_open_on(today)
    claims = selectors.notice_claims(notice=notice, with_outcome=not is_open)
    anonymous = not request.user.is_authenticated
    form = None
    status = 200
    if request.method == "POST" or is_open:
        form = ObjectionForm(
            request.POST or None, request.FILES or None, claims=claims, anonymous=anonymous
        )
    if request.method == "POST":
        assert form is not None
        if _over_limit(request):
            form.add_error(
                None,
                _(
                    "Objections from your network are limited to %(limit)d an hour, and that "
                    "many were sent. Please try again in an hour, or call the bureau."
                )
                % {"limit": settings.OBJECTION_RATE_LIMIT},
            )
            status = 429
        elif form.is_valid():
            data = form.cleaned_data
            try:
                services.objection_file(
                    notice=notice,
                    claim_id=data["claim"],
                    content=data["content"],
                    acting_user=request.user,
                    name=data.get("name", ""),
                    phone_number=data.get("phone", ""),
                    file=data.get("file"),
                    today=today,
                )
            except ValidationError as exc:
                _add_errors(form, exc)
            else:
                messages.success(
                    request,
                    _("Your objection was received; the bureau will answer it before deciding."),
                )
                return redirect("notices:detail", pk=notice.pk)
        status = status if status == 429 else 400
    return render(
        request,
        "subsidies/notice_detail.html",
        {
            "notice": notice,
            "claims": claims,
            "is_open": is_open,
            "form": form if is_open else None,
            "refusal": form.non_field_errors() if (form is not None and not is_open) else None,
            "anonymous": anonymous,
            "today": today,
        },
        status=status,
    )
