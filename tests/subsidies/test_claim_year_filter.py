"""The claims changelist's year filter: its choices from the first and last year (no
DISTINCT over every claim), the list narrowed to the chosen year, a bad year gives none."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.portal.factories import StaffFactory
from tests.subsidies.factories import SubsidyClaimFactory

pytestmark = pytest.mark.django_db
URL = reverse("admin:subsidies_subsidyclaim_changelist")


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory())
    return client


def test_the_years_run_from_the_first_to_the_last_without_a_distinct(staff_client):
    first, last = SubsidyClaimFactory(year=2021), SubsidyClaimFactory(year=2024)
    with CaptureQueriesContext(connection) as queries:
        response = staff_client.get(URL)
    assert response.status_code == 200
    offered = {
        choice["display"]
        for spec in response.context["cl"].filter_specs
        if getattr(spec, "parameter_name", "") == "year"
        for choice in spec.choices(response.context["cl"])
    }
    assert {"2021", "2022", "2023", "2024"} <= offered  # 2022 and 2023 hold no claim
    assert not any("DISTINCT" in q["sql"] and "year" in q["sql"] for q in queries)
    shown = staff_client.get(URL, {"year": "2021"}).context["cl"].result_list
    assert [c.pk for c in shown] == [first.pk]
    assert last.pk not in [c.pk for c in shown]


@pytest.mark.parametrize("bad", ["abc", "0", "20245", "-1"])
def test_a_bad_year_lists_nothing(staff_client, bad):
    SubsidyClaimFactory(year=2024)
    response = staff_client.get(URL, {"year": bad})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []
