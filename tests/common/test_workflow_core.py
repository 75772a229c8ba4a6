"""The workflow mechanism itself, on a test table over the service request model: actors,
refusals that write nothing, the record, the outbox, sending once, and the admin steps."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError

from common.models import Notification, QueueHandover
from common.notifications import notification_send, notification_write
from common.workflow import (
    SYSTEM,
    Permission,
    Relation,
    Workflow,
    acting_party,
    move,
    require_step,
    transition,
)
from enterprises.models import ServiceRequest, ServiceRequestStatusChange
from tests.enterprises.factories import EnterpriseFactory, ServiceRequestFactory
from tests.portal.factories import EnterpriseUserFactory, StaffFactory, UserFactory

pytestmark = pytest.mark.django_db

S = ServiceRequest.Status
STAFF = Permission("enterprises.change_servicerequest", "业务科室")
FIRM = Relation("enterprise", "申请企业", kind="enterprise", path="enterprise_id")
TEST_FLOW = Workflow(
    name="test.request",
    label="测试流程",
    model="enterprises.ServiceRequest",
    states=S,
    steps={
        (S.OPEN, S.FORWARDED): (STAFF,),
        (S.FORWARDED, S.RESOLVED): (STAFF,),
        (S.OPEN, S.CLOSED): (FIRM, STAFF),
        (S.FORWARDED, S.CLOSED): (SYSTEM,),
    },
    next={S.OPEN: (STAFF,), S.FORWARDED: (STAFF,)},
    tell={S.RESOLVED: (FIRM,), S.CLOSED: (FIRM,)},
    record="enterprises.ServiceRequestStatusChange",
    record_fk="service_request",
    title=lambda r: f"诉求 {r.pk}",
    holder_field=None,
)


@pytest.fixture
def request_row():
    return ServiceRequestFactory(status=S.OPEN)


def _records(row) -> int:
    return ServiceRequestStatusChange.objects.filter(service_request=row).count()


def test_actors_hold_by_permission_relation_or_schedule(request_row):
    staff = StaffFactory()
    firm_user = EnterpriseUserFactory(enterprise=request_row.enterprise)
    other_firm = EnterpriseUserFactory(enterprise=EnterpriseFactory())
    pending = EnterpriseUserFactory(enterprise=request_row.enterprise, link_status="pending")
    assert STAFF.holds(staff, request_row) and not STAFF.holds(firm_user, request_row)
    assert FIRM.holds(firm_user, request_row)
    assert not FIRM.holds(other_firm, request_row) and not FIRM.holds(pending, request_row)
    assert SYSTEM.holds(None, request_row) and not SYSTEM.holds(staff, request_row)
    assert list(FIRM.recipients(request_row)) == [firm_user]
    assert FIRM.scope(other_firm) is not None and FIRM.scope(staff) is None
    assert TEST_FLOW.steps_for(firm_user, request_row) == [S.CLOSED]
    assert TEST_FLOW.steps_for(staff, request_row) == [S.FORWARDED, S.CLOSED]


def test_a_step_not_in_the_table_or_by_the_wrong_actor_writes_nothing(request_row):
    staff = StaffFactory()
    firm_user = EnterpriseUserFactory(enterprise=request_row.enterprise)
    with pytest.raises(ValidationError, match="不能变为"):
        transition(TEST_FLOW, request_row, S.RESOLVED, acting_user=staff)
    with pytest.raises(PermissionDenied, match="业务科室"):
        transition(TEST_FLOW, request_row, S.FORWARDED, acting_user=firm_user)
    request_row.refresh_from_db()
    assert request_row.status == S.OPEN
    assert _records(request_row) == 0 and Notification.objects.count() == 0


def test_a_step_records_and_tells_the_next_actor_with_a_link_for_them(request_row):
    staff, colleague = StaffFactory(), StaffFactory()
    StaffFactory(is_active=False)
    row = transition(
        TEST_FLOW,
        request_row,
        S.FORWARDED,
        acting_user=staff,
        note="转区发改委",
        check=lambda locked: setattr(locked, "handling", ServiceRequest.Handling.FORWARDED),
    )
    assert row.status == S.FORWARDED
    change = ServiceRequestStatusChange.objects.get(service_request=row)
    assert (change.from_status, change.to_status, change.acting_user, change.note) == (
        S.OPEN,
        S.FORWARDED,
        staff,
        "转区发改委",
    )
    told = Notification.objects.order_by("recipient_id")
    # the person who made the step is not told of it; the inactive account is not told
    assert [n.recipient for n in told] == [colleague]
    first = told[0]
    assert first.url.endswith(f"/admin/enterprises/servicerequest/{row.pk}/change/")
    assert "等待您处理" in first.subject or "Waiting" not in first.subject
    assert "转区发改委" in first.body and first.url in first.body


def test_the_owner_is_told_of_the_outcome_without_officers_names(request_row):
    staff = StaffFactory(first_name="婷", last_name="周")
    firm_user = EnterpriseUserFactory(enterprise=request_row.enterprise)
    with pytest.raises(PermissionDenied):
        require_step(TEST_FLOW, request_row, S.CLOSED, None)
    transition(TEST_FLOW, request_row, S.CLOSED, acting_user=staff, note="已答复")
    to_firm = Notification.objects.get(recipient=firm_user)
    assert "周婷" not in to_firm.body
    change = ServiceRequestStatusChange.objects.get()
    assert acting_party(change, for_bureau=True) == "周婷"
    assert acting_party(change, for_bureau=False) != "周婷"


def test_a_system_step_is_made_without_a_person(request_row):
    request_row.status, request_row.handling = S.FORWARDED, ServiceRequest.Handling.FORWARDED
    request_row.save()
    locked = TEST_FLOW.model_class.objects.get(pk=request_row.pk)
    require_step(TEST_FLOW, locked, S.CLOSED, None)
    change = move(TEST_FLOW, locked, S.CLOSED, acting_user=None)
    assert change.acting_user is None


def test_a_handover_sends_the_holders_items_to_the_colleague(request_row):
    import datetime as dt

    from common.notifications import _recipients

    away, colleague = StaffFactory(), StaffFactory()
    flow = Workflow(**{**TEST_FLOW.__dict__, "holder_field": "handler"})
    request_row.handler = away
    request_row.save()
    assert [u.pk for u in _recipients(flow, request_row, STAFF)] == [away.pk]
    today = dt.date.today()
    QueueHandover.objects.create(from_user=away, to_user=colleague, starts_on=today, ends_on=today)
    assert [u.pk for u in _recipients(flow, request_row, STAFF)] == [colleague.pk]


def test_a_dedupe_key_writes_once_and_a_send_happens_once(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    person = UserFactory()
    no_email = UserFactory(email="")
    first = notification_write(
        recipients=[person, person, no_email], subject="提醒", body="正文", kind="t", dedupe_key="k"
    )
    again = notification_write(
        recipients=[person], subject="提醒", body="正文", kind="t", dedupe_key="k"
    )
    assert len(first) == 2 and again == []
    sendable = next(n for n in first if n.recipient == person)
    assert notification_send(notification_id=sendable.pk) == "sent"
    assert notification_send(notification_id=sendable.pk) == "skipped"
    assert len(mail.outbox) == 1
    assert Notification.objects.get(recipient=no_email).status == Notification.Status.FAILED
