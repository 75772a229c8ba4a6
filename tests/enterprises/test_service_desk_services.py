"""Service-desk services: the request workflow (transitions x roles), bad input refused with
nothing saved, status-change records and history; visits; project recommendations."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from enterprises import services
from enterprises.models import (
    ProjectRecommendation,
    ServiceRequest,
    ServiceVisit,
)
from portal.accounts.roles import Role
from tests.enterprises.factories import (
    DepartmentFactory,
    EnterpriseFactory,
    ServiceRequestFactory,
    request_category,
)
from tests.portal.factories import EnterpriseUserFactory, StaffFactory

pytestmark = pytest.mark.django_db
Status = ServiceRequest.Status


@pytest.fixture
def staff():
    return StaffFactory()


@pytest.fixture
def enterprise_user():
    return EnterpriseUserFactory()


@pytest.fixture
def department():
    return DepartmentFactory(name="区人力社保局")


def raise_request(user, description="申请高企认定培训名额") -> ServiceRequest:
    return services.service_request_raise(
        enterprise=user.enterprise,
        category=request_category("policy"),
        description=description,
        acting_user=user,
    )


def actor(role: str):
    if role == "enterprise":
        return EnterpriseUserFactory()
    if role == "staff":
        return StaffFactory()
    if role == "admin":
        return StaffFactory(roles=[Role.BUREAU_ADMIN])
    if role == "finance":
        return StaffFactory(roles=[Role.FINANCE])
    raise AssertionError(role)


STEPS = {
    "forward": lambda r, u, d: services.service_request_forward(
        service_request=r, department=d, acting_user=u, note="已转区人力社保局办理"
    ),
    "resolve": lambda r, u, d: services.service_request_resolve(
        service_request=r,
        resolved_on=timezone.localdate(),
        note="已现场解答",
        handling="on_site",
        acting_user=u,
    ),
    "close": lambda r, u, d: services.service_request_close(
        service_request=r, reason="企业已撤回", acting_user=u
    ),
    "reply": lambda r, u, d: services.service_request_reply(
        service_request=r, note="已收到，正在联系", acting_user=u
    ),
}


@pytest.mark.parametrize("step", sorted(STEPS))
@pytest.mark.parametrize(
    ("role", "allowed"),
    [("staff", True), ("admin", True), ("finance", False), ("enterprise", False)],
)
def test_request_steps_by_role(step, role, allowed, enterprise_user, department):
    service_request = raise_request(enterprise_user)
    user = actor(role)
    changes_before = service_request.status_changes.count()

    if allowed:
        STEPS[step](service_request, user, department)
        assert service_request.status_changes.count() == changes_before + 1
    else:
        with pytest.raises(PermissionDenied):
            STEPS[step](service_request, user, department)
        service_request.refresh_from_db()
        assert service_request.status == Status.OPEN
        assert service_request.status_changes.count() == changes_before


def test_the_enterprise_itself_cannot_forward_or_resolve_its_request(enterprise_user, department):
    service_request = raise_request(enterprise_user)
    for step in ("forward", "resolve", "close"):
        with pytest.raises(PermissionDenied):
            STEPS[step](service_request, enterprise_user, department)


def test_an_enterprise_raises_requests_only_for_itself(enterprise_user):
    other = EnterpriseFactory()
    with pytest.raises(PermissionDenied):
        services.service_request_raise(
            enterprise=other,
            category=request_category("policy"),
            description="代别人提",
            acting_user=enterprise_user,
        )
    assert not ServiceRequest.objects.exists()


def test_a_user_waiting_for_approval_cannot_raise_a_request():
    pending = EnterpriseUserFactory(link_status="pending")
    with pytest.raises(PermissionDenied):
        raise_request(pending)


def test_raised_request_is_open_due_in_fifteen_working_days_with_its_first_step(
    enterprise_user, time_machine
):
    time_machine.move_to(dt.datetime(2026, 9, 28, 10, 0))
    service_request = raise_request(enterprise_user)

    assert service_request.status == Status.OPEN
    assert service_request.registered_on == dt.date(2026, 9, 28)
    # National Day 10-01..10-07 off, Saturday 10-10 worked
    assert service_request.due_on == dt.date(2026, 10, 23)
    assert service_request.raised_by == enterprise_user
    assert service_request.handler is None
    change = service_request.status_changes.get()
    assert (change.from_status, change.to_status) == ("", Status.OPEN)
    assert service_request.history.get().history_user == enterprise_user


def test_the_same_request_twice_on_one_day_is_refused(enterprise_user):
    raise_request(enterprise_user, "同一个问题")
    with pytest.raises(ValidationError) as caught:
        raise_request(enterprise_user, "  同一个问题 ")
    assert "description" in caught.value.message_dict
    assert ServiceRequest.objects.count() == 1


def test_forward_then_resolve_records_each_step(enterprise_user, staff, department):
    service_request = raise_request(enterprise_user)

    forwarded = services.service_request_forward(
        service_request=service_request, department=department, acting_user=staff, note="转办"
    )
    assert forwarded.status == Status.FORWARDED
    assert forwarded.handling == ServiceRequest.Handling.FORWARDED
    assert forwarded.department == department
    assert forwarded.handler == staff  # the forwarding staff member takes it up

    resolved = services.service_request_resolve(
        service_request=forwarded,
        resolved_on=timezone.localdate(),
        note="人社局已答复补贴申报流程",
        acting_user=staff,
    )
    assert resolved.status == Status.RESOLVED
    assert resolved.handling == ServiceRequest.Handling.FORWARDED
    assert resolved.resolution_note == "人社局已答复补贴申报流程"
    steps = list(resolved.status_changes.values_list("from_status", "to_status", "acting_user"))
    assert steps == [
        ("", "open", enterprise_user.pk),
        ("open", "forwarded", staff.pk),
        ("forwarded", "resolved", staff.pk),
    ]
    assert [h.history_change_reason for h in resolved.history.order_by("history_date")] == [
        "raised by the enterprise",
        "forwarded",
        "resolved",
    ]


def test_forwarding_without_a_department_is_refused(enterprise_user, staff):
    service_request = raise_request(enterprise_user)
    with pytest.raises(ValidationError) as caught:
        services.service_request_forward(
            service_request=service_request, department=None, acting_user=staff
        )
    assert caught.value.message_dict["department"] == ["请选择转办的部门。"]
    service_request.refresh_from_db()
    assert service_request.status == Status.OPEN
    assert service_request.status_changes.count() == 1


def test_messages_are_chinese_when_the_language_is(enterprise_user, staff):
    service_request = raise_request(enterprise_user)
    from django.utils import translation

    with translation.override("zh-hans"), pytest.raises(ValidationError) as caught:
        services.service_request_forward(
            service_request=service_request, department=None, acting_user=staff
        )
    assert "部门" in caught.value.message_dict["department"][0]


def test_forwarding_to_an_inactive_department_is_refused(enterprise_user, staff):
    closed = DepartmentFactory(name="已撤并部门", active=False)
    with pytest.raises(ValidationError):
        services.service_request_forward(
            service_request=raise_request(enterprise_user), department=closed, acting_user=staff
        )


def test_resolving_without_a_note_is_refused(enterprise_user, staff):
    service_request = raise_request(enterprise_user)
    with pytest.raises(ValidationError) as caught:
        services.service_request_resolve(
            service_request=service_request,
            resolved_on=timezone.localdate(),
            note="   ",
            handling="on_site",
            acting_user=staff,
        )
    assert set(caught.value.message_dict) == {"note"}
    service_request.refresh_from_db()
    assert service_request.status == Status.OPEN
    assert service_request.resolved_on is None


def test_a_resolution_dated_before_registration_is_refused(staff):
    service_request = services.service_request_register(
        enterprise=EnterpriseFactory(),
        registered_on=dt.date(2025, 5, 20),
        category=request_category("talent"),
        description="引进博士的住房补贴",
        acting_user=staff,
    )
    with pytest.raises(ValidationError) as caught:
        services.service_request_resolve(
            service_request=service_request,
            resolved_on=dt.date(2025, 5, 19),
            note="已解决",
            handling="coordinated",
            acting_user=staff,
        )
    assert caught.value.message_dict["resolved_on"] == ["解决日期不能早于登记日期。"]
    service_request.refresh_from_db()
    assert service_request.status == Status.OPEN


def test_a_resolution_in_the_future_is_refused(enterprise_user, staff):
    with pytest.raises(ValidationError) as caught:
        services.service_request_resolve(
            service_request=raise_request(enterprise_user),
            resolved_on=timezone.localdate() + dt.timedelta(days=1),
            note="已解决",
            handling="on_site",
            acting_user=staff,
        )
    assert "resolved_on" in caught.value.message_dict


def test_an_open_request_resolved_directly_says_how(enterprise_user, staff):
    with pytest.raises(ValidationError) as caught:
        services.service_request_resolve(
            service_request=raise_request(enterprise_user),
            resolved_on=timezone.localdate(),
            note="已解决",
            acting_user=staff,
        )
    assert set(caught.value.message_dict) == {"handling"}


def test_closing_needs_a_reason(enterprise_user, staff):
    with pytest.raises(ValidationError) as caught:
        services.service_request_close(
            service_request=raise_request(enterprise_user), reason="", acting_user=staff
        )
    assert set(caught.value.message_dict) == {"reason"}


@pytest.mark.parametrize("final", ["resolve", "close"])
def test_a_finished_request_takes_no_further_step(final, enterprise_user, staff, department):
    service_request = raise_request(enterprise_user)
    STEPS[final](service_request, staff, department)
    for step in ("forward", "resolve", "close"):
        with pytest.raises(ValidationError):
            STEPS[step](service_request, staff, department)
    assert service_request.status_changes.count() == 2


def test_a_forwarded_request_cannot_be_forwarded_again(enterprise_user, staff, department):
    service_request = raise_request(enterprise_user)
    STEPS["forward"](service_request, staff, department)
    with pytest.raises(ValidationError):
        STEPS["forward"](service_request, staff, DepartmentFactory())


def test_a_reply_keeps_the_status(enterprise_user, staff):
    service_request = raise_request(enterprise_user)
    reply = services.service_request_reply(
        service_request=service_request, note="已安排专人联系", acting_user=staff
    )
    assert (reply.from_status, reply.to_status) == ("open", "open")
    with pytest.raises(ValidationError):
        services.service_request_reply(service_request=service_request, note="", acting_user=staff)


def test_the_workflow_table_is_the_one_the_services_follow():
    from enterprises.workflows import SERVICE_REQUEST

    assert SERVICE_REQUEST.targets("open") == ["forwarded", "resolved", "closed"]
    assert SERVICE_REQUEST.targets("forwarded") == ["resolved", "closed"]
    # The enterprise reopens a resolution that did not hold; a closed request stays closed.
    assert SERVICE_REQUEST.targets("resolved") == ["open"]
    assert SERVICE_REQUEST.targets("closed") == []


def test_the_database_refuses_a_resolution_before_registration():
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceRequestFactory(
            registered_on=dt.date(2025, 3, 10),
            status="resolved",
            resolved_on=dt.date(2025, 3, 9),
        )


def test_the_database_refuses_a_forwarded_request_not_handled_by_a_department():
    with pytest.raises(IntegrityError), transaction.atomic():
        ServiceRequestFactory(status="forwarded", handling="on_site")


def test_staff_register_a_request_collected_at_a_visit(staff):
    enterprise = EnterpriseFactory()
    visit = services.service_visit_record(
        enterprise=enterprise,
        visited_on=dt.date(2025, 6, 3),
        visitors="张科长、李干事",
        acting_user=staff,
    )
    service_request = services.service_request_register(
        enterprise=enterprise,
        registered_on=dt.date(2025, 6, 3),
        category=request_category("premises"),
        description="扩产需要 2000 平方米厂房",
        visit=visit,
        acting_user=staff,
    )
    assert service_request.visit == visit
    assert service_request.handler == staff
    assert service_request.due_on == dt.date(2025, 6, 24)  # 15 working days (6-2 was 端午节)
    assert list(visit.requests.all()) == [service_request]


def test_a_request_cannot_point_to_a_visit_to_another_firm(staff):
    visit = services.service_visit_record(
        enterprise=EnterpriseFactory(),
        visited_on=dt.date(2025, 6, 3),
        visitors="张科长",
        acting_user=staff,
    )
    with pytest.raises(ValidationError):
        services.service_request_register(
            enterprise=EnterpriseFactory(),
            registered_on=dt.date(2025, 6, 3),
            category=request_category("other"),
            description="别家的问题",
            visit=visit,
            acting_user=staff,
        )


def test_visits_are_for_staff_once_per_firm_and_day(staff, enterprise_user):
    enterprise = enterprise_user.enterprise
    with pytest.raises(PermissionDenied):
        services.service_visit_record(
            enterprise=enterprise,
            visited_on=dt.date(2025, 6, 3),
            visitors="我",
            acting_user=enterprise_user,
        )
    services.service_visit_record(
        enterprise=enterprise, visited_on=dt.date(2025, 6, 3), visitors="张科长", acting_user=staff
    )
    with pytest.raises(ValidationError):
        services.service_visit_record(
            enterprise=enterprise,
            visited_on=dt.date(2025, 6, 3),
            visitors="李干事",
            acting_user=staff,
        )
    with pytest.raises(ValidationError):
        services.service_visit_record(
            enterprise=enterprise,
            visited_on=timezone.localdate() + dt.timedelta(days=1),
            visitors="张科长",
            acting_user=staff,
        )
    assert ServiceVisit.objects.count() == 1


# ------------------------------------------------------------------ project recommendations


def new_recommendation(staff) -> ProjectRecommendation:
    return services.project_recommendation_create(
        enterprise=EnterpriseFactory(),
        programme="国家重点研发计划",
        level="national",
        title="工业互联网安全关键技术",
        year=2025,
        acting_user=staff,
    )


def test_recommendation_preparing_recommended_funded(staff):
    recommendation = new_recommendation(staff)
    assert recommendation.status == "preparing"

    services.project_recommendation_recommend(
        recommendation=recommendation, recommended_on=dt.date(2025, 3, 1), acting_user=staff
    )
    funded = services.project_recommendation_fund(
        recommendation=recommendation,
        funding_amount=Decimal("3000000.00"),
        decided_on=dt.date(2025, 9, 1),
        acting_user=staff,
    )
    assert funded.status == "funded"
    assert funded.funding_amount == Decimal("3000000.00")
    assert list(funded.status_changes.values_list("to_status", flat=True)) == [
        "preparing",
        "recommended",
        "funded",
    ]


def test_recommendation_not_funded_has_no_amount(staff):
    recommendation = new_recommendation(staff)
    services.project_recommendation_recommend(
        recommendation=recommendation, recommended_on=dt.date(2025, 3, 1), acting_user=staff
    )
    declined = services.project_recommendation_decline(
        recommendation=recommendation, decided_on=dt.date(2025, 9, 1), acting_user=staff
    )
    assert (declined.status, declined.funding_amount) == ("not_funded", None)


def test_recommendation_refusals(staff, enterprise_user):
    recommendation = new_recommendation(staff)
    with pytest.raises(ValidationError):  # not recommended yet
        services.project_recommendation_fund(
            recommendation=recommendation,
            funding_amount=Decimal("100"),
            decided_on=dt.date(2025, 9, 1),
            acting_user=staff,
        )
    with pytest.raises(PermissionDenied):
        services.project_recommendation_recommend(
            recommendation=recommendation,
            recommended_on=dt.date(2025, 3, 1),
            acting_user=enterprise_user,
        )
    services.project_recommendation_recommend(
        recommendation=recommendation, recommended_on=dt.date(2025, 3, 1), acting_user=staff
    )
    with pytest.raises(ValidationError) as caught:
        services.project_recommendation_fund(
            recommendation=recommendation,
            funding_amount=None,
            decided_on=dt.date(2025, 9, 1),
            acting_user=staff,
        )
    assert set(caught.value.message_dict) == {"funding_amount"}
    with pytest.raises(ValidationError) as caught:
        services.project_recommendation_decline(
            recommendation=recommendation, decided_on=dt.date(2025, 2, 1), acting_user=staff
        )
    assert set(caught.value.message_dict) == {"decided_on"}
    recommendation.refresh_from_db()
    assert recommendation.status == "recommended"
