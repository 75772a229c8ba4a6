"""The carrier desk writes only for the carrier's own operator, and for bureau users whose
role holds the permission: finance (view only) reads every page and writes nothing (403),
and an operator of carrier A reaches nothing of carrier B (404)."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from incubators import services
from incubators.models import Activity, CompetitionEntry, Tenancy
from tests.enterprises.factories import EnterpriseFactory
from tests.incubators.factories import (
    ActivityFactory,
    IncubatorFactory,
    OperatorFactory,
    TenancyFactory,
)
from tests.loans.factories import FinanceFactory
from tests.portal.factories import StaffFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def carrier():
    """A carrier with one tenant and one competition."""
    incubator = IncubatorFactory()
    tenancy = TenancyFactory(incubator=incubator, moved_in_on=dt.date(2024, 1, 1))
    competition = ActivityFactory(organiser=incubator, kind="competition")
    return incubator, tenancy, competition


def _writes(incubator, tenancy, competition) -> list[tuple[str, dict]]:
    """Each write URL of the desk with a body it would accept from the operator."""
    return [
        (
            reverse("incubators:tenant_add", args=[incubator.pk]),
            {"uscc": EnterpriseFactory().uscc, "moved_in_on": "2025-03-01", "area": "80"},
        ),
        (
            reverse("incubators:move_out", args=[incubator.pk, tenancy.pk]),
            {"moved_out_on": "2025-06-30", "graduated": "on"},
        ),
        (
            reverse("incubators:activity_add", args=[incubator.pk]),
            {"kind": "training", "title": "培训", "held_on": "2025-04-10", "participants": "9"},
        ),
        (
            reverse("incubators:entries", args=[incubator.pk, competition.pk]),
            {"uscc": EnterpriseFactory().uscc, "finalist": "on"},
        ),
    ]


def _rows() -> tuple:
    return (
        list(Tenancy.objects.order_by("pk").values()),
        Activity.objects.count(),
        CompetitionEntry.objects.count(),
    )


def test_finance_posts_to_every_write_url_get_403_and_write_nothing(client, carrier):
    client.force_login(FinanceFactory())
    before = _rows()
    for url, data in _writes(*carrier):
        assert client.post(url, data).status_code == 403, url
    assert _rows() == before


def test_finance_gets_403_on_the_add_forms(client, carrier):
    incubator, tenancy, _competition = carrier
    client.force_login(FinanceFactory())
    for url in (
        reverse("incubators:tenant_add", args=[incubator.pk]),
        reverse("incubators:move_out", args=[incubator.pk, tenancy.pk]),
        reverse("incubators:activity_add", args=[incubator.pk]),
    ):
        assert client.get(url).status_code == 403, url


def test_finance_reads_the_pages_without_write_buttons(client, carrier):
    incubator, tenancy, competition = carrier
    client.force_login(FinanceFactory())
    pages = {
        "tenants": reverse("incubators:tenants", args=[incubator.pk]),
        "activities": reverse("incubators:activities", args=[incubator.pk]),
        "entries": reverse("incubators:entries", args=[incubator.pk, competition.pk]),
    }
    bodies = {}
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        bodies[name] = response.content.decode()
    assert reverse("incubators:tenant_add", args=[incubator.pk]) not in bodies["tenants"]
    move_out = reverse("incubators:move_out", args=[incubator.pk, tenancy.pk])
    assert move_out not in bodies["tenants"]
    assert reverse("incubators:activity_add", args=[incubator.pk]) not in bodies["activities"]
    assert 'id="entry-form-heading"' not in bodies["entries"]


def test_the_operator_sees_the_write_buttons(client, carrier):
    incubator, tenancy, competition = carrier
    client.force_login(OperatorFactory(incubator=incubator))
    body = client.get(reverse("incubators:tenants", args=[incubator.pk])).content.decode()
    assert reverse("incubators:tenant_add", args=[incubator.pk]) in body
    assert reverse("incubators:move_out", args=[incubator.pk, tenancy.pk]) in body
    url = reverse("incubators:entries", args=[incubator.pk, competition.pk])
    assert 'id="entry-form-heading"' in client.get(url).content.decode()


@pytest.mark.parametrize("writer", ["operator", "staff"])
def test_the_operator_and_staff_may_write(client, carrier, writer):
    incubator = carrier[0]
    user = OperatorFactory(incubator=incubator) if writer == "operator" else StaffFactory()
    client.force_login(user)
    for url, data in _writes(*carrier):
        assert client.post(url, data).status_code == 302, url
    assert Tenancy.objects.filter(incubator=incubator).count() == 2
    assert CompetitionEntry.objects.count() == 1


def test_operator_of_carrier_a_cannot_write_to_carrier_b(client, carrier):
    client.force_login(OperatorFactory())  # the operator of another carrier
    before = _rows()
    for url, data in _writes(*carrier):
        assert client.post(url, data).status_code == 404, url
        assert client.get(url).status_code == 404, url
    assert _rows() == before


def test_the_services_refuse_a_user_who_may_not_write(carrier):
    incubator, tenancy, competition = carrier
    finance, stranger = FinanceFactory(), OperatorFactory()
    for user in (finance, stranger):
        with pytest.raises(PermissionDenied):
            services.tenancy_add(
                incubator=incubator,
                enterprise=EnterpriseFactory(),
                moved_in_on=dt.date(2025, 1, 1),
                area=Decimal("10"),
                acting_user=user,
            )
        with pytest.raises(PermissionDenied):
            services.tenancy_move_out(
                tenancy=tenancy, moved_out_on=dt.date(2025, 1, 1), acting_user=user
            )
        with pytest.raises(PermissionDenied):
            services.activity_record(
                organiser=incubator,
                kind="training",
                title="培训",
                held_on=dt.date(2025, 1, 1),
                acting_user=user,
            )
        with pytest.raises(PermissionDenied):
            services.competition_entry_add_by_uscc(
                activity=competition, uscc=EnterpriseFactory().uscc, name="", acting_user=user
            )
    tenancy.refresh_from_db()
    assert tenancy.moved_out_on is None
    assert Tenancy.objects.count() == 1 and Activity.objects.count() == 1
    assert not CompetitionEntry.objects.exists()
