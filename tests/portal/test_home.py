"""The home page: the policy calls open now with their deadlines, the notices open for
objections, the public figures of the latest monthly summary, and the way in for each kind
of user (the menu's own links), at phone and desktop widths."""

import datetime as dt
import re
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page

from portal.accounts.models import User
from portal.statistics import services as statistics_services
from portal.statistics.lib import Period
from portal.views import HOME_NOTICES
from subsidies.models import ApplicationWindow, Programme, SubsidyPolicy
from tests.incubators.factories import OperatorFactory
from tests.loans.factories import BankOfficerFactory
from tests.portal.factories import PASSWORD, EnterpriseUserFactory, StaffFactory, UserFactory
from tests.subsidies.factories import YEAR, AuditorFactory, NoticeFactory, policy

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
SHOTS = Path("/tmp/shots")
TODAY = dt.date(YEAR, 3, 10)  # a Monday; 31 March is a Monday three weeks on


def on(day: dt.date = TODAY):
    return time_machine.travel(dt.datetime.combine(day, dt.time(10), tzinfo=SHANGHAI), tick=False)


def window(version: SubsidyPolicy, opens_on: dt.date, closes_on: dt.date) -> ApplicationWindow:
    return ApplicationWindow.objects.create(policy=version, opens_on=opens_on, closes_on=closes_on)


def rent_call() -> SubsidyPolicy:
    """This year's rent version, with its call open through March."""
    version = policy(Programme.RENT)
    window(version, dt.date(YEAR, 3, 1), dt.date(YEAR, 3, 31))
    return version


def section(html: str, element_id: str) -> str:
    found = re.search(rf'<(section|p)[^>]*id="{element_id}".*?</\1>', html, re.S)
    return found.group(0) if found else ""


def links(html: str) -> list[str]:
    return [href for href in re.findall(r'href="([^"]+)"', html) if href.startswith("/")]


def nav_links(html: str) -> list[str]:
    nav = re.search(r"<nav[^>]*>(.*?)</nav>", html, re.S)
    assert nav is not None
    return links(nav.group(1))


def home(client) -> str:
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return response.content.decode()


# ------------------------------------------------------------------------- policy calls


def test_an_open_call_shows_its_working_days_left_and_links_to_its_policy(client):
    version = rent_call()
    with on():
        response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")
    calls = section(response.content.decode(), "open-calls")
    row = re.search(rf'<li data-policy="{version.pk}">.*?</li>', calls, re.S)
    assert row is not None
    assert f'href="{reverse("subsidies:policy_detail", args=[version.pk])}"' in row.group(0)
    assert "16 working days left" in row.group(0) and "2025-03-31" in row.group(0)
    # The call closing soonest comes first, before the versions open while in effect.
    listed = [int(pk) for pk in re.findall(r'data-policy="(\d+)"', calls)]
    assert listed[0] == version.pk


def test_a_closed_call_and_a_draft_are_not_shown(client):
    closed = policy(Programme.RD_INVESTMENT)
    window(closed, dt.date(YEAR, 1, 6), dt.date(YEAR, 1, 31))
    upcoming = policy(Programme.HTE_NEW)
    window(upcoming, dt.date(YEAR, 9, 1), dt.date(YEAR, 9, 30))
    published = rent_call()
    draft = SubsidyPolicy.objects.get(pk=published.pk)
    draft.pk = None
    draft.status = SubsidyPolicy.Status.DRAFT
    draft.save()
    window(draft, dt.date(YEAR, 3, 1), dt.date(YEAR, 3, 31))
    with on():
        calls = section(home(client), "open-calls")
    shown = {int(pk) for pk in re.findall(r'data-policy="(\d+)"', calls)}
    assert published.pk in shown
    assert closed.pk not in shown and upcoming.pk not in shown
    assert draft.pk not in shown
    assert reverse("subsidies:policy_detail", args=[draft.pk]) not in calls


def test_last_years_versions_are_not_offered(client):
    rent_call()
    old = policy(Programme.RENT, year=YEAR - 1)
    window(old, dt.date(YEAR - 1, 3, 1), dt.date(YEAR, 3, 31))
    with on():
        calls = section(home(client), "open-calls")
    assert f'data-policy="{old.pk}"' not in calls


def test_without_an_open_call_the_page_says_so(client):
    SubsidyPolicy.objects.filter(year=YEAR).update(status=SubsidyPolicy.Status.DRAFT)
    with on():
        calls = section(home(client), "open-calls")
    assert "data-policy=" not in calls
    assert 'class="muted"' in calls
    assert f'href="{reverse("subsidies:policies")}"' in calls


# ---------------------------------------------------------------------------- notices


