"""Service-desk pages: the enterprise's requests and projects (scoped, 404 for another's),
the staff desk and its steps; query counts that do not grow with rows."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from enterprises import services
from enterprises.models import ServiceRequest
from portal.accounts.roles import Role
from tests.enterprises.factories import (
    DepartmentFactory,
    ProjectRecommendationFactory,
    ServiceRequestFactory,
    ServiceVisitFactory,
    request_category,
)
from tests.portal.factories import EnterpriseUserFactory, StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def user_a():
    return EnterpriseUserFactory()


@pytest.fixture
def client_a(client, user_a):
    client.force_login(user_a)
    return client


@pytest.fixture
def staff():
    return StaffFactory(first_name="科长", last_name="张")


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def raise_for(user, description="咨询研发费用加计扣除") -> ServiceRequest:
    return services.service_request_raise(
        enterprise=user.enterprise,
        category=request_category("policy"),
        description=description,
        acting_user=user,
    )


# ----------------------------------------------------------------------- enterprise side


def test_enterprise_raises_a_request_and_sees_it(client_a, user_a):
    response = client_a.post(
        reverse("enterprises:request_create"),
        {
            "category": request_category("financing").pk,
            "description": "希望了解知识价值信用贷款申请条件",
        },
    )
    created = ServiceRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("enterprises:request_detail", args=[created.pk])
    assert created.enterprise == user_a.enterprise
    assert created.raised_by == user_a

    page = client_a.get(reverse("enterprises:my_requests")).content.decode()
    assert "希望了解知识价值信用贷款申请条件" in page


def test_an_empty_request_is_refused_at_the_field(client_a):
    response = client_a.post(
        reverse("enterprises:request_create"), {"category": request_category("policy").pk}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["description"]
    assert not ServiceRequest.objects.exists()


def test_enterprise_sees_the_resolution_and_replies(client_a, user_a, staff):
    service_request = raise_for(user_a)
    services.service_request_reply(
        service_request=service_request, note="已安排专人联系您", acting_user=staff
    )
    services.service_request_resolve(
        service_request=service_request,
        resolved_on=timezone.localdate(),
        handling="on_site",
        note="加计扣除比例为 100%，已发送申报指引",
        acting_user=staff,
    )
    page = client_a.get(
        reverse("enterprises:request_detail", args=[service_request.pk])
    ).content.decode()
    assert "已安排专人联系您" in page
    assert "加计扣除比例为 100%，已发送申报指引" in page


def test_another_enterprises_request_is_404(client_a):
    other_user = EnterpriseUserFactory()
    theirs = raise_for(other_user, "别家企业的诉求")

    assert client_a.get(reverse("enterprises:request_detail", args=[theirs.pk])).status_code == 404
    assert client_a.get(reverse("enterprises:request_detail", args=[987654])).status_code == 404
    assert "别家企业的诉求" not in client_a.get(reverse("enterprises:my_requests")).content.decode()


def test_a_user_waiting_for_approval_is_sent_to_the_pending_page(client):
    client.force_login(EnterpriseUserFactory(link_status="pending"))
    response = client.get(reverse("enterprises:my_requests"))
    assert response.status_code == 302
    assert response["Location"] == reverse("link_pending")


@pytest.mark.parametrize("rows", [1, 12])
def test_my_requests_query_count_does_not_grow_with_rows(
    client_a, user_a, staff, rows, django_assert_max_num_queries
):
    department = DepartmentFactory()
    for n in range(rows):
        service_request = raise_for(user_a, f"诉求{n}")
        services.service_request_forward(
            service_request=service_request, department=department, acting_user=staff
        )
    # session, user, enterprise, requests with departments, their status changes, the work
    # queue's count in the navigation
    with django_assert_max_num_queries(6):
        response = client_a.get(reverse("enterprises:my_requests"))
    assert response.status_code == 200
    assert response.content.decode().count(department.name) == rows


def test_enterprise_sees_its_own_project_recommendations(client_a, user_a):
    ProjectRecommendationFactory(
        enterprise=user_a.enterprise,
        title="氢能储运关键材料",
        status="funded",
        recommended_on=dt.date(2025, 3, 1),
        decided_on=dt.date(2025, 9, 1),
        funding_amount=Decimal("3000000"),
    )
    ProjectRecommendationFactory(title="别家的项目")
    page = client_a.get(reverse("enterprises:my_projects")).content.decode()
    assert "氢能储运关键材料" in page and "300" in page
    assert "别家的项目" not in page


@pytest.mark.parametrize("rows", [1, 10])
def test_my_projects_query_count(client_a, user_a, rows, django_assert_max_num_queries):
    ProjectRecommendationFactory.create_batch(rows, enterprise=user_a.enterprise)
    # session, user, enterprise, recommendations, the work queue's count in the navigation
    with django_assert_max_num_queries(5):
        assert client_a.get(reverse("enterprises:my_projects")).status_code == 200


# ---------------------------------------------------------------------------- staff side


def test_the_desk_is_for_staff_of_the_service_desk(client, user_a):
    client.force_login(user_a)
    assert client.get(reverse("service_desk:desk")).status_code == 403
    client.force_login(StaffFactory(roles=[Role.FINANCE]))
    assert client.get(reverse("service_desk:desk")).status_code == 403
    client.logout()
    assert client.get(reverse("service_desk:desk")).status_code == 302  # to the login page


def test_desk_shows_pending_requests_overdue_highlighted_and_year_counts(staff_client, staff):
    today = timezone.localdate()
    department = DepartmentFactory(name="区规划自然资源局")
    late = ServiceRequestFactory(
        registered_on=today - dt.timedelta(days=40),
        due_on=today - dt.timedelta(days=25),
        description="厂房用地规划调整",
    )
    services.service_request_forward(service_request=late, department=department, acting_user=staff)
    fresh = ServiceRequestFactory(registered_on=today, due_on=today + dt.timedelta(days=15))
    ServiceRequestFactory(
        registered_on=today,
        status="resolved",
        handling="on_site",
        resolved_on=today,
        description="已解决的不在待办中",
    )
    ServiceVisitFactory(visited_on=today)

    response = staff_client.get(reverse("service_desk:desk"))
    page = response.content.decode()

    assert response.status_code == 200
    assert "厂房用地规划调整" not in page  # the list shows numbers, not descriptions
    assert f"#{late.pk}" in page and f"#{fresh.pk}" in page
    assert "已解决的不在待办中" not in page
    assert page.count('class="overdue"') == 2  # the late request's row and its department's
    table = {row["department"]: row for row in response.context["age_table"]}
    assert table["区规划自然资源局"]["bands"] == [0, 0, 0, 1]
    assert table["区规划自然资源局"]["overdue"] == 1
    assert table[None]["bands"] == [1, 0, 0, 0]
    assert response.context["counts"]["visited_firms_ytd"] == 1
    assert response.context["counts"]["requests_resolved_ytd"] == 1


def test_desk_filters_by_department(staff_client, staff):
    department = DepartmentFactory()
    forwarded = ServiceRequestFactory(registered_on=timezone.localdate())
    services.service_request_forward(
        service_request=forwarded, department=department, acting_user=staff
    )
    unforwarded = ServiceRequestFactory(registered_on=timezone.localdate())

    page = staff_client.get(reverse("service_desk:desk"), {"department": department.pk})
    listed = [item.pk for item in page.context["page"].object_list]
    assert listed == [forwarded.pk]
    page = staff_client.get(reverse("service_desk:desk"), {"department": "none"})
    assert [item.pk for item in page.context["page"].object_list] == [unforwarded.pk]


@pytest.mark.parametrize("rows", [1, 15])
def test_desk_query_count_does_not_grow_with_rows(
    staff_client, staff, rows, django_assert_max_num_queries
):
    departments = DepartmentFactory.create_batch(3)
    today = timezone.localdate()
    for n in range(rows):
        service_request = ServiceRequestFactory(
            registered_on=today - dt.timedelta(days=n * 3), due_on=today
        )
        if n % 2:
            services.service_request_forward(
                service_request=service_request,
                department=departments[n % 3],
                acting_user=staff,
            )
        ServiceVisitFactory(visited_on=today - dt.timedelta(days=n))
        # A rated resolution for the satisfaction panel.
        ServiceRequestFactory(
            registered_on=today - dt.timedelta(days=n),
            status="resolved",
            handling="on_site",
            resolved_on=today,
            satisfaction=1 + n % 5,
            rated_on=today,
        )
    # session, user, the user's and its groups' permissions (2), page count, page rows with
    # enterprise/department/handler, the age table, the three year counts, the ratings'
    # count and average, the latest ratings with firm and handler, the work queue's count in
    # the navigation, the official calendar for the overdue mark (read once per process, at
    # most once a minute)
    with django_assert_max_num_queries(14):
        response = staff_client.get(reverse("service_desk:desk"))
    assert response.status_code == 200


def test_staff_forward_then_resolve_from_the_desk(staff_client, user_a, staff):
    service_request = raise_for(user_a)
    department = DepartmentFactory(name="区金融发展服务中心")
    step = lambda name: reverse("service_desk:request_step", args=[service_request.pk, name])  # noqa: E731

    refused = staff_client.post(step("forward"), {"forward-note": "转办"})
    assert refused.status_code == 400
    assert refused.context["forms"]["forward"].errors["department"]

    done = staff_client.post(
        step("forward"), {"forward-department": department.pk, "forward-note": "已转办"}
    )
    assert done.status_code == 302
    service_request.refresh_from_db()
    assert service_request.status == "forwarded"

    refused = staff_client.post(step("resolve"), {"resolve-resolved_on": "", "resolve-note": ""})
    assert refused.status_code == 400
    assert set(refused.context["forms"]["resolve"].errors) == {"resolved_on", "note"}

    today = timezone.localdate().isoformat()
    done = staff_client.post(
        step("resolve"), {"resolve-resolved_on": today, "resolve-note": "已办结"}
    )
    assert done.status_code == 302
    service_request.refresh_from_db()
    assert (service_request.status, service_request.resolution_note) == ("resolved", "已办结")

    # A finished request offers no more steps; a stale form is told so.
    page = staff_client.get(reverse("service_desk:request_detail", args=[service_request.pk]))
    assert set(page.context["forms"]) == set()
    stale = staff_client.post(step("close"), {"close-reason": "x"})
    assert stale.status_code == 302
    service_request.refresh_from_db()
    assert service_request.status == "resolved"


def test_desk_request_page_is_not_for_enterprises(client_a, user_a):
    mine = raise_for(user_a)
    assert client_a.get(reverse("service_desk:request_detail", args=[mine.pk])).status_code == 403
    step = reverse("service_desk:request_step", args=[mine.pk, "close"])
    assert client_a.post(step, {"close-reason": "自己关掉"}).status_code == 403
    mine.refresh_from_db()
    assert mine.status == "open"


def test_desk_request_page_query_count(staff_client, user_a, staff, django_assert_max_num_queries):
    service_request = raise_for(user_a)
    for n in range(5):
        services.service_request_reply(
            service_request=service_request, note=f"回复{n}", acting_user=staff
        )
    # session, user, permissions (2), request with relations, status changes with users,
    # the request's files, active departments for the forward form, the work queue's count
    # in the navigation and who holds the permissions a holder stands for
    with django_assert_max_num_queries(10):
        response = staff_client.get(
            reverse("service_desk:request_detail", args=[service_request.pk])
        )
    assert response.status_code == 200
