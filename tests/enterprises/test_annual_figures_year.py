"""Figures only for a year that has ended (Asia/Shanghai): refused at the field on the
enterprise's form, by the service (so admin and every caller), and by the official list."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from enterprises.models import AnnualFigures
from enterprises.resources import AnnualFiguresResource
from enterprises.services import annual_figures_submit
from tests.enterprises.factories import EnterpriseFactory
from tests.enterprises.test_resources import import_bytes, xlsx_bytes
from tests.enterprises.test_views import figures_data
from tests.portal.factories import EnterpriseUserFactory, StaffFactory

pytestmark = pytest.mark.django_db

# 31 December 2026, 23:00 in Shanghai: 2026 has not ended yet.
LAST_HOUR_OF_2026 = dt.datetime(2026, 12, 31, 15, 0, tzinfo=dt.UTC)
# 1 January 2027, 00:30 in Shanghai (still 31 December in UTC): 2026 has ended.
FIRST_HOUR_OF_2027 = dt.datetime(2026, 12, 31, 16, 30, tzinfo=dt.UTC)
FIGURES = {
    "revenue": Decimal("1000000"),
    "rd_expenditure": Decimal("100000"),
    "employees": 20,
    "rd_staff": 5,
}


@pytest.fixture
def client_a(client):
    """An enterprise user's client, logged in when the test asks (on its frozen clock)."""
    user = EnterpriseUserFactory()
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    def login():
        client.force_login(user)
        return client

    return login


@time_machine.travel(LAST_HOUR_OF_2026, tick=False)
def test_figures_of_the_current_year_are_refused_at_the_field(client_a):
    response = client_a().post(reverse("enterprises:figures_create"), figures_data(year=2026))
    assert response.status_code == 200
    assert response.context["form"].has_error("year", "year_not_ended")
    assert "The year 2026 has not ended" in response.content.decode()
    assert not AnnualFigures.objects.exists()


@time_machine.travel(LAST_HOUR_OF_2026, tick=False)
def test_the_form_offers_the_last_complete_year(client_a):
    form = client_a().get(reverse("enterprises:figures_create")).context["form"]
    assert form.fields["year"].initial == 2025
    assert form.fields["year"].widget.attrs["max"] == 2025


@time_machine.travel(FIRST_HOUR_OF_2027, tick=False)
def test_a_year_may_be_entered_once_it_has_ended_in_shanghai(client_a):
    response = client_a().post(reverse("enterprises:figures_create"), figures_data(year=2026))
    assert response.status_code == 302
    assert AnnualFigures.objects.get().year == 2026


@time_machine.travel(LAST_HOUR_OF_2026, tick=False)
@pytest.mark.parametrize("year", [2026, 2027])
def test_the_service_refuses_a_year_not_ended_for_staff_too(year):
    with translation.override("en"), pytest.raises(ValidationError) as exc:
        annual_figures_submit(
            enterprise=EnterpriseFactory(), year=year, acting_user=StaffFactory(), **FIGURES
        )
    assert "has not ended" in exc.value.message_dict["year"][0]
    assert not AnnualFigures.objects.exists()


@time_machine.travel(LAST_HOUR_OF_2026, tick=False)
def test_the_official_list_refuses_a_year_not_ended_whole():
    firm = EnterpriseFactory()
    headers = AnnualFiguresResource.headers()
    rows = [
        [firm.uscc, 2025, "100", "10", 20, 5, 0, 0, 0, 0, 0],
        [firm.uscc, 2026, "100", "10", 20, 5, 0, 0, 0, 0, 0],
    ]
    outcome = import_bytes(AnnualFiguresResource, xlsx_bytes(headers, rows))
    assert outcome.refused
    assert any("第 3 行" in m and "年度尚未结束" in m for m in outcome.messages())
    assert not AnnualFigures.objects.exists()