def test_notices_under_way_link_to_their_pages_and_ended_or_future_ones_do_not_show(client):
    under_way = NoticeFactory(starts_on=dt.date(YEAR, 3, 5), ends_on=dt.date(YEAR, 3, 12))
    last_day = NoticeFactory(starts_on=dt.date(YEAR, 3, 4), ends_on=TODAY)
    ended = NoticeFactory(starts_on=dt.date(YEAR, 2, 24), ends_on=dt.date(YEAR, 3, 7))
    future = NoticeFactory(starts_on=dt.date(YEAR, 3, 11), ends_on=dt.date(YEAR, 3, 17))
    with on():
        notices = section(home(client), "open-notices")
    shown = [int(pk) for pk in re.findall(r'data-notice="(\d+)"', notices)]
    assert shown == [last_day.pk, under_way.pk]  # the one ending soonest first
    assert f'href="{reverse("notices:detail", args=[under_way.pk])}"' in notices
    assert ended.pk not in shown and future.pk not in shown
    assert f'href="{reverse("notices:list")}"' in notices


def test_a_notice_counts_its_working_days_left_today_included(client):
    NoticeFactory(starts_on=dt.date(YEAR, 3, 5), ends_on=dt.date(YEAR, 3, 12))
    with on():
        response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")
    notices = section(response.content.decode(), "open-notices")
    assert "3 working days left (until 2025-03-12)" in notices  # Mon, Tue, Wed


def test_at_most_a_few_notices_are_shown(client):
    for n in range(HOME_NOTICES + 3):
        NoticeFactory(starts_on=dt.date(YEAR, 3, 3), ends_on=dt.date(YEAR, 3, 11 + n))
    with on():
        notices = section(home(client), "open-notices")
    assert len(re.findall(r"data-notice=", notices)) == HOME_NOTICES


# ---------------------------------------------------------------------------- figures


def test_the_latest_summary_shows_its_public_figures_with_its_period(client):
    statistics_services.monthly_summary_compute(period=Period(YEAR, 1))
    statistics_services.monthly_summary_compute(period=Period(YEAR, 2))
    with on():
        response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en")
    figures = section(response.content.decode(), "home-figures")
    assert "2025-02" in figures and "2025-02-28" in figures and "2025-01" not in figures
    keys = re.findall(r'data-figure="([\w.]+)"', figures)
    assert "enterprises.registered_tech_firms" in keys and "loans.granted_amount" in keys
    # Never a bank's book, the fund's balance or the service desk's work.
    for private in ("loans.outstanding_amount", "loans.fund_balance", "services."):
        assert not any(key.startswith(private) for key in keys)
    assert "ten thousand yuan" in figures  # money says its unit (万元)


def test_before_the_first_summary_the_page_says_so_politely(client):
    with on():
        figures = section(home(client), "home-figures")
    assert figures and "data-figure=" not in figures
    assert 'id="figures-none"' in figures


# ---------------------------------------------------------------------- the way in


def test_a_visitor_is_offered_log_in_and_enterprise_sign_up(client):
    html = home(client)
    way_in = section(html, "way-in")
    assert links(way_in) == [reverse("login"), reverse("signup")]
    assert 'id="desk"' not in html


def _desk(html: str) -> list[str]:
    return links(section(html, "desk"))


KINDS = {
    "enterprise": (
        EnterpriseUserFactory,
        [
            "queue",
            "enterprises:my_enterprise",
            "enterprises:my_requests",
            "loans:home",
            "subsidies:my_claims",
        ],
    ),
    "bank": (BankOfficerFactory, ["queue", "loans:bank_desk"]),
    "carrier": (OperatorFactory, ["queue", "incubators:home", "subsidies:my_claims"]),
    "auditor": (AuditorFactory, ["queue", "subsidies:audits"]),
    "staff": (
        StaffFactory,
        ["queue", "admin:index", "statistics:dashboard", "dossier:search", "service_desk:desk"],
    ),
    "pending-firm": (
        lambda: EnterpriseUserFactory(link_status=User.LinkStatus.PENDING),
        ["queue", "link_pending"],
    ),
    "pending-bank": (
        lambda: BankOfficerFactory(link_status=User.LinkStatus.PENDING),
        ["queue", "link_pending"],
    ),
    "no-role": (UserFactory, ["queue"]),
}


@pytest.mark.parametrize("kind", list(KINDS))
def test_a_signed_in_user_finds_their_own_pages_as_in_the_menu(client, kind):
    make_user, expected = KINDS[kind]
    client.force_login(make_user())
    html = home(client)
    desk = _desk(html)
    assert desk == [reverse(name) for name in expected]
    assert 'id="way-in"' not in html
    # The same links as the header's, in the same order: one list computed for both.
    nav = nav_links(html)
    assert [href for href in nav if href in desk] == desk
    for href in desk:
        status = client.get(href).status_code
        assert status in (200, 302), f"{href} answers {status} for {kind}"


