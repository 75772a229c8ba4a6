"""Service-desk admin: changelists whose query count does not grow, adds and steps that go
through the services."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from enterprises.models import (
    ProjectRecommendation,
    RequestCategory,
    ServiceRequest,
    ServiceVisit,
)
from tests.enterprises.factories import (
    DepartmentFactory,
    EnterpriseFactory,
    ProjectRecommendationFactory,
    ServiceRequestFactory,
    ServiceVisitFactory,
    request_category,
)
from tests.portal.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return StaffFactory()


@pytest.fixture
def staff_client(client, staff):
    client.force_login(staff)
    return client


def _rows(n: int) -> None:
    departments = DepartmentFactory.create_batch(2)
    staff = StaffFactory()
    for i in range(n):
        visit = ServiceVisitFactory(visited_on=dt.date(2025, 1, 1) + dt.timedelta(days=i))
        ServiceRequestFactory(
            enterprise=visit.enterprise,
            visit=visit,
            registered_on=visit.visited_on,
            status="forwarded" if i % 2 else "open",
            handling="forwarded" if i % 2 else "",
            department=departments[i % 2] if i % 2 else None,
            handler=staff,
        )
        ProjectRecommendationFactory(enterprise=visit.enterprise)


@pytest.mark.parametrize(
    "model", ["servicerequest", "servicevisit", "projectrecommendation", "department"]
)
@pytest.mark.parametrize("rows", [3, 40])
def test_changelist_query_count_does_not_grow(
    staff_client, django_assert_max_num_queries, model, rows
):
    _rows(rows)
    # session, user, permissions via groups, rows with their named relations, filter
    # choices (departments), count, savepoint pair, a few fixed admin lookups; none per row.
    with django_assert_max_num_queries(12):
        response = staff_client.get(reverse(f"admin:enterprises_{model}_changelist"))
    assert response.status_code == 200


def test_overdue_filter(staff_client):
    today = timezone.localdate()
    late = ServiceRequestFactory(
        registered_on=today - dt.timedelta(days=30), due_on=today - dt.timedelta(days=1)
    )
    on_time = ServiceRequestFactory(registered_on=today, due_on=today)
    response = staff_client.get(
        reverse("admin:enterprises_servicerequest_changelist"), {"overdue": "yes"}
    )
    listed = {obj.pk for obj in response.context["cl"].result_list}
    assert listed == {late.pk}
    assert on_time.pk not in listed


def test_satisfaction_filter_offers_the_five_ratings_without_reading_the_requests(staff_client):
    today = timezone.localdate()

    def rated(score):
        return ServiceRequestFactory(
            status="resolved", resolved_on=today, satisfaction=score, rated_on=today
        )

    five, three, unrated = rated(5), rated(3), ServiceRequestFactory()
    url = reverse("admin:enterprises_servicerequest_changelist")

    def listed(value):
        response = staff_client.get(url, {"satisfaction": value})
        return {obj.pk for obj in response.context["cl"].result_list}

    assert listed("5") == {five.pk}
    assert listed("none") == {unrated.pk}
    assert listed("3") == {three.pk}
    page = staff_client.get(url)
    choices = [
        c["display"] for c in page.context["cl"].filter_specs[-1].choices(page.context["cl"])
    ]
    assert choices[1:] == ["5", "4", "3", "2", "1", "未评价"]  # catalog; 4, 2 and 1 unused


def test_staff_record_a_visit_and_a_request_in_admin(staff_client, staff):
    enterprise = EnterpriseFactory()
    response = staff_client.post(
        reverse("admin:enterprises_servicevisit_add"),
        {
            "enterprise": enterprise.pk,
            "visited_on": "2025-06-03",
            "visitors": "张科长、李干事",
            "notes": "了解扩产计划",
            "requests-TOTAL_FORMS": "0",
            "requests-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    visit = ServiceVisit.objects.get()
    assert visit.recorded_by == staff
    assert visit.history.get().history_user == staff

    response = staff_client.post(
        reverse("admin:enterprises_servicerequest_add"),
        {
            "enterprise": enterprise.pk,
            "visit": visit.pk,
            "registered_on": "2025-06-03",
            "category": request_category("premises").pk,
            "description": "扩产需要 2000 平方米厂房",
            "handler": "",
            "due_on": "",
            "status_changes-TOTAL_FORMS": "0",
            "status_changes-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    created = ServiceRequest.objects.get()
    assert created.handler == staff
    assert created.due_on == dt.date(2025, 6, 24)  # 15 working days (6-2 was 端午节)
    assert created.status_changes.get().to_status == "open"


def test_admin_change_cannot_touch_the_status(staff_client, staff):
    service_request = ServiceRequestFactory()
    url = reverse("admin:enterprises_servicerequest_change", args=[service_request.pk])
    response = staff_client.post(
        url,
        {
            "registered_on": "2025-03-10",
            "category": request_category("talent").pk,
            "description": service_request.description,
            "visit": "",
            "handler": staff.pk,
            "due_on": "2025-04-30",
            "status": "resolved",  # read-only: ignored
            "status_changes-TOTAL_FORMS": "0",
            "status_changes-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    service_request.refresh_from_db()
    assert (service_request.category, service_request.status) == (
        request_category("talent"),
        "open",
    )
    assert service_request.due_on == dt.date(2025, 4, 30)
    assert service_request.history.latest().history_change_reason == "details corrected"


def test_recommendation_moves_through_its_workflow_in_admin(staff_client, staff):
    response = staff_client.post(
        reverse("admin:enterprises_projectrecommendation_add"),
        {
            "enterprise": EnterpriseFactory().pk,
            "programme": "国家重点研发计划",
            "level": "national",
            "title": "工业视觉检测",
            "year": "2025",
            "notes": "",
            "status_changes-TOTAL_FORMS": "0",
            "status_changes-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    recommendation = ProjectRecommendation.objects.get()
    url = reverse("admin:enterprises_projectrecommendation_change", args=[recommendation.pk])

    def step_url(target: str) -> str:
        return reverse(
            "admin:enterprises_projectrecommendation_step", args=[recommendation.pk, target]
        )

    # The change page offers the one step open to it as a button.
    page = staff_client.get(url).content.decode()
    assert step_url("recommended") in page and step_url("funded") not in page
    response = staff_client.post(
        step_url("recommended"), {"recommended_on": "2025-03-01", "note": ""}
    )
    assert response.status_code == 302
    page = staff_client.get(url).content.decode()
    assert step_url("funded") in page and step_url("not_funded") in page
    assert step_url("recommended") not in page
    # Funding without an amount is refused at the field, and nothing changes.
    response = staff_client.post(step_url("funded"), {"decided_on": "2025-09-01", "note": ""})
    assert response.status_code == 200
    assert response.context["form"].errors["funding_amount"]
    recommendation.refresh_from_db()
    assert recommendation.status == "recommended"

    response = staff_client.post(
        step_url("funded"), {"decided_on": "2025-09-01", "funding_amount": "300", "note": ""}
    )
    assert response.status_code == 302
    recommendation.refresh_from_db()
    assert recommendation.status == "funded"
    assert recommendation.funding_amount == 3_000_000
    assert recommendation.decided_on == dt.date(2025, 9, 1)
    assert list(recommendation.status_changes.values_list("to_status", flat=True)) == [
        "preparing",
        "recommended",
        "funded",
    ]
    # A finished recommendation offers no step, and a step's page refuses.
    page = staff_client.get(url).content.decode()
    assert "/step/" not in page
    assert (
        staff_client.post(step_url("not_funded"), {"decided_on": "2025-09-01"}).status_code == 403
    )


def test_the_details_form_cannot_move_the_recommendation(staff_client):
    recommendation = ProjectRecommendationFactory()
    url = reverse("admin:enterprises_projectrecommendation_change", args=[recommendation.pk])
    response = staff_client.post(
        url,
        {
            "programme": recommendation.programme,
            "level": recommendation.level,
            "title": "新题目",
            "year": recommendation.year,
            "notes": "",
            "status": "funded",  # read-only: ignored
            "step": "fund",  # no such field any more
            "status_changes-TOTAL_FORMS": "0",
            "status_changes-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    recommendation.refresh_from_db()
    assert (recommendation.title, recommendation.status) == ("新题目", "preparing")
    assert not recommendation.status_changes.exists()


def test_a_request_change_page_offers_the_desk_steps_as_buttons(staff_client, staff):
    service_request = ServiceRequestFactory()
    url = reverse("admin:enterprises_servicerequest_change", args=[service_request.pk])
    page = staff_client.get(url).content.decode()
    for target in ("forwarded", "resolved", "closed"):
        assert (
            reverse("admin:enterprises_servicerequest_step", args=[service_request.pk, target])
            in page
        )
    response = staff_client.post(
        reverse("admin:enterprises_servicerequest_step", args=[service_request.pk, "closed"]),
        {"reason": ""},
    )
    assert response.status_code == 200 and response.context["form"].errors["reason"]
    response = staff_client.post(
        reverse("admin:enterprises_servicerequest_step", args=[service_request.pk, "closed"]),
        {"reason": "企业已撤回"},
    )
    assert response.status_code == 302
    service_request.refresh_from_db()
    assert (service_request.status, service_request.closed_reason) == ("closed", "企业已撤回")
    assert "/step/" not in staff_client.get(url).content.decode()


def _upload(rows: list[list], name: str = "ledger.xlsx"):
    import io

    from enterprises.resources import ServiceRequestResource
    from tests.enterprises.test_resources import xlsx_bytes

    upload = io.BytesIO(xlsx_bytes(ServiceRequestResource.headers(), rows))
    upload.name = name
    return upload


def _xlsx_format_index() -> int:
    from django.contrib import admin as django_admin

    model_admin = django_admin.site._registry[ServiceRequest]
    formats = model_admin.get_import_formats()
    return next(i for i, f in enumerate(formats) if f().get_extension() == "xlsx")


def test_admin_import_of_a_request_ledger_previews_then_confirms(staff_client, staff):
    firm = EnterpriseFactory()
    rows = [
        ["2022-03-08", firm.uscc, firm.name, "政策咨询", "加计扣除口径", "现场答复", "已解决",
         "2022-03-08"],
        ["2022-03-09", firm.uscc, firm.name, "场地用房", "扩租厂房", "转办部门", "办理中", ""],
    ]  # fmt: skip
    url = reverse("admin:enterprises_servicerequest_import")

    bad = [*rows, ["2022-03-10", firm.uscc, firm.name, "税务", "x", "", "已办结", ""]]
    response = staff_client.post(
        url, {"import_file": _upload(bad), "format": _xlsx_format_index(), "resource": 0}
    )
    assert "第 4 行「状态」：不是可选值" in response.content.decode()
    assert "新词条" not in response.content.decode()  # a refused file adds nothing
    assert not ServiceRequest.objects.exists()

    # A category the bureau's list lacks is named as new in the preview, added on confirm.
    rows.append(["2022-03-10", firm.uscc, firm.name, "融资需求", "贷款对接", "", "办理中", ""])
    preview = staff_client.post(
        url, {"import_file": _upload(rows), "format": _xlsx_format_index(), "resource": 0}
    )
    assert preview.context["result"].totals["new"] == 3
    assert "新词条 问题类别：融资需求" in preview.content.decode()
    assert not ServiceRequest.objects.exists()
    assert not RequestCategory.objects.filter(name="融资需求").exists()
    confirm = preview.context["confirm_form"]
    response = staff_client.post(
        reverse("admin:enterprises_servicerequest_process_import"),
        {name: confirm[name].value() for name in confirm.fields},
    )
    assert response.status_code == 302
    assert set(ServiceRequest.objects.values_list("status", flat=True)) == {
        "resolved",
        "forwarded",
        "open",
    }
    assert ServiceRequest.history.filter(history_user=staff).count() == 3
    added = RequestCategory.objects.get(name="融资需求")
    assert added.active and added.history.get().history_user == staff
    assert ServiceRequest.objects.get(description="贷款对接").category == added


def test_a_visit_page_offers_to_register_a_request_collected_there(staff_client):
    visit = ServiceVisitFactory(visited_on=dt.date(2025, 6, 3))
    page = staff_client.get(reverse("admin:enterprises_servicevisit_change", args=[visit.pk]))
    add = reverse("admin:enterprises_servicerequest_add")
    link = (
        f"{add}?enterprise={visit.enterprise_id}&amp;visit={visit.pk}&amp;registered_on=2025-06-03"
    )
    assert link in page.content.decode()
    form = (
        staff_client.get(
            add,
            {"enterprise": visit.enterprise_id, "visit": visit.pk, "registered_on": "2025-06-03"},
        )
        .context["adminform"]
        .form
    )
    assert form.initial["visit"] == str(visit.pk)


def test_admin_refuses_a_request_pointing_to_a_visit_to_another_firm(staff_client):
    visit = ServiceVisitFactory()
    response = staff_client.post(
        reverse("admin:enterprises_servicerequest_add"),
        {
            "enterprise": EnterpriseFactory().pk,
            "visit": visit.pk,
            "registered_on": "2025-06-03",
            "category": request_category("other").pk,
            "description": "别家的问题",
            "handler": "",
            "due_on": "",
            "status_changes-TOTAL_FORMS": "0",
            "status_changes-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["visit"] == ["该次走访对应的是另一家企业。"]
    assert not ServiceRequest.objects.exists()
