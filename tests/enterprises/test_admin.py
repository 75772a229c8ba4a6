import datetime as dt

import pytest
from django.urls import reverse

from enterprises.models import Enterprise, Street
from tests.enterprises.factories import (
    EnterpriseFactory,
    HighTechCertificateFactory,
    TechFirmRegistrationFactory,
)
from tests.portal.factories import StaffFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:enterprises_enterprise_changelist")


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory())
    return client


def _make_enterprises(n: int) -> None:
    for enterprise in EnterpriseFactory.create_batch(n):
        TechFirmRegistrationFactory(enterprise=enterprise)
        HighTechCertificateFactory(enterprise=enterprise, issued_on=dt.date.today())


@pytest.mark.parametrize("rows", [10, 200])
def test_changelist_query_count_does_not_grow(staff_client, django_assert_max_num_queries, rows):
    _make_enterprises(rows)
    # session, user, user permissions via groups, paginated rows with street and the two
    # EXISTS annotations, filter choices for streets, count, savepoint pair of the request,
    # and a few fixed admin lookups; none of them per row.
    with django_assert_max_num_queries(12):
        response = staff_client.get(CHANGELIST)
    assert response.status_code == 200


def test_changelist_filters_and_search(staff_client):
    registered = TechFirmRegistrationFactory(registered_on=dt.date(2020, 1, 1)).enterprise
    other = EnterpriseFactory()
    response = staff_client.get(CHANGELIST, {"registered_today": "yes"})
    assert registered.name in response.content.decode()
    assert other.name not in response.content.decode()
    response = staff_client.get(CHANGELIST, {"q": other.uscc})
    assert other.name in response.content.decode()
    assert registered.name not in response.content.decode()


def test_add_with_failing_code_needs_a_reason(staff_client):
    street = Street.objects.first()
    data = {
        "uscc": "91110108551385082R",
        "uscc_override_reason": "",
        "name": "早期试点企业",
        "status": "active",
        "street": street.pk,
        "listing": "unlisted",
        **{
            f"{prefix}-{key}": value
            for prefix in ("registrations", "certificates", "annual_figures")
            for key, value in {
                "TOTAL_FORMS": "0",
                "INITIAL_FORMS": "0",
                "MIN_NUM_FORMS": "0",
                "MAX_NUM_FORMS": "1000",
            }.items()
        },
    }
    url = reverse("admin:enterprises_enterprise_add")
    response = staff_client.post(url, data)
    assert response.status_code == 200
    assert not Enterprise.objects.exists()
    response = staff_client.post(url, {**data, "uscc_override_reason": "2016 年试点代码"})
    assert response.status_code == 302, response.content.decode()[:2000]
    enterprise = Enterprise.objects.get()
    assert enterprise.history.get().history_user.is_staff


def test_non_staff_cannot_open_admin(client):
    from tests.portal.factories import EnterpriseUserFactory

    client.force_login(EnterpriseUserFactory())
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


@pytest.mark.parametrize(
    "model", ["techfirmregistration", "hightechcertificate", "annualfigures", "street"]
)
@pytest.mark.parametrize("rows", [10, 200])
def test_other_changelists_hold_their_query_count(
    staff_client, django_assert_max_num_queries, model, rows
):
    from tests.enterprises.factories import AnnualFiguresFactory

    for enterprise in EnterpriseFactory.create_batch(rows):
        TechFirmRegistrationFactory(enterprise=enterprise)
        HighTechCertificateFactory(enterprise=enterprise)
        AnnualFiguresFactory(enterprise=enterprise)
    # session, user, permissions, page rows joined to their enterprise, count, filter
    # choices (dates / years) and the request's savepoints; none per row.
    with django_assert_max_num_queries(12):
        response = staff_client.get(reverse(f"admin:enterprises_{model}_changelist"))
    assert response.status_code == 200


def test_certificate_validity_filter(staff_client):
    valid = HighTechCertificateFactory(issued_on=dt.date.today() - dt.timedelta(days=30))
    expired = HighTechCertificateFactory(issued_on=dt.date(2019, 1, 1))
    url = reverse("admin:enterprises_hightechcertificate_changelist")
    content = staff_client.get(url, {"validity": "valid"}).content.decode()
    assert valid.number in content
    assert expired.number not in content
    content = staff_client.get(url, {"validity": "invalid"}).content.decode()
    assert expired.number in content
    assert valid.number not in content


def test_lock_action_goes_through_the_service(staff_client):
    from enterprises.models import AnnualFigures
    from tests.enterprises.factories import AnnualFiguresFactory

    figures = AnnualFiguresFactory()
    url = reverse("admin:enterprises_annualfigures_changelist")
    staff_client.post(url, {"action": "lock_selected", "_selected_action": [figures.pk]})
    figures = AnnualFigures.objects.get(pk=figures.pk)
    assert figures.locked
    assert figures.history.first().history_change_reason == "locked"
