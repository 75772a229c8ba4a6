"""Public pages, the work queue every role lands on, and the health probe."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.i18n import set_language as django_set_language

from common.notifications import notifications_for_user
from common.pagination import page_number
from common.queue import QUEUE_PAGE_SIZE, queue_for_user
from portal.accounts.models import User
from portal.statistics.selectors import public_figures, summary_latest
from subsidies import selectors as subsidy_selectors


@require_POST
def set_language(request: HttpRequest) -> HttpResponse:
    """Django's language switch (cookie and redirect), and for a signed-in person the choice
    kept on their account, so it follows them to another browser."""
    response = django_set_language(request)
    language = request.POST.get("language", "")
    user = request.user
    if (
        user.is_authenticated
        and language in dict(settings.LANGUAGES)
        and getattr(user, "language", None) != language
    ):
        User.objects.filter(pk=user.pk).update(language=language)
    return response


HOME_NOTICES = 5


def home(request: HttpRequest) -> HttpResponse:
    """Anyone: the policy calls open today with their deadlines, the notices open for
    objections, the public figures of the latest monthly summary, and the way in: log in
    and sign up for a visitor, the person's own pages (the menu's) once signed in. A fixed
    number of queries however many calls, windows and notices there are."""
    today = timezone.localdate()
    summary = summary_latest()
    return render(
        request,
        "portal/home.html",
        {
            "calls": subsidy_selectors.open_calls(day=today),
            "notices": subsidy_selectors.notices_open(day=today, limit=HOME_NOTICES),
            "summary": summary,
            "figures": public_figures(summary=summary) if summary else [],
        },
    )


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """我的待办: what waits for the signed-in person across every process, oldest first, and
    the latest messages sent to them. Where every role lands after login."""
    user = request.user
    linked = user.organisation_kind == "" or user.link_status == User.LinkStatus.APPROVED  # type: ignore[union-attr]
    if not linked and user.organisation_kind == User.OrganisationKind.ENTERPRISE:  # type: ignore[union-attr]
        return redirect("link_pending")
    offset = (page_number(request.GET.get("page")) - 1) * QUEUE_PAGE_SIZE
    work = queue_for_user(user=user, limit=QUEUE_PAGE_SIZE, offset=offset)
    if not work.items and work.offset:  # past the last page (the queue shrank, or a made-up page)
        last = (work.pages - 1) * QUEUE_PAGE_SIZE
        work = queue_for_user(user=user, limit=QUEUE_PAGE_SIZE, offset=last)
    request._queue_count = work.total  # type: ignore[attr-defined]  # the navigation's number
    return render(
        request,
        "portal/queue.html",
        {
            "queue": work,
            "inbox": notifications_for_user(user=user),
            "waiting_for_link": not linked,
        },
    )


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database (and the broker, when one is configured) answers; 503 otherwise."""
    checks: dict[str, str] = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # any failure of the probe is an unhealthy answer, not a 500
        checks["database"] = f"error: {exc.__class__.__name__}"
    if settings.CELERY_BROKER_URL:
        from portal.celery import app

        try:
            with app.connection_for_write() as conn:
                conn.ensure_connection(max_retries=1, timeout=2)
            checks["broker"] = "ok"
        except Exception as exc:
            checks["broker"] = f"error: {exc.__class__.__name__}"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503
    )
