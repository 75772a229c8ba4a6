"""The service desk's two workflows (enterprises.workflows): each table walked against every
role through the services, and every step telling its next actors and the enterprise, each
with a link that opens for them."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from common.models import Notification
from common.workflow import transition
from enterprises import services
from enterprises.models import ProjectRecommendation, ServiceRequest
from enterprises.workflows import PROJECT_RECOMMENDATION, SERVICE_REQUEST
from tests.enterprises.factories import (
    DepartmentFactory,
    EnterpriseFactory,
    ProjectRecommendationFactory,
    ServiceRequestFactory,
    request_category,
)
from tests.workflow_roles import assert_told, every_role, last_notification_pk
from tests.workflow_walk import walk

pytestmark = pytest.mark.django_db

R = ServiceRequest.Status
P = ProjectRecommendation.Status
# Only the bureau's desk staff (and the bureau admin, who holds every right) make steps;
# the enterprise itself reopens a resolved request.
STEPPING_ROLES = {"bureau_admin", "staff"}
FIRM_STEPS = {(R.RESOLVED, R.OPEN)}
DESK_STEPS = sorted(set(SERVICE_REQUEST.steps) - FIRM_STEPS)


@pytest.fixture
def firm():
    return EnterpriseFactory(name="重庆两江智能装备有限公司")


@pytest.fixture
def roles(firm):
    return every_role(enterprise=firm)


@pytest.fixture
def department():
    return DepartmentFactory(name="区经济信息委")


# ----------------------------------------------------------------------- service requests


def make_request(firm, department):
    def make(state: str) -> ServiceRequest:
        fields: dict = {}
        if state == R.FORWARDED:
            fields = {"handling": "forwarded", "department": department}
        elif state == R.RESOLVED:
            # Resolved today: within the window in which the firm may reopen it.
            fields = {
                "handling": "on_site",
                "resolved_on": timezone.localdate(),
                "resolution_note": "已现场解答",
            }
        elif state == R.CLOSED:
            fields = {"closed_reason": "企业已撤回"}
        return ServiceRequestFactory(enterprise=firm, status=state, **fields)

    return make


def request_step(department):
    services_by_target = {
        R.FORWARDED: lambda r, u: services.service_request_forward(
            service_request=r, department=department, note="已转办", acting_user=u
        ),
        R.RESOLVED: lambda r, u: services.service_request_resolve(
            service_request=r,
            resolved_on=timezone.localdate(),
            note="已协调解决",
            handling="coordinated",
            acting_user=u,
        ),
        R.CLOSED: lambda r, u: services.service_request_close(
            service_request=r, reason="企业已撤回", acting_user=u
        ),
        R.OPEN: lambda r, u: services.service_request_reopen(
            service_request=r, reason="问题仍未解决", acting_user=u
        ),
    }

    def step(obj, target, user):
        if target in services_by_target:
            return services_by_target[target](obj, user)
        return transition(SERVICE_REQUEST, obj, target, acting_user=user)

    return step


def test_the_request_table_walked_against_every_role(roles, firm, department):
    counts = walk(
        SERVICE_REQUEST,
        roles=roles,
        make=make_request(firm, department),
        step=request_step(department),
    )
    # Five desk steps, each made by the two roles of the desk; the firm's reopening.
    assert counts["allowed"] == len(DESK_STEPS) * len(STEPPING_ROLES) + len(FIRM_STEPS) == 11


def test_only_the_desk_makes_request_steps_and_the_firm_reopens(roles, firm, department):
    for source, target in SERVICE_REQUEST.steps:
        obj = make_request(firm, department)(source)
        may = {role for role, user in roles.items() if SERVICE_REQUEST.may(user, obj, target)}
        expected = {"firm"} if (source, target) in FIRM_STEPS else STEPPING_ROLES
        assert may == expected, (source, target)


@pytest.mark.parametrize(("source", "target"), DESK_STEPS)
def test_each_request_step_tells_its_next_actors_and_the_firm(
    client, roles, firm, department, source, target
):
    obj = make_request(firm, department)(source)
    after = last_notification_pk()
    request_step(department)(obj, target, roles["staff"])
    told = assert_told(client, SERVICE_REQUEST, obj, roles, after=after)
    to_firm = next(n for n in told if n.recipient == roles["firm"])
    assert to_firm.url.endswith(reverse("enterprises:request_detail", args=[obj.pk]))
    if target == R.FORWARDED:
        # The handler who forwarded it follows the department up, and is not told of their
        # own step; the firm reads where to.
        assert roles["staff"] not in {n.recipient for n in told}
        assert "区经济信息委" in to_firm.body


def test_a_raised_request_tells_every_desk_staff_member_not_the_firm(client, roles, firm):
    after = last_notification_pk()
    raised = services.service_request_raise(
        enterprise=firm,
        category=request_category("premises"),
        description="扩产需要厂房",
        acting_user=roles["firm"],
    )
    told = assert_told(client, SERVICE_REQUEST, raised, roles, after=after)
    assert {n.recipient for n in told} == {roles["staff"], roles["bureau_admin"]}
    assert all("扩产需要厂房" in n.subject + n.body for n in told)


def test_a_request_staff_register_for_a_colleague_tells_the_colleague(roles, firm):
    staff, colleague = roles["staff"], roles["bureau_admin"]
    after = last_notification_pk()
    services.service_request_register(
        enterprise=firm,
        registered_on=dt.date(2025, 6, 3),
        category=request_category("talent"),
        description="招聘研发人员",
        acting_user=staff,
    )
    # Registered for oneself: nobody needs an email.
    assert not Notification.objects.filter(pk__gt=after).exists()
    services.service_request_register(
        enterprise=firm,
        registered_on=dt.date(2025, 6, 3),
        category=request_category("talent"),
        description="申请人才公寓",
        acting_user=staff,
        handler=colleague,
    )
    assert [n.recipient for n in Notification.objects.filter(pk__gt=after)] == [colleague]


def test_a_reply_tells_the_firm_alone(client, roles, firm):
    obj = make_request(firm, None)(R.OPEN)
    after = last_notification_pk()
    services.service_request_reply(
        service_request=obj, note="已安排专人联系", acting_user=roles["staff"]
    )
    [told] = Notification.objects.filter(pk__gt=after)
    assert told.recipient == roles["firm"] and "已安排专人联系" in told.body
    client.force_login(roles["firm"])
    assert client.get(reverse("enterprises:request_detail", args=[obj.pk])).status_code == 200


def test_the_firm_reads_the_bureau_not_the_officer(roles, firm, department):
    staff = roles["staff"]
    staff.first_name, staff.last_name = "婷", "周"
    staff.save()
    obj = make_request(firm, department)(R.OPEN)
    services.service_request_close(service_request=obj, reason="企业已撤回", acting_user=staff)
    to_firm = Notification.objects.get(recipient=roles["firm"])
    assert "周婷" not in to_firm.body


@pytest.mark.parametrize("step", ["forward", "reply", "update"])
def test_the_desk_locks_the_request_alone_not_the_enterprise_it_joins(
    roles, firm, department, step
):
    obj = make_request(firm, department)(R.OPEN)
    staff = roles["staff"]
    calls = {
        "forward": lambda: services.service_request_forward(
            service_request=obj, department=department, acting_user=staff
        ),
        "reply": lambda: services.service_request_reply(
            service_request=obj, note="已收到", acting_user=staff
        ),
        "update": lambda: services.service_request_update(
            service_request=obj, acting_user=staff, category=request_category("talent")
        ),
    }
    with CaptureQueriesContext(connection) as queries:
        calls[step]()
    locks = [q["sql"] for q in queries.captured_queries if "FOR UPDATE" in q["sql"]]
    assert locks and all('FOR UPDATE OF "enterprises_servicerequest"' in sql for sql in locks)


# --------------------------------------------------------------- project recommendations


def make_recommendation(firm):
    def make(state: str) -> ProjectRecommendation:
        fields: dict = {}
        if state != P.PREPARING:
            fields["recommended_on"] = dt.date(2025, 3, 1)
        if state in (P.FUNDED, P.NOT_FUNDED):
            fields["decided_on"] = dt.date(2025, 9, 1)
        if state == P.FUNDED:
            fields["funding_amount"] = Decimal("3000000")
        return ProjectRecommendationFactory(enterprise=firm, status=state, **fields)

    return make


def recommendation_step(obj, target, user):
    today = timezone.localdate()
    if target == P.RECOMMENDED:
        return services.project_recommendation_recommend(
            recommendation=obj, recommended_on=today, acting_user=user
        )
    if target == P.FUNDED:
        return services.project_recommendation_fund(
            recommendation=obj,
            funding_amount=Decimal("3000000"),
            decided_on=today,
            acting_user=user,
        )
    if target == P.NOT_FUNDED:
        return services.project_recommendation_decline(
            recommendation=obj, decided_on=today, acting_user=user
        )
    return transition(PROJECT_RECOMMENDATION, obj, target, acting_user=user)


def test_the_recommendation_table_walked_against_every_role(roles, firm):
    counts = walk(
        PROJECT_RECOMMENDATION,
        roles=roles,
        make=make_recommendation(firm),
        step=recommendation_step,
    )
    assert counts["allowed"] == len(PROJECT_RECOMMENDATION.steps) * len(STEPPING_ROLES) == 6


def test_only_staff_make_recommendation_steps(roles, firm):
    for source, target in PROJECT_RECOMMENDATION.steps:
        obj = make_recommendation(firm)(source)
        may = {
            role for role, user in roles.items() if PROJECT_RECOMMENDATION.may(user, obj, target)
        }
        assert may == STEPPING_ROLES, (source, target)


@pytest.mark.parametrize(("source", "target"), sorted(PROJECT_RECOMMENDATION.steps))
def test_each_recommendation_step_tells_its_next_actors_and_the_firm(
    client, roles, firm, source, target
):
    obj = make_recommendation(firm)(source)
    after = last_notification_pk()
    recommendation_step(obj, target, roles["staff"])
    told = assert_told(client, PROJECT_RECOMMENDATION, obj, roles, after=after)
    assert roles["firm"] in {n.recipient for n in told}
    if target == P.RECOMMENDED:
        # The decision is still to be recorded: the bureau's other staff are told it waits
        # for them (the one who recommended is not told of their own step).
        assert roles["bureau_admin"] in {n.recipient for n in told}
        assert roles["staff"] not in {n.recipient for n in told}
