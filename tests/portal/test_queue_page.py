"""The work queue page (我的待办): where every role lands after login, what it lists, the
count in the navigation and the person's messages."""

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common import calendar
from common.models import Notification, QueueHandover
from portal.accounts.models import User
from portal.accounts.roles import Role
from subsidies.models import SubsidyClaim
from tests.common.queue_world import CLAIMS, REQUESTS, claim_entered, registered, request_entered
from tests.enterprises.factories import EnterpriseFactory, ServiceRequestFactory
from tests.incubators.factories import OperatorFactory
from tests.loans.factories import BankOfficerFactory
from tests.portal.factories import PASSWORD, EnterpriseUserFactory, StaffFactory, UserFactory
from tests.subsidies.factories import AuditorFactory, FinanceFactory, SubsidyClaimFactory

pytestmark = pytest.mark.django_db

S = SubsidyClaim.Status
# Friday 20 March 2026, 10:00 in Chongqing.
NOW = dt.datetime(2026, 3, 20, 10, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def calendar_read(db):
    """The official calendar is read once a minute per process; read it before a test counts
    queries, so that counts do not depend on when it was last read."""
    calendar.calendar_cache_clear()
    calendar.is_working_day(NOW.date())


@pytest.fixture
def workflows():
    with registered(REQUESTS, CLAIMS):
        yield


@pytest.fixture
def today():
    with time_machine.travel(NOW, tick=False):
        yield NOW.date()


def claim(status=S.SUBMITTED, since=dt.date(2026, 3, 2), **kwargs):
    made = SubsidyClaimFactory(status=status, **kwargs)
    claim_entered(made, since)
    return made


ROLES = {
    "staff": lambda: StaffFactory(),
    "finance": lambda: FinanceFactory(),
    "bureau admin": lambda: StaffFactory(roles=(Role.BUREAU_ADMIN,)),
    "bank officer": lambda: BankOfficerFactory(),
    "auditor": lambda: AuditorFactory(),
    "carrier operator": lambda: OperatorFactory(),
    "enterprise": lambda: EnterpriseUserFactory(),
}


@pytest.mark.parametrize("role", ROLES)
def test_every_role_lands_on_its_queue_after_login(client, role, settings):
    settings.AXES_ENABLED = False
    user = ROLES[role]()
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("queue")
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "<h1>我的待办</h1>" in page.content.decode()  # catalog


def test_a_firm_user_waiting_for_approval_lands_on_its_pending_page(client, settings):
    settings.AXES_ENABLED = False
    user = EnterpriseUserFactory(link_status=User.LinkStatus.PENDING)
    response = client.post(
        reverse("login"), {"username": user.username, "password": PASSWORD}, follow=True
    )
    assert response.redirect_chain == [(reverse("queue"), 302), (reverse("link_pending"), 302)]


def test_an_officer_whose_link_waits_sees_an_empty_queue_saying_why(client, workflows):
    officer = BankOfficerFactory(link_status=User.LinkStatus.PENDING)
    client.force_login(officer)
    page = client.get(reverse("queue")).content.decode()
    assert "尚未关联到审核通过的机构" in page  # catalog
    assert 'class="queue"' not in page


def test_the_login_page_keeps_a_next_page(client, settings):
    settings.AXES_ENABLED = False
    user = StaffFactory()
    response = client.post(
        reverse("login") + "?next=/dashboard/",
        {"username": user.username, "password": PASSWORD, "next": "/dashboard/"},
    )
    assert response["Location"] == "/dashboard/"


def test_anonymous_is_asked_to_log_in_and_a_post_is_refused(client):
    response = client.get(reverse("queue"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    client.force_login(StaffFactory())
    assert client.post(reverse("queue")).status_code == 405


# ------------------------------------------------------------------------------ the list


def _rows(html: str) -> list[str]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [re.sub(r"\s+", " ", row) for row in body.split("</tr>") if "<td>" in row]


def test_the_page_lists_what_waits_oldest_first_with_dates_written_out(client, workflows, today):
    wang = StaffFactory(first_name="伟", last_name="王")
    li = StaffFactory(first_name="娜", last_name="李")
    late = claim(since=dt.date(2026, 3, 2))  # due Monday 2026-03-09
    fresh = claim(since=dt.date(2026, 3, 19), year=2024)  # due Thursday 2026-03-26
    held = ServiceRequestFactory(handler=wang)
    request_entered(held, dt.date(2026, 3, 3))  # due on the 15th working day: 2026-03-24
    QueueHandover.objects.create(from_user=wang, to_user=li, starts_on=today, ends_on=today)
    client.force_login(li)

    html = client.get(reverse("queue")).content.decode()

    rows = _rows(html)
    assert len(rows) == 3
    first, second, third = rows
    assert reverse("admin:subsidies_subsidyclaim_change", args=[late.pk]) in first
    assert ">2026-03-02</td>" in first and "<td>14</td>" in first
    assert "2026-03-09" in first and "逾期" in first and 'class="overdue"' in first  # catalog
    assert reverse("admin:enterprises_servicerequest_change", args=[held.pk]) in second
    assert "2026-03-24" in second and "逾期" not in second  # catalog
    assert "王伟" in second and "李娜" in second
    assert reverse("admin:subsidies_subsidyclaim_change", args=[fresh.pk]) in third
    assert "2026-03-26" in third
    assert "3 " in html.split('<ul class="queue-totals">')[0]  # the total before the list


def test_the_queue_is_listed_page_by_page_oldest_first(client, workflows, today, monkeypatch):
    monkeypatch.setattr("portal.views.QUEUE_PAGE_SIZE", 2)
    claims = [claim(since=dt.date(2026, 3, day), year=2000 + day) for day in (2, 3, 4, 5, 6)]
    client.force_login(StaffFactory())

    def listed(query: str) -> tuple[list[int], str]:
        html = client.get(reverse("queue") + query).content.decode()
        links = [re.search(r"subsidyclaim/(\d+)/", row) for row in _rows(html)]
        return [int(link.group(1)) for link in links if link], html

    pks = [c.pk for c in claims]
    first, html = listed("")
    assert first == pks[:2]
    assert "第 1 页，共 3 页" in html and 'href="?page=2"' in html and "上一页" not in html
    assert "共有 5 项待办" in html  # the count is every item, not the page's
    second, html = listed("?page=2")
    assert second == pks[2:4] and 'href="?page=1"' in html and 'href="?page=3"' in html
    last, html = listed("?page=3")
    assert last == pks[4:] and "下一页" not in html
    # A page past the last shows the last; one that is no number, the first.
    assert listed("?page=99")[0] == pks[4:]
    assert listed("?page=10000000000000000000000")[0] == pks[4:]
    assert listed("?page=abc")[0] == pks[:2] == listed("?page=-3")[0]


def test_a_handler_away_is_told_where_their_queue_is(client, workflows, today):
    wang = StaffFactory()
    li = StaffFactory(first_name="娜", last_name="李")
    QueueHandover.objects.create(
        from_user=wang, to_user=li, starts_on=today, ends_on=dt.date(2026, 3, 27)
    )
    client.force_login(wang)
    html = client.get(reverse("queue")).content.decode()
    assert "李娜" in html and "2026-03-27" in html


def test_the_page_shows_only_my_messages(client, workflows):
    me, other = StaffFactory(), StaffFactory()
    for who, subject in ((me, "给我的消息"), (other, "给别人的消息")):
        Notification.objects.create(
            recipient=who,
            email=who.email,
            kind="test",
            subject=subject,
            body="正文",
            url="http://127.0.0.1:8000/subsidies/claims/1/",
        )
    client.force_login(me)
    html = client.get(reverse("queue")).content.decode()
    assert "给我的消息" in html and "给别人的消息" not in html
    assert 'href="/subsidies/claims/1/"' in html


# -------------------------------------------------------------------------- the count


def test_the_navigation_counts_what_waits_on_every_page(client, workflows):
    claim()
    claim(year=2024)
    client.force_login(StaffFactory())
    for url in (reverse("home"), reverse("subsidies:policies"), reverse("queue")):
        html = client.get(url).content.decode()
        assert re.search(r'href="/queue/">我的待办 <span class="count"[^>]*>2</span>', html), url


def test_nothing_waiting_shows_no_number(client, workflows):
    claim()
    client.force_login(EnterpriseUserFactory())
    html = client.get(reverse("home")).content.decode()
    assert 'href="/queue/">我的待办</a>' in html  # catalog


def test_the_admin_header_links_to_the_queue_with_its_count(client, workflows):
    claim()
    client.force_login(StaffFactory())
    html = client.get(reverse("admin:index")).content.decode()
    assert '<a href="/queue/">我的待办 (1)</a>' in html  # catalog


def test_the_count_in_the_navigation_costs_two_queries(client, workflows):
    claim()
    request_entered(ServiceRequestFactory(handler=StaffFactory()), dt.date(2026, 3, 2))
    client.force_login(StaffFactory())
    # A page that reads nothing of its own (the home page reads calls, notices and figures).
    page = reverse("password_change")
    client.get(page)  # (the bureau session's expiry is pushed once)
    with CaptureQueriesContext(connection) as queries:
        client.get(page)
    counted = [q["sql"] for q in queries.captured_queries if "COUNT" in q["sql"]]
    # session, user, the permissions (2) the navigation reads anyway, who holds the
    # permissions a holder stands for, and the count
    assert len(queries) == 6 and len(counted) == 1


def _world(rows: int, handler, firm) -> None:
    first_year = 1990 + SubsidyClaim.objects.count()  # a claimant has one claim a year
    for n in range(rows):
        claim(year=first_year + n)
        claim(S.RETURNED, enterprise=firm, year=first_year + n)
        request_entered(
            ServiceRequestFactory(handler=handler if n % 2 else None), dt.date(2026, 3, 2)
        )
        Notification.objects.create(
            recipient=handler, email="", kind="test", subject=f"消息{n}", body="正文"
        )


@pytest.mark.parametrize("who", ["staff", "enterprise"])
def test_the_page_costs_the_same_queries_for_60_rows_as_for_180(client, workflows, who):
    staff = StaffFactory()
    firm = EnterpriseFactory()
    user = staff if who == "staff" else EnterpriseUserFactory(enterprise=firm)
    client.force_login(user)
    counts = {}
    for rows in (3, 60, 120):  # added up: 3 rows, then 63 and 183 (past a page of 50)
        _world(rows, staff, firm)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse("queue")).status_code == 200
        counts[rows] = len(queries)
    assert counts[60] == counts[120]
    # Session and user (2); for staff their permissions (2) and who holds the permissions a
    # holder stands for (1, the day's handovers with them); the keys of every process in
    # order (1); the rows of each process with a record on the page (1: the oldest 50 all
    # entered their state the same day, and ties go by process); their messages (1); the
    # count per process once the queue is longer than the page (1); the navigation reuses
    # the page's total.
    assert counts[120] == (2 + 2 + 1 + 1 + 1 + 1 + 1 if who == "staff" else 2 + 1 + 1 + 1 + 1)
    # Three rows: the page holds every item (they are the count), of both processes.
    assert counts[3] == (2 + 2 + 1 + 1 + 2 + 1 if who == "staff" else 2 + 1 + 1 + 1)


def test_an_outsider_has_an_empty_queue(client, workflows):
    claim()
    client.force_login(UserFactory())
    html = client.get(reverse("queue")).content.decode()
    assert "暂无待办事项。" in html  # catalog


def test_signing_in_at_the_admin_login_lands_on_the_queue(client):
    from tests.portal.factories import PASSWORD, StaffFactory

    staff = StaffFactory(username="kjj_admin_login")
    page = client.get("/admin/login/").content.decode()
    assert 'name="next" value="/queue/"' in page
    response = client.post(
        "/admin/login/",
        {"username": staff.username, "password": PASSWORD, "next": "/queue/"},
        REMOTE_ADDR="127.0.0.1",
    )
    assert response.status_code == 302 and response["Location"] == "/queue/"
    client.logout()
    # on the way to an admin page, the sign-in goes on to that page
    page = client.get("/admin/login/?next=/admin/enterprises/enterprise/").content.decode()
    assert 'name="next" value="/admin/enterprises/enterprise/"' in page
