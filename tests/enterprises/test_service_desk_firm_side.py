"""The firm's side of its service requests: replies on the thread, files (private to the firm
and the desk), the rating of a resolution (满意度) and reopening within the window; the
desk's view of the ratings. Bad input is refused at the field with nothing saved."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from common.calendar import add_working_days
from common.models import Notification
from enterprises import services
from enterprises.models import ServiceRequest, ServiceRequestAttachment
from tests.enterprises.factories import request_category
from tests.portal.factories import EnterpriseUserFactory, StaffFactory
from tests.workflow_roles import last_notification_pk

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
Status = ServiceRequest.Status


@pytest.fixture
def firm_user():
    return EnterpriseUserFactory()


@pytest.fixture
def staff():
    return StaffFactory(first_name="婷", last_name="周")


@pytest.fixture
def firm_client(client, firm_user):
    client.force_login(firm_user)
    return client


def raise_for(user, description="咨询研发费用加计扣除") -> ServiceRequest:
    return services.service_request_raise(
        enterprise=user.enterprise,
        category=request_category("policy"),
        description=description,
        acting_user=user,
    )


def resolved_for(user, staff, *, on=None, description="咨询研发费用加计扣除") -> ServiceRequest:
    service_request = raise_for(user, description)
    return services.service_request_resolve(
        service_request=service_request,
        resolved_on=on or timezone.localdate(),
        note="已现场解答",
        handling="on_site",
        acting_user=staff,
    )


def action(pk: int, name: str) -> str:
    return reverse("enterprises:request_action", args=[pk, name])


# ---------------------------------------------------------------------------------- replies


def test_the_firm_replies_and_the_handler_alone_is_told(firm_client, firm_user, staff):
    colleague = StaffFactory()
    service_request = raise_for(firm_user)
    services.service_request_reply(
        service_request=service_request, note="请补充材料", acting_user=staff
    )
    service_request.refresh_from_db()
    service_request.handler = staff
    service_request.save()
    after = last_notification_pk()
    response = firm_client.post(
        action(service_request.pk, "reply"), {"reply-note": "材料已补充，见附件"}
    )
    assert response.status_code == 302
    change = service_request.status_changes.order_by("-pk").first()
    assert change.note == "材料已补充，见附件" and change.acting_user == firm_user
    assert change.from_status == change.to_status == Status.OPEN
    told = list(Notification.objects.filter(pk__gt=after))
    assert [n.recipient for n in told] == [staff]
    assert colleague not in {n.recipient for n in told}
    assert reverse("service_desk:request_detail", args=[service_request.pk]) in told[0].url
    # The thread shows both sides, each with its author's side and time.
    page = firm_client.get(reverse("enterprises:request_detail", args=[service_request.pk]))
    body = page.content.decode()
    assert "请补充材料" in body and "材料已补充，见附件" in body


def test_an_empty_reply_is_refused_at_the_field(firm_client, firm_user):
    service_request = raise_for(firm_user)
    before = service_request.status_changes.count()
    response = firm_client.post(action(service_request.pk, "reply"), {"reply-note": "  "})
    assert response.status_code == 400
    assert response.context["forms"]["reply"].errors["note"]
    assert service_request.status_changes.count() == before


# ------------------------------------------------------------------------------------ files


def test_files_are_for_the_firm_and_the_desk_only(client, firm_user, staff):
    service_request = raise_for(firm_user)
    client.force_login(firm_user)
    upload = SimpleUploadedFile("营业执照.pdf", PDF, content_type="application/pdf")
    response = client.post(action(service_request.pk, "attach"), {"attach-file": upload})
    assert response.status_code == 302
    attachment = ServiceRequestAttachment.objects.get(service_request=service_request)
    assert attachment.original_name == "营业执照.pdf" and attachment.uploaded_by == firm_user
    mine = reverse("enterprises:request_attachment", args=[service_request.pk, attachment.pk])
    desk = reverse("service_desk:request_attachment", args=[service_request.pk, attachment.pk])
    download = client.get(mine)
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    # Another firm: 404 on the file and on the request; its own request id does not help.
    other = EnterpriseUserFactory()
    other_request = raise_for(other, "另一家企业的诉求")
    client.force_login(other)
    assert client.get(mine).status_code == 404
    assert (
        client.get(
            reverse("enterprises:request_attachment", args=[other_request.pk, attachment.pk])
        ).status_code
        == 404
    )
    assert client.get(desk).status_code == 403
    client.force_login(staff)
    assert client.get(desk).status_code == 200
    assert (
        client.get(
            reverse("service_desk:request_attachment", args=[other_request.pk, attachment.pk])
        ).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("name", "content"),
    [("报表.pdf", PNG), ("报表.docx", PDF), ("空.pdf", b"")],
)
def test_bad_files_are_refused_at_the_field(firm_client, firm_user, name, content):
    service_request = raise_for(firm_user)
    upload = SimpleUploadedFile(name, content)
    response = firm_client.post(action(service_request.pk, "attach"), {"attach-file": upload})
    assert response.status_code == 400
    assert response.context["forms"]["attach"].errors["file"]
    assert not ServiceRequestAttachment.objects.exists()


@override_settings(UPLOAD_MAX_BYTES=20)
def test_a_file_too_large_is_refused(firm_client, firm_user):
    service_request = raise_for(firm_user)
    upload = SimpleUploadedFile("大.pdf", PDF)
    response = firm_client.post(action(service_request.pk, "attach"), {"attach-file": upload})
    assert response.status_code == 400
    assert not ServiceRequestAttachment.objects.exists()


def test_no_file_is_refused(firm_client, firm_user):
    service_request = raise_for(firm_user)
    response = firm_client.post(action(service_request.pk, "attach"), {})
    assert response.status_code == 400
    assert not ServiceRequestAttachment.objects.exists()


# ----------------------------------------------------------------------------------- rating


def test_the_firm_rates_a_resolved_request_once(firm_client, firm_user, staff):
    service_request = resolved_for(firm_user, staff)
    response = firm_client.post(
        action(service_request.pk, "rate"), {"rate-satisfaction": "4", "rate-comment": "很及时"}
    )
    assert response.status_code == 302
    service_request.refresh_from_db()
    assert service_request.satisfaction == 4
    assert service_request.satisfaction_comment == "很及时"
    assert service_request.rated_on == timezone.localdate()
    # Rating twice: the form is gone from the page and the service refuses.
    page = firm_client.get(reverse("enterprises:request_detail", args=[service_request.pk]))
    assert "rate" not in page.context["forms"]
    with pytest.raises(Exception, match="rated already|已评价"):
        services.service_request_rate(
            service_request=service_request, satisfaction=5, acting_user=firm_user
        )
    service_request.refresh_from_db()
    assert service_request.satisfaction == 4


@pytest.mark.parametrize("value", ["0", "6", "-1", "abc", ""])
def test_a_rating_outside_1_to_5_is_refused_at_the_field(firm_client, firm_user, staff, value):
    service_request = resolved_for(firm_user, staff)
    response = firm_client.post(action(service_request.pk, "rate"), {"rate-satisfaction": value})
    assert response.status_code == 400
    assert response.context["forms"]["rate"].errors["satisfaction"]
    service_request.refresh_from_db()
    assert service_request.satisfaction is None


def test_an_unresolved_request_cannot_be_rated(firm_client, firm_user):
    service_request = raise_for(firm_user)
    response = firm_client.post(action(service_request.pk, "rate"), {"rate-satisfaction": "5"})
    assert response.status_code == 302  # not open to it: told so, nothing saved
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        services.service_request_rate(
            service_request=service_request, satisfaction=5, acting_user=firm_user
        )
    assert "satisfaction" in refused.value.error_dict
    service_request.refresh_from_db()
    assert service_request.satisfaction is None


def test_another_firms_request_cannot_be_acted_on(client, firm_user, staff):
    service_request = resolved_for(firm_user, staff)
    other = EnterpriseUserFactory()
    client.force_login(other)
    for name, data in [
        ("reply", {"reply-note": "冒名回复"}),
        ("rate", {"rate-satisfaction": "1"}),
        ("reopen", {"reopen-reason": "冒名重开"}),
    ]:
        assert client.post(action(service_request.pk, name), data).status_code == 404
    assert (
        client.get(reverse("enterprises:request_detail", args=[service_request.pk])).status_code
        == 404
    )
    service_request.refresh_from_db()
    assert service_request.status == Status.RESOLVED and service_request.satisfaction is None
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.service_request_rate(
            service_request=service_request, satisfaction=1, acting_user=other
        )
    with pytest.raises(PermissionDenied):
        services.service_request_firm_reply(
            service_request=service_request, note="x", acting_user=staff
        )


# ---------------------------------------------------------------------------------- reopen


@override_settings(SERVICE_REQUEST_REOPEN_WORKING_DAYS=10)
def test_the_firm_reopens_within_the_window_and_the_handler_is_told(firm_client, firm_user, staff):
    service_request = resolved_for(firm_user, staff)
    services.service_request_rate(
        service_request=service_request, satisfaction=2, acting_user=firm_user
    )
    after = last_notification_pk()
    response = firm_client.post(
        action(service_request.pk, "reopen"), {"reopen-reason": "问题仍未解决"}
    )
    assert response.status_code == 302
    service_request.refresh_from_db()
    assert service_request.status == Status.OPEN
    assert service_request.resolved_on is None and service_request.satisfaction is None
    assert service_request.due_on > timezone.localdate()
    assert [n.recipient for n in Notification.objects.filter(pk__gt=after)] == [staff]
    change = service_request.status_changes.order_by("-pk").first()
    assert (change.from_status, change.to_status) == (Status.RESOLVED, Status.OPEN)
    assert change.note == "问题仍未解决"
    # The reopened request is back in the handler's work queue.
    from common.queue import queue_for_user

    assert service_request.pk in {item.obj.pk for item in queue_for_user(user=staff).items}


@override_settings(SERVICE_REQUEST_REOPEN_WORKING_DAYS=3)
def test_reopening_after_the_window_is_refused(firm_client, firm_user, staff):
    today = timezone.localdate()
    resolved_on = add_working_days(today, -4)
    service_request = raise_for(firm_user)
    ServiceRequest.objects.filter(pk=service_request.pk).update(
        registered_on=resolved_on - dt.timedelta(days=1),
        due_on=resolved_on,
    )
    service_request = resolved_for_existing(service_request, staff, resolved_on)
    response = firm_client.post(
        action(service_request.pk, "reopen"), {"reopen-reason": "问题仍未解决"}
    )
    assert response.status_code == 400
    assert response.context["forms"]["reopen"].errors["reason"]
    service_request.refresh_from_db()
    assert service_request.status == Status.RESOLVED


@override_settings(SERVICE_REQUEST_REOPEN_WORKING_DAYS=3)
def test_reopening_on_the_last_day_of_the_window_is_allowed(firm_user, staff):
    resolved_on = add_working_days(timezone.localdate(), -3)
    service_request = raise_for(firm_user)
    ServiceRequest.objects.filter(pk=service_request.pk).update(
        registered_on=resolved_on, due_on=resolved_on
    )
    service_request = resolved_for_existing(service_request, staff, resolved_on)
    services.service_request_reopen(
        service_request=service_request, reason="仍未解决", acting_user=firm_user
    )
    service_request.refresh_from_db()
    assert service_request.status == Status.OPEN


def resolved_for_existing(service_request, staff, resolved_on):
    service_request.refresh_from_db()
    return services.service_request_resolve(
        service_request=service_request,
        resolved_on=resolved_on,
        note="已现场解答",
        handling="on_site",
        acting_user=staff,
    )


def test_reopening_needs_a_reason(firm_client, firm_user, staff):
    service_request = resolved_for(firm_user, staff)
    response = firm_client.post(action(service_request.pk, "reopen"), {"reopen-reason": ""})
    assert response.status_code == 400
    service_request.refresh_from_db()
    assert service_request.status == Status.RESOLVED


def test_a_forwarded_request_reopened_is_open_and_can_be_forwarded_again(firm_user, staff):
    from tests.enterprises.factories import DepartmentFactory

    department = DepartmentFactory()
    service_request = raise_for(firm_user)
    services.service_request_forward(
        service_request=service_request, department=department, acting_user=staff
    )
    services.service_request_resolve(
        service_request=service_request,
        resolved_on=timezone.localdate(),
        note="已由部门解决",
        acting_user=staff,
    )
    services.service_request_reopen(
        service_request=service_request, reason="未解决", acting_user=firm_user
    )
    services.service_request_forward(
        service_request=service_request, department=department, acting_user=staff
    )
    service_request.refresh_from_db()
    assert service_request.status == Status.FORWARDED


# ------------------------------------------------------------------------------ the desk


def test_the_desk_shows_the_ratings_average_and_per_request(client, staff):
    firms = EnterpriseUserFactory.create_batch(2)
    for user, stars in zip(firms, (5, 2), strict=True):
        service_request = resolved_for(user, staff)
        services.service_request_rate(
            service_request=service_request, satisfaction=stars, acting_user=user
        )
    client.force_login(staff)
    page = client.get(reverse("service_desk:desk"))
    assert page.context["satisfaction"]["count"] == 2
    assert page.context["satisfaction"]["average"] == 3.5
    body = page.content.decode()
    assert 'data-satisfaction="5"' in body and 'data-satisfaction="2"' in body
    detail = client.get(reverse("service_desk:request_detail", args=[service_request.pk]))
    assert 'id="request-satisfaction" data-satisfaction="2"' in detail.content.decode()


def test_the_monthly_figures_count_and_average_the_ratings(firm_user, staff):
    from portal.statistics.lib import Period
    from portal.statistics.sections import services as section

    today = timezone.localdate()
    for stars, description in ((4, "甲"), (5, "乙")):
        service_request = resolved_for(firm_user, staff, description=description)
        services.service_request_rate(
            service_request=service_request, satisfaction=stars, acting_user=firm_user
        )
    figures = section.compute(Period.of(today))
    assert figures["satisfaction_ratings_ytd"] == 2
    assert figures["satisfaction_average_ytd"] == 4.5
    # A rating given after the period's end is not in it.
    previous = Period.of(today.replace(day=1) - dt.timedelta(days=1))
    if previous.last_day.year == today.year:
        assert section.compute(previous)["satisfaction_ratings_ytd"] == 0


# ------------------------------------------------------------------------------ query counts


@pytest.mark.parametrize("rows", [1, 10])
def test_the_firms_request_page_query_count(
    firm_client, firm_user, staff, rows, django_assert_max_num_queries
):
    service_request = resolved_for(firm_user, staff)
    for n in range(rows):
        services.service_request_firm_reply(
            service_request=service_request, note=f"回复{n}", acting_user=firm_user
        )
        services.service_request_attach(
            service_request=service_request,
            file=SimpleUploadedFile(f"附件{n}.pdf", PDF),
            acting_user=firm_user,
        )
    # session, user, enterprise, request with its status changes (2), the timeline's
    # actors, files with uploaders, the work queue's count in the navigation, the official
    # calendar for the reopening window (read once per process)
    with django_assert_max_num_queries(10):
        response = firm_client.get(reverse("enterprises:request_detail", args=[service_request.pk]))
    assert response.status_code == 200
    assert response.content.decode().count("data-attachment=") == rows
