"""Staff admin of carriers: changelists that do not grow in queries, filters, actions."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from incubators.models import Level, Recognition, Tenancy
from tests.incubators.factories import (
    IncubatorFactory,
    OperatorFactory,
    RecognitionFactory,
    TenancyFactory,
)
from tests.portal.factories import StaffFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:incubators_incubator_changelist")


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory())
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _make_carriers(n: int) -> list:
    carriers = []
    for i in range(n):
        incubator = IncubatorFactory(kind=["maker_space", "incubator", "industrial_park"][i % 3])
        RecognitionFactory(incubator=incubator, level=Level((i % 3) + 1))
        TenancyFactory(incubator=incubator)
        carriers.append(incubator)
    return carriers


@pytest.mark.parametrize("rows", [5, 50])
def test_carrier_changelist_query_count_does_not_grow(
    staff_client, django_assert_max_num_queries, rows
):
    _make_carriers(rows)
    # session, user, group permissions, the page of carriers with street, level held today
    # and tenants today as subqueries, the count, the street filter's choices, the savepoint
    # pair of the request and a few fixed admin lookups; none per row.
    with django_assert_max_num_queries(12):
        response = staff_client.get(CHANGELIST)
    assert response.status_code == 200


@pytest.mark.parametrize(
    "url_name",
    [
        "admin:incubators_tenancy_changelist",
        "admin:incubators_recognition_changelist",
        "admin:incubators_activity_changelist",
        "admin:incubators_readinessthreshold_changelist",
    ],
)
@pytest.mark.parametrize("rows", [5, 50])
def test_other_changelists_query_count_does_not_grow(
    staff_client, django_assert_max_num_queries, url_name, rows
):
    _make_carriers(rows)
    with django_assert_max_num_queries(12):
        response = staff_client.get(reverse(url_name))
    assert response.status_code == 200


def test_filter_by_level_held_today_and_kind(staff_client):
    municipal = RecognitionFactory(level=Level.MUNICIPAL).incubator
    national = RecognitionFactory(level=Level.NATIONAL).incubator
    unrecognised = IncubatorFactory(kind="maker_space")
    body = staff_client.get(CHANGELIST, {"level_today": str(Level.NATIONAL.value)}).content
    assert national.name.encode() in body and municipal.name.encode() not in body
    body = staff_client.get(CHANGELIST, {"level_today": "none"}).content
    assert unrecognised.name.encode() in body and national.name.encode() not in body
    body = staff_client.get(CHANGELIST, {"kind__exact": "maker_space"}).content
    assert unrecognised.name.encode() in body and municipal.name.encode() not in body


def test_change_page_renders_with_inlines(staff_client):
    incubator = TenancyFactory().incubator
    RecognitionFactory(incubator=incubator)
    url = reverse("admin:incubators_incubator_change", args=[incubator.pk])
    response = staff_client.get(url)
    assert response.status_code == 200
    assert b"tenancies-TOTAL_FORMS" in response.content


def _inline_management(prefix: str, total: int = 0, initial: int = 0) -> dict:
    return {
        f"{prefix}-TOTAL_FORMS": str(total),
        f"{prefix}-INITIAL_FORMS": str(initial),
        f"{prefix}-MIN_NUM_FORMS": "0",
        f"{prefix}-MAX_NUM_FORMS": "1000",
    }


def test_recognition_inline_going_backwards_is_refused_at_the_field(staff_client):
    incubator = RecognitionFactory(
        level=Level.NATIONAL, recognized_on=dt.date(2021, 1, 1)
    ).incubator
    url = reverse("admin:incubators_incubator_change", args=[incubator.pk])
    data = {
        "name": incubator.name,
        "kind": incubator.kind,
        "operator": incubator.operator.pk,
        "address": incubator.address,
        "area": "12000",
        **_inline_management("sites"),
        **_inline_management("tenancies"),
        **_inline_management("recognitions", total=2, initial=1),
        "recognitions-0-id": incubator.recognitions.get().pk,
        "recognitions-0-incubator": incubator.pk,
        "recognitions-0-level": "3",
        "recognitions-0-recognized_on": "2021-01-01",
        "recognitions-1-incubator": incubator.pk,
        "recognitions-1-level": "1",
        "recognitions-1-recognized_on": "2023-05-01",
    }
    response = staff_client.post(url, data)
    assert response.status_code == 200
    assert "record its revocation" in response.content.decode()
    assert Recognition.objects.count() == 1
    # once the revocation is recorded, the lower level is accepted
    revoke = {**data, **_inline_management("recognitions", total=1, initial=1)}
    revoke["recognitions-0-revoked_on"] = "2023-01-01"
    assert staff_client.post(url, revoke).status_code == 302
    data["recognitions-0-revoked_on"] = "2023-01-01"
    assert staff_client.post(url, data).status_code == 302
    assert Recognition.objects.count() == 2
    assert incubator.level_on(dt.date(2024, 1, 1)) == Level.DISTRICT


def test_graduate_action_goes_through_the_service(staff_client):
    tenancy = TenancyFactory(moved_in_on=dt.date(2024, 1, 1))
    response = staff_client.post(
        reverse("admin:incubators_tenancy_changelist"),
        {"action": "graduate_today", "_selected_action": [tenancy.pk]},
    )
    assert response.status_code == 302
    tenancy.refresh_from_db()
    assert tenancy.graduated and tenancy.moved_out_on == timezone.localdate()
    assert tenancy.history.first().history_change_reason == "graduated"


def test_revoke_action(staff_client):
    recognition = RecognitionFactory()
    staff_client.post(
        reverse("admin:incubators_recognition_changelist"),
        {"action": "revoke_today", "_selected_action": [recognition.pk]},
    )
    recognition.refresh_from_db()
    assert recognition.revoked_on == timezone.localdate()


def test_operator_cannot_reach_the_admin(client):
    client.force_login(OperatorFactory())
    response = client.get(CHANGELIST)
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_tenancy_area_above_carrier_refused_in_admin(staff_client):
    incubator = IncubatorFactory(area=Decimal("100"))
    tenancy = TenancyFactory.build(incubator=incubator)
    response = staff_client.post(
        reverse("admin:incubators_tenancy_add"),
        {
            "incubator": incubator.pk,
            "enterprise": TenancyFactory().enterprise.pk,
            "area": "150",
            "moved_in_on": "2025-01-01",
        },
    )
    assert response.status_code == 200
    assert "carrier&#x27;s area" in response.content.decode()
    assert not Tenancy.objects.filter(incubator=incubator).exists()
    del tenancy


@pytest.mark.parametrize("tenants", [5, 50])
def test_change_page_query_count_does_not_grow_with_tenants(
    staff_client, django_assert_max_num_queries, tenants
):
    from tests.incubators.factories import IncubatorSiteFactory

    incubator = RecognitionFactory().incubator
    site = IncubatorSiteFactory(incubator=incubator)
    for _ in range(tenants):
        TenancyFactory(incubator=incubator, site=site)
    url = reverse("admin:incubators_incubator_change", args=[incubator.pk])
    staff_client.get(url)  # what a process reads once (content types) is not counted
    # session, user, permissions, the carrier, each inline's rows (sites, recognitions,
    # tenancies with enterprise and site), the site choices once, history and admin lookups
    with django_assert_max_num_queries(12):
        response = staff_client.get(url)
    assert response.status_code == 200
    assert response.content.decode().count("/change/") >= tenants  # each tenancy links out


def test_a_threshold_group_reads_as_its_indicators_not_its_code(staff_client):
    """The seeded maker-space group "space" (500 m² or 30 workstations) is listed by what it
    holds; a threshold outside any group shows a dash."""
    body = staff_client.get(reverse("admin:incubators_readinessthreshold_changelist")).content
    page = body.decode()
    assert '<td class="field-alternative_display">Area (m²) or Workstations</td>' in page
    assert '<td class="field-alternative_display">—</td>' in page
    assert ">space<" not in page
