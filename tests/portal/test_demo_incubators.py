"""Demo carriers: a dozen of every kind and level, tenants, activities, the operator login."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from incubators.models import Activity, CompetitionEntry, Incubator, IncubatorKind, Level, Tenancy
from portal import demo
from portal.accounts.models import User
from tests.incubators.factories import ensure_thresholds

# Run with the other tests reading the demo, on one worker: the demo is seeded once for them.
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("demo")]


def _seed() -> None:
    call_command("seed_demo", force=True, stdout=StringIO())


def test_demo_has_a_dozen_carriers_of_every_kind_and_level(seeded_demo):
    today = timezone.localdate()
    assert Incubator.objects.count() == 12
    assert set(Incubator.objects.values_list("kind", flat=True)) == set(IncubatorKind.values)
    levels = set(Incubator.objects.with_level_on(today).values_list("level_on", flat=True))
    assert levels == {None, *Level.values}
    assert Tenancy.objects.resident_on(today).count() >= 150
    assert Tenancy.objects.filter(graduated=True).exists()
    assert Activity.objects.filter(organiser__isnull=False).count() >= 60
    assert CompetitionEntry.objects.filter(rank=1).count() == 1


def test_demo_twice_creates_the_carriers_once(seeded_demo):
    counts = (Incubator.objects.count(), Tenancy.objects.count(), Activity.objects.count())
    _seed()
    assert (Incubator.objects.count(), Tenancy.objects.count(), Activity.objects.count()) == counts


def test_demo_operator_opens_the_readiness_page_of_its_carrier(seeded_demo, client):
    ensure_thresholds()
    user = User.objects.get(username="carrier")
    assert user.incubator.name == "江北嘴科技企业孵化器"
    response = client.post(
        "/accounts/login/", {"username": "carrier", "password": demo.DEMO_PASSWORD}
    )
    assert response.status_code == 302
    response = client.get("/carrier/", follow=True)
    assert response.status_code == 200
    readiness = response.context["readiness"]
    assert readiness.target_level == Level.NATIONAL
    assert {row.indicator for row in readiness.rows} == {
        "area", "tenants", "tenants_per_1000", "graduates", "patent_share",
    }  # fmt: skip
    body = response.content.decode()
    assert "晋级差距" in body and "≥ 10000" in body
