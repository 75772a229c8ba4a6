"""The 数读 dashboard: staff only, figures with changes and links, SVG trends, xlsx download."""

import datetime as dt
import io
import re
from pathlib import Path

import openpyxl
import pytest
from django.urls import reverse

from incubators.models import IncubatorKind, Level
from portal.statistics import services
from portal.statistics.lib import Period
from tests.enterprises.factories import (
    EnterpriseFactory,
    HighTechCertificateFactory,
    TechFirmRegistrationFactory,
)
from tests.incubators.factories import (
    ActivityFactory,
    IncubatorFactory,
    RecognitionFactory,
    TenancyFactory,
)
from tests.portal.factories import EnterpriseUserFactory, StaffFactory, UserFactory
from tests.statistics.factories import DistrictStatisticFactory

DASHBOARD = reverse("statistics:dashboard")
XLSX = reverse("statistics:dashboard_xlsx")
SHOTS = Path("/tmp/shots")


def _history(months: int, firms: int = 3) -> None:
    last = Period(2025, 10)
    first = last.shift(-(months - 1))
    for index, enterprise in enumerate(EnterpriseFactory.create_batch(firms)):
        TechFirmRegistrationFactory(
            enterprise=enterprise, registered_on=first.shift(index % months).first_day
        )
        HighTechCertificateFactory(enterprise=enterprise, issued_on=dt.date(2024, 1, 2))
    DistrictStatisticFactory(year=2024)
    services.monthly_summary_backfill(first=first, last=last)


@pytest.fixture
def staff_client(client):
    client.force_login(StaffFactory())
    return client


@pytest.mark.django_db
@pytest.mark.parametrize(("months", "firms"), [(2, 3), (24, 120)])
def test_dashboard_query_count_does_not_grow(
    staff_client, django_assert_max_num_queries, months, firms
):
    _history(months, firms)
    # session, user, the permission check (user perms, group perms), the latest snapshot,
    # the 13-month window, the list of months for the picker, the work queue's count and who
    # holds the permissions a holder stands for: none per month or row.
    with django_assert_max_num_queries(9):
        response = staff_client.get(DASHBOARD)
    assert response.status_code == 200


@pytest.mark.django_db
def test_dashboard_shows_figures_changes_links_and_inline_svg(staff_client):
    _history(13)
    content = staff_client.get(DASHBOARD, {"period": "2025-10"}).content.decode()
    assert "<svg" in content and "<polyline" in content
    # No script and nothing from a CDN (CSRF tokens, random letters, masked first).
    unmasked = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", content)
    assert "<script" not in content and "cdn" not in unmasked.lower()
    assert 'style="' not in content  # the CSP allows no inline style
    assert "?registered_on_day=2025-10-31" in content
    # the section tables link the other figures too
    assert "?registered_on__gte=2025-10-01&amp;registered_on__lte=2025-10-31" in content
    assert "?high_tech_expiring_on_day=2025-10-31" in content
    assert "?high_tech_on_day=2025-10-31" in content
    assert reverse("admin:statistics_districtstatistic_changelist") in content
    assert f"{XLSX}?period=2025-10" in content


@pytest.mark.django_db
def test_each_link_lists_the_rows_behind_the_figure(staff_client):
    _history(13, firms=5)
    summary = services.monthly_summary_compute(period=Period(2025, 10))
    url = reverse("admin:enterprises_enterprise_changelist")
    response = staff_client.get(url, {"registered_on_day": "2025-10-31"})
    assert response.status_code == 200
    assert (
        response.context["cl"].result_count
        == (summary.figures["enterprises"]["registered_tech_firms"])
    )
    response = staff_client.get(url, {"high_tech_expiring_on_day": "2025-10-31"})
    assert (
        response.context["cl"].result_count
        == (summary.figures["enterprises"]["high_tech_expiring_90d"])
    )


@pytest.mark.django_db
def test_dashboard_without_snapshots_says_how_to_make_one(staff_client):
    response = staff_client.get(DASHBOARD)
    assert response.status_code == 200
    assert "monthly_summary" in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("period", ["2025-13", "1999-01"])
def test_unknown_or_malformed_month_is_404(staff_client, period):
    _history(2)
    assert staff_client.get(DASHBOARD, {"period": period}).status_code == 404
    assert staff_client.get(XLSX, {"period": period}).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("factory", [UserFactory, EnterpriseUserFactory])
def test_non_staff_cannot_see_the_dashboard(client, factory):
    _history(2)
    client.force_login(factory())
    for url in (DASHBOARD, XLSX):
        response = client.get(url)
        # Told why, not sent to a login page they are already past.
        assert response.status_code == 403
        assert 'class="reason"' in response.content.decode()


@pytest.mark.django_db
def test_anonymous_is_sent_to_log_in(client):
    assert client.get(DASHBOARD).status_code == 302


@pytest.mark.django_db
def test_staff_without_the_permission_is_refused(client):
    client.force_login(StaffFactory(roles=()))
    assert client.get(DASHBOARD).status_code == 403


@pytest.mark.django_db
def test_xlsx_download(staff_client):
    _history(13)
    response = staff_client.get(XLSX, {"period": "2025-10"})
    assert response.status_code == 200
    assert "monthly-summary-2025-10.xlsx" in response["Content-Disposition"]
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    # headlines, then incubators, enterprises, loans, subsidies, rd, services
    assert len(workbook.sheetnames) == 7
    assert all(workbook[name]._charts for name in workbook.sheetnames[1:])


def _carriers(since: dt.date) -> None:
    """Carriers recognised month after month, each with tenants, for the incubators charts."""
    for index, level in enumerate([Level.DISTRICT] * 5 + [Level.MUNICIPAL] * 3 + [Level.NATIONAL]):
        day = since + dt.timedelta(days=40 * index)
        incubator = IncubatorFactory(kind=list(IncubatorKind)[index % 4])
        RecognitionFactory(incubator=incubator, level=level, recognized_on=day)
        for tenant in range(index + 2):
            TenancyFactory(incubator=incubator, moved_in_on=day + dt.timedelta(days=tenant))
        ActivityFactory(organiser=incubator, held_on=day + dt.timedelta(days=3))


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_open_the_dashboard_in_chromium(page, live_server):
    from tests.portal.factories import PASSWORD
    from tests.portal.test_journey import ensure_roles

    ensure_roles()  # an earlier transactional test may have emptied the role groups
    _carriers(Period(2025, 10).shift(-12).first_day)
    _history(13, firms=12)
    staff = StaffFactory()
    page.goto("/accounts/login/?next=/dashboard/")
    page.fill("input[name=username]", staff.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard/")
    assert page.locator("article.figure").count() >= 4
    assert page.locator("svg.trend polyline").count() >= 4
    assert "入库科技型企业" in page.content()
    assert "已认定孵化载体" in page.content() and "在孵企业" in page.content()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "dashboard.png"), full_page=True)


@pytest.mark.django_db
def test_on_day_filters_ignore_a_malformed_day(staff_client):
    TechFirmRegistrationFactory(registered_on=dt.date(2025, 1, 1))
    EnterpriseFactory()
    url = reverse("admin:enterprises_enterprise_changelist")
    response = staff_client.get(url, {"registered_on_day": "2025-02-30"})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 2
    response = staff_client.get(url, {"high_tech_on_day": "2025-10-31"})
    assert response.context["cl"].result_count == 0