def test_a_pending_firm_sees_its_review_page_and_none_of_the_firms_pages(client):
    client.force_login(EnterpriseUserFactory(link_status=User.LinkStatus.PENDING))
    desk = _desk(home(client))
    assert reverse("link_pending") in desk
    for name in ("enterprises:my_enterprise", "subsidies:my_claims", "loans:home"):
        assert reverse(name) not in desk


def test_a_staff_member_without_the_figures_permission_gets_no_figures_link(client):
    staff = StaffFactory(roles=())
    client.force_login(staff)
    html = home(client)
    assert reverse("statistics:dashboard") not in html
    assert reverse("admin:index") in _desk(html)


# ------------------------------------------------------------------------ query count


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(reverse("home")).status_code == 200
    return len(captured)


@pytest.mark.parametrize("make_user", [None, EnterpriseUserFactory, StaffFactory])
def test_home_queries_do_not_grow_with_calls_windows_and_notices(client, make_user):
    if make_user is not None:
        client.force_login(make_user())
    statistics_services.monthly_summary_compute(period=Period(YEAR, 2))
    with on():
        rent_call()
        NoticeFactory(starts_on=dt.date(YEAR, 3, 5), ends_on=dt.date(YEAR, 3, 12))
        NoticeFactory(starts_on=dt.date(YEAR, 3, 6), ends_on=dt.date(YEAR, 3, 13))
        client.get(reverse("home"))  # the official calendar is read once per process
        small = _queries(client)
        # Every programme with a call open, past and future windows, a dozen notices.
        for n, code in enumerate(Programme.values):
            version = policy(code)
            if code != Programme.RENT:
                window(version, dt.date(YEAR, 3, 3), dt.date(YEAR, 3, 20 + n))
            window(version, dt.date(YEAR, 1, 2), dt.date(YEAR, 1, 20))
            window(version, dt.date(YEAR, 10, 1), dt.date(YEAR, 10, 20))
        for n in range(12):
            NoticeFactory(starts_on=dt.date(YEAR, 3, 3), ends_on=dt.date(YEAR, 3, 11 + n))
        large = _queries(client)
        html = home(client)
    assert len(re.findall(r"data-policy=", section(html, "open-calls"))) == len(Programme)
    assert large == small
    # The versions and their windows (2), the open notices (1), the latest summary (1); signed
    # in: the session and the user (2) and the queue's number, counted once for the header
    # and the page (1: the test settings never cache it); for staff their permissions and
    # their groups' (2) and who holds the permissions a queue's holder stands for (1).
    assert large == {None: 4, EnterpriseUserFactory: 7, StaffFactory: 10}[make_user]


# ------------------------------------------------------------------------- in Chromium


def _log_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile(r"/queue/$"))


def _fits(page: Page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def _shot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_home_page_fits_a_phone_and_a_desktop_screen(page: Page):
    from tests.portal.test_journey import ensure_roles

    ensure_roles()
    today = timezone.localdate()
    statistics_services.monthly_summary_compute(period=Period.of(today).previous())
    for code in Programme.values:
        window(policy(code, year=today.year), today - dt.timedelta(days=3), today)
    NoticeFactory(
        number="JBKJ-2025-GS-0000000001",
        title="关于2025年度研发投入补贴及高新技术企业认定奖励拟支持名单的公示" * 2,
        starts_on=today,
        ends_on=today + dt.timedelta(days=7),
    )
    staff = StaffFactory(username="kjj_home")
    for width, height in ((390, 844), (1366, 768)):
        page.set_viewport_size({"width": width, "height": height})
        page.context.clear_cookies()
        page.goto("/")
        assert page.locator("#open-calls [data-policy]").count() == len(Programme)
        assert page.locator("#home-figures [data-figure]").count() > 0
        assert _fits(page), f"the visitor's home page overflows at {width} px"
        _shot(page, f"home_visitor_{width}")
        _log_in(page, staff.username)
        page.goto("/")
        assert page.locator("#desk [data-link]").count() >= 4
        assert _fits(page), f"staff's home page overflows at {width} px"
        _shot(page, f"home_staff_{width}")
    # The check sees an overflow when there is one (a table wider than the phone).
    page.evaluate(
        "document.querySelector('#open-notices').insertAdjacentHTML('beforeend',"
        " '<table><tr><td style=\"white-space:nowrap\">' + 'X'.repeat(400) + '</td></tr></table>')"
    )
    assert not _fits(page)
