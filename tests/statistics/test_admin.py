"""Admin for district figures, snapshots, subscriptions and deliveries."""

import datetime as dt

import pytest
from django.urls import reverse

from portal.statistics import services
from portal.statistics.lib import Period
from portal.statistics.models import DistrictStatistic, MonthlySummary, ReportSubscription
from tests.enterprises.factories import TechFirmRegistrationFactory
from tests.portal.factories import StaffFactory, UserFactory
from tests.statistics.factories import DistrictStatisticFactory, ReportSubscriptionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client):
    user = StaffFactory()
    client.force_login(user)
    return user


def _rows(n: int) -> None:
    for year in range(2000, 2000 + n):
        DistrictStatisticFactory(year=year)
    services.monthly_summary_backfill(first=Period(2020, 1), last=Period(2020, 1).shift(n - 1))
    ReportSubscriptionFactory.create_batch(n)
    ReportSubscriptionFactory(user=UserFactory(), email="")
    services.report_deliveries_prepare(period=Period(2020, 1))


@pytest.mark.parametrize(
    "model", ["districtstatistic", "monthlysummary", "reportsubscription", "reportdelivery"]
)
@pytest.mark.parametrize("rows", [2, 30])
def test_changelists_hold_their_query_count(
    client, staff, django_assert_max_num_queries, model, rows
):
    _rows(rows)
    # session, user, permissions, page rows with their related rows joined, count, filter
    # choices and the request's savepoints; none per row.
    with django_assert_max_num_queries(12):
        response = client.get(reverse(f"admin:statistics_{model}_changelist"))
    assert response.status_code == 200


def test_staff_enter_district_figures_and_the_history_names_them(client, staff):
    url = reverse("admin:statistics_districtstatistic_add")
    data = {"year": 2024, "gdp": "100", "rd_expenditure": "200", "city_intensity_pct": "2.36"}
    response = client.post(url, data)
    assert response.status_code == 200  # R&D above GDP is refused at the field
    assert not DistrictStatistic.objects.exists()
    response = client.post(url, {**data, "gdp": "140000000000", "rd_expenditure": "5200000000"})
    assert response.status_code == 302
    statistic = DistrictStatistic.objects.get()
    assert statistic.history.get().history_user == staff


def test_subscription_is_a_user_or_an_address(client, staff):
    url = reverse("admin:statistics_reportsubscription_add")
    response = client.post(url, {"email": "", "language": "zh-hans", "active": "on"})
    assert response.status_code == 200
    response = client.post(
        url, {"email": " Office@KJJ.example.cn ", "language": "zh-hans", "active": "on"}
    )
    assert response.status_code == 302
    assert ReportSubscription.objects.get().email == "office@kjj.example.cn"


def test_recompute_action_keeps_the_old_version(client, staff):
    summary = services.monthly_summary_compute(period=Period(2025, 10))
    TechFirmRegistrationFactory(registered_on=dt.date(2025, 10, 2))
    response = client.post(
        reverse("admin:statistics_monthlysummary_changelist"),
        {"action": "recompute_selected", "_selected_action": [summary.pk]},
    )
    assert response.status_code == 302
    summary.refresh_from_db()
    assert summary.figures["enterprises"]["registered_tech_firms"] == 1
    assert summary.history.count() == 2
    assert MonthlySummary.objects.count() == 1


def test_summary_change_page_shows_the_json(client, staff):
    summary = services.monthly_summary_compute(period=Period(2025, 10))
    response = client.get(reverse("admin:statistics_monthlysummary_change", args=[summary.pk]))
    assert response.status_code == 200
    assert "registered_tech_firms" in response.content.decode()
