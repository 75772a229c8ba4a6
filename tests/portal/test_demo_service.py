"""The service-desk demo: a year of visits and requests in every state, recommendations."""

import datetime as dt

import pytest
from django.utils import timezone

from enterprises.models import ProjectRecommendation, ServiceRequest, ServiceVisit
from portal.accounts.models import User

# Run with the other tests reading the demo, on one worker: the demo is seeded once for them.
pytestmark = [pytest.mark.django_db, pytest.mark.xdist_group("demo")]


def test_demo_has_a_year_of_visits_and_requests_in_every_state(seeded_demo):
    today = timezone.localdate()

    visits = ServiceVisit.objects.all()
    assert 80 <= visits.count() <= 95
    assert visits.filter(visited_on__lt=today - dt.timedelta(days=300)).exists()
    assert not visits.filter(visited_on__gt=today).exists()
    assert visits.values("enterprise").distinct().count() >= 60

    requests = ServiceRequest.objects.all()
    assert 50 <= requests.count() <= 140
    assert set(requests.values_list("status", flat=True)) == {
        "open",
        "forwarded",
        "resolved",
        "closed",
    }
    assert set(requests.exclude(handling="").values_list("handling", flat=True)) == {
        "on_site",
        "forwarded",
        "coordinated",
    }
    assert requests.overdue_on(today).exists()  # the desk has something to highlight
    assert all(r.status_changes.exists() for r in requests)

    demo_user = User.objects.get(username="enterprise")
    assert requests.filter(raised_by=demo_user).count() == 2
    assert ProjectRecommendation.objects.filter(enterprise=demo_user.enterprise).exists()
    assert set(ProjectRecommendation.objects.values_list("status", flat=True)) == {
        "preparing",
        "recommended",
        "funded",
        "not_funded",
    }
