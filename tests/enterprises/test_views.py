"""The enterprise's own pages: scoping to the user's enterprise, forms, query counts."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import escape

from enterprises.models import AnnualFigures, Enterprise
from enterprises.services import annual_figures_set_locked
from tests.enterprises.factories import (
    AnnualFiguresFactory,
    EnterpriseFactory,
    HighTechCertificateFactory,
    TechFirmRegistrationFactory,
)
from tests.portal.factories import EnterpriseUserFactory, StaffFactory

pytestmark = pytest.mark.django_db


def figures_data(**overrides) -> dict[str, str]:
    data = {
        "year": "2024",
        "revenue": "65.37",  # 万元
        "rd_expenditure": "8.5",
        "employees": "50",
        "rd_staff": "12",
        "invention_patents": "3",
        "utility_models": "5",
        "software_copyrights": "2",
        "high_end_talent": "1",
        "new_products": "4",
    }
    data.update({key: str(value) for key, value in overrides.items()})
    return data


@pytest.fixture
def user_a():
    return EnterpriseUserFactory()


@pytest.fixture
def client_a(client, user_a):
    client.force_login(user_a)
    return client


# --- scoping -------------------------------------------------------------------------------


def test_my_enterprise_shows_only_the_users_own_records(client_a, user_a):
    TechFirmRegistrationFactory(enterprise=user_a.enterprise, number="A-REG-1")
    HighTechCertificateFactory(enterprise=user_a.enterprise, number="GR202450000001")
    other = EnterpriseFactory(name="别家公司")
    TechFirmRegistrationFactory(enterprise=other, number="B-REG-1")
    HighTechCertificateFactory(enterprise=other, number="GR202450999999")

    page = client_a.get(reverse("enterprises:my_enterprise")).content.decode()

    assert user_a.enterprise.name in page
    assert "A-REG-1" in page and "GR202450000001" in page
    assert "别家公司" not in page and "B-REG-1" not in page and "GR202450999999" not in page


def test_enterprise_a_gets_404_on_the_figures_of_enterprise_b(client_a):
    record_b = AnnualFiguresFactory(enterprise=EnterpriseFactory(), employees=7, rd_staff=1)
    url = reverse("enterprises:figures_edit", args=[record_b.pk])

    assert client_a.get(url).status_code == 404
    assert client_a.post(url, figures_data(employees=99)).status_code == 404
    record_b.refresh_from_db()
    assert record_b.employees == 7


def test_a_missing_figures_id_is_404_too(client_a):
    assert client_a.get(reverse("enterprises:figures_edit", args=[987654])).status_code == 404


def test_contact_edit_changes_only_the_users_own_enterprise(client_a, user_a):
    other = EnterpriseFactory(contact_person="别人")

    response = client_a.post(
        reverse("enterprises:contact_edit"),
        {
            "contact_person": "赵六",
            "contact_phone": "023-6788 1234",
            "contact_email": "zl@example.cn",
            "address": "江北区观音桥",
            # Fields that are not contact fields are ignored, whatever the request says.
            "name": "改名",
            "uscc": other.uscc,
        },
    )

    assert response.status_code == 302
    user_a.enterprise.refresh_from_db()
    assert user_a.enterprise.contact_person == "赵六"
    assert user_a.enterprise.contact_phone == "023-67881234"
    assert user_a.enterprise.name != "改名"
    other.refresh_from_db()
    assert other.contact_person == "别人"


@pytest.mark.parametrize(
    "url",
    [
        reverse("enterprises:my_enterprise"),
        reverse("enterprises:contact_edit"),
        reverse("enterprises:figures_create"),
    ],
)
def test_users_without_an_enterprise_get_404(client, url):
    client.force_login(StaffFactory())
    assert client.get(url).status_code == 404


def test_contact_edit_refuses_a_bad_phone_and_saves_nothing(client_a, user_a):
    before = user_a.enterprise.contact_phone

    response = client_a.post(
        reverse("enterprises:contact_edit"), {"contact_person": "赵六", "contact_phone": "12"}
    )

    assert response.status_code == 200
    assert response.context["form"].has_error("contact_phone", "phone")
    user_a.enterprise.refresh_from_db()
    assert user_a.enterprise.contact_phone == before
    assert user_a.enterprise.contact_person != "赵六"


# --- annual figures --------------------------------------------------------------------------


def test_figures_are_entered_in_wan_and_stored_exactly_in_yuan(client_a, user_a):
    response = client_a.post(reverse("enterprises:figures_create"), figures_data())

    assert response.status_code == 302
    record = AnnualFigures.objects.get(enterprise=user_a.enterprise, year=2024)
    assert record.revenue == Decimal("653700.00")
    assert record.rd_expenditure == Decimal("85000.00")
    assert record.submitted_by == user_a
    assert record.history.first().history_user == user_a
    page = client_a.get(reverse("enterprises:my_enterprise")).content.decode()
    assert "65.37" in page


def test_figures_of_an_unlocked_year_can_be_edited(client_a, user_a):
    record = AnnualFiguresFactory(enterprise=user_a.enterprise, year=2023)
    url = reverse("enterprises:figures_edit", args=[record.pk])
    form = client_a.get(url).context["form"]
    assert form.initial["revenue"] == Decimal("1200")  # 12,000,000 yuan shown as 万元

    response = client_a.post(url, figures_data(employees=90, rd_staff=30))

    assert response.status_code == 302
    record.refresh_from_db()
    assert (record.year, record.employees, record.rd_staff) == (2023, 90, 30)


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"revenue": "-1"}, "revenue", "min_value"),
        ({"rd_expenditure": "-0.01"}, "rd_expenditure", "min_value"),
        ({"employees": "-3"}, "employees", "min_value"),
        ({"invention_patents": "-1"}, "invention_patents", "min_value"),
        ({"revenue": "1.1234567"}, "revenue", "max_decimal_places"),
        ({"revenue": "abc"}, "revenue", "invalid"),
        ({"year": "1980"}, "year", "min_value"),
        ({"year": "2999"}, "year", "year_not_ended"),
    ],
)
def test_bad_figures_are_refused_at_the_field(client_a, overrides, field, code):
    response = client_a.post(reverse("enterprises:figures_create"), figures_data(**overrides))

    assert response.status_code == 200
    assert response.context["form"].has_error(field, code)
    assert not AnnualFigures.objects.exists()


def test_rd_staff_above_employees_is_refused_with_a_clear_message(client_a):
    from django.utils.translation import gettext

    response = client_a.post(
        reverse("enterprises:figures_create"), figures_data(employees=10, rd_staff=11)
    )

    message = gettext("R&D staff cannot exceed the number of employees.")
    assert response.context["form"].errors["rd_staff"] == [message]
    assert escape(message) in response.content.decode()
    assert not AnnualFigures.objects.exists()


def test_a_second_record_for_the_same_year_is_refused(client_a, user_a):
    AnnualFiguresFactory(enterprise=user_a.enterprise, year=2024, employees=80)

    response = client_a.post(reverse("enterprises:figures_create"), figures_data(year=2024))

    assert response.context["form"].has_error("year", "duplicate_year")
    record = AnnualFigures.objects.get(enterprise=user_a.enterprise)
    assert record.employees == 80  # the existing record is not replaced


def test_another_enterprises_year_does_not_block_mine(client_a, user_a):
    AnnualFiguresFactory(enterprise=EnterpriseFactory(), year=2024)

    response = client_a.post(reverse("enterprises:figures_create"), figures_data(year=2024))

    assert response.status_code == 302
    assert AnnualFigures.objects.filter(enterprise=user_a.enterprise, year=2024).exists()


def test_locked_figures_cannot_be_changed(client_a, user_a):
    from django.utils.translation import gettext

    record = AnnualFiguresFactory(enterprise=user_a.enterprise, year=2023, employees=80)
    annual_figures_set_locked(figures=record, locked=True, acting_user=StaffFactory())
    url = reverse("enterprises:figures_edit", args=[record.pk])

    page = client_a.get(url)
    assert all(field.disabled for field in page.context["form"].fields.values())
    response = client_a.post(url, figures_data(employees=99))

    assert response.status_code == 200
    message = gettext(
        "The figures for %(year)s are locked by the bureau and can no longer be changed."
    ) % {"year": 2023}
    assert escape(message) in response.content.decode()
    record.refresh_from_db()
    assert record.employees == 80


# --- query counts ----------------------------------------------------------------------------


def _fill(enterprise: Enterprise, rows: int) -> None:
    TechFirmRegistrationFactory.create_batch(rows, enterprise=enterprise)
    HighTechCertificateFactory.create_batch(rows, enterprise=enterprise)
    for year in range(2100 - rows, 2100):
        AnnualFiguresFactory(enterprise=enterprise, year=year)


@pytest.mark.parametrize("rows", [10, 200])
def test_my_enterprise_query_count_does_not_grow_with_rows(
    client_a, user_a, rows, django_assert_max_num_queries
):
    _fill(user_a.enterprise, rows)
    url = reverse("enterprises:my_enterprise")
    # 1 session, 2 the user, 3 the enterprise with its street, 4 registrations,
    # 5 certificates, 6 annual figures, 7 the work queue's count in the navigation. Nothing
    # per row.
    with django_assert_max_num_queries(7):
        response = client_a.get(url)
    assert response.status_code == 200
    assert len(response.context["certificates"]) == rows
