"""The work queue (我的待办): what waits for each person, computed from the workflow tables.

Dates are written out; March 2026 has no holidays, so its working days are Monday to Friday;
October 2026 has the National Day holiday and a Saturday worked in lieu.
"""

import dataclasses
import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common import calendar
from common.models import QueueHandover
from common.queue import overdue_queue_items, queue_count_for_user, queue_for_user
from common.workflow import Permission, move
from enterprises.models import ServiceRequest
from portal.accounts.models import User
from portal.accounts.roles import Role
from subsidies.models import Programme, SubsidyClaim
from tests.common.queue_world import (
    CLAIMS,
    LOANS,
    REQUESTS,
    STAFF,
    at,
    claim_entered,
    entered,
    registered,
    request_entered,
)
from tests.enterprises.factories import (
    DepartmentFactory,
    EnterpriseFactory,
    ServiceRequestFactory,
)
from tests.incubators.factories import IncubatorFactory, OperatorFactory
from tests.loans.factories import BankFactory, BankOfficerFactory, loan_in
from tests.portal.factories import EnterpriseUserFactory, StaffFactory, UserFactory
from tests.subsidies.factories import (
    AuditFirmFactory,
    AuditorFactory,
    FinanceFactory,
    RDAuditFactory,
    SubsidyClaimFactory,
)

pytestmark = pytest.mark.django_db

S = SubsidyClaim.Status
DAY = dt.date(2026, 3, 20)  # a Friday


@pytest.fixture(autouse=True)
def calendar_read(db):
    """The official calendar is read once a minute per process; read it before a test counts
    queries, so that counts do not depend on when it was last read."""
    calendar.calendar_cache_clear()
    calendar.is_working_day(DAY)


@pytest.fixture
def workflows():
    with registered(REQUESTS, CLAIMS):
        yield


def keys(user, day=DAY, **kwargs):
    return {
        (item.workflow.name, item.obj.pk)
        for item in queue_for_user(user=user, day=day, **kwargs).items
    }


def claim(status=S.SUBMITTED, since=dt.date(2026, 3, 2), **kwargs):
    made = SubsidyClaimFactory(status=status, **kwargs)
    claim_entered(made, since)
    return made


def request(since=dt.date(2026, 3, 2), **kwargs):
    made = ServiceRequestFactory(**kwargs)
    request_entered(made, since)
    return made


# ----------------------------------------------------------------------- who sees what


def test_each_role_sees_exactly_what_waits_for_it(workflows):
    firm_a, firm_b = EnterpriseFactory(), EnterpriseFactory()
    carrier = IncubatorFactory()
    audit_x, audit_y = AuditFirmFactory(), AuditFirmFactory()
    submitted = claim(enterprise=firm_a, year=2024)
    returned_a = claim(S.RETURNED, enterprise=firm_a)
    returned_b = claim(S.RETURNED, enterprise=firm_b)
    returned_carrier = claim(S.RETURNED, enterprise=None, incubator=carrier)
    audited_x = RDAuditFactory(firm=audit_x).claim
    audited_y = RDAuditFactory(firm=audit_y).claim
    approved = claim(S.APPROVED)
    open_request = request()
    request(status=ServiceRequest.Status.RESOLVED, resolved_on=dt.date(2025, 3, 20))  # done

    def c(obj):
        return ("test_claims", obj.pk)

    expected = {
        StaffFactory(): {c(submitted), ("test_requests", open_request.pk)},
        FinanceFactory(): {c(approved)},
        EnterpriseUserFactory(enterprise=firm_a): {c(returned_a)},
        EnterpriseUserFactory(enterprise=firm_b): {c(returned_b)},
        OperatorFactory(incubator=carrier): {c(returned_carrier)},
        AuditorFactory(audit_firm=audit_x): {c(audited_x)},
        AuditorFactory(audit_firm=audit_y): {c(audited_y)},
    }
    for user, waiting in expected.items():
        assert keys(user) == waiting, user.username
        assert queue_count_for_user(user=user, day=DAY) == len(waiting), user.username


def test_an_outsider_sees_nothing(workflows):
    firm = EnterpriseFactory()
    claim(S.RETURNED, enterprise=firm)
    claim()
    request()
    outsiders = [
        UserFactory(),  # no organisation, not bureau
        EnterpriseUserFactory(enterprise=firm, link_status=User.LinkStatus.PENDING),
        EnterpriseUserFactory(enterprise=firm, link_status=User.LinkStatus.REJECTED),
        EnterpriseUserFactory(enterprise=firm, is_active=False),
        StaffFactory(is_active=False),
        StaffFactory(roles=()),  # a bureau account holding no permission
        AnonymousUser(),
    ]
    for user in outsiders:
        assert queue_for_user(user=user, day=DAY).items == []
        assert queue_count_for_user(user=user, day=DAY) == 0


def test_a_bank_officer_sees_only_its_banks_loans():
    from loans.models import LoanStatusChange

    bank_a, bank_b = BankFactory(), BankFactory()
    mine = loan_in("forwarded", bank=bank_a)
    theirs = loan_in("forwarded", bank=bank_b)
    loan_in("disbursed", bank=bank_a)  # nothing asked of the bank now
    for loan in (mine, theirs):
        entered(LoanStatusChange, "application", loan, "forwarded", at(dt.date(2026, 3, 2)))
    with registered(LOANS):
        officer = BankOfficerFactory(bank=bank_a)
        [item] = queue_for_user(user=officer, day=DAY).items
        assert item.obj == mine
        assert item.link == reverse("loans:bank_loan_detail", args=[mine.pk])
        assert keys(BankOfficerFactory(bank=bank_b)) == {("test_loans", theirs.pk)}


def test_each_item_opens_the_page_of_its_reader(workflows):
    firm = EnterpriseFactory()
    returned = claim(S.RETURNED, enterprise=firm)
    audit = RDAuditFactory()
    submitted = claim()

    [mine] = queue_for_user(user=EnterpriseUserFactory(enterprise=firm), day=DAY).items
    [audit_item] = queue_for_user(user=AuditorFactory(audit_firm=audit.firm), day=DAY).items
    [staff_item] = queue_for_user(user=StaffFactory(), day=DAY).items

    assert mine.link == reverse("subsidies:claim_detail", args=[returned.pk])
    assert audit_item.link == reverse("subsidies:audit_detail", args=[audit.pk])
    assert staff_item.link == reverse("admin:subsidies_subsidyclaim_change", args=[submitted.pk])
    assert (mine.process, mine.state, mine.holder) == ("补贴申请", str(S.RETURNED.label), "企业")


# -------------------------------------------------------------------- holders, handovers


def test_a_held_request_waits_for_its_handler_not_for_colleagues(workflows):
    wang, li = StaffFactory(first_name="伟", last_name="王"), StaffFactory()
    held = request(handler=wang)
    unheld = request()

    assert keys(wang) == {("test_requests", held.pk), ("test_requests", unheld.pk)}
    assert keys(li) == {("test_requests", unheld.pk)}
    [item] = [i for i in queue_for_user(user=wang, day=DAY).items if i.obj == held]
    assert item.holder == "王伟"


def test_the_holder_is_named_only_where_the_item_waits_for_them():
    """A claim's handler holds it for staff; a claim returned to the firm waits for the firm
    (which never sees an officer's name), one handler-signed for the section head."""
    from subsidies.workflows.claims import CLAIM, ENTERPRISE, SECTION_HEAD
    from tests.subsidies.factories import SectionHeadFactory

    wang = StaffFactory(first_name="伟", last_name="王")
    firm = EnterpriseFactory()
    returned = claim(S.RETURNED, enterprise=firm, handler=wang)
    signed = claim(S.HANDLER_SIGNED, handler=wang)
    reviewing = claim(S.UNDER_REVIEW, handler=wang)
    with registered(CLAIM):
        [for_firm] = queue_for_user(user=EnterpriseUserFactory(enterprise=firm), day=DAY).items
        [for_head] = queue_for_user(user=SectionHeadFactory(), day=DAY).items
        held = {item.obj: item for item in queue_for_user(user=wang, day=DAY).items}
    assert (for_firm.obj, for_firm.holder) == (returned, str(ENTERPRISE.label))
    assert (for_head.obj, for_head.holder) == (signed, str(SECTION_HEAD.label))
    assert held[reviewing].holder == "王伟"


def test_a_held_request_no_holder_can_take_waits_for_everyone_with_the_right(workflows):
    li = StaffFactory()
    by_finance = request(handler=FinanceFactory())  # finance may not handle requests
    by_leaver = request(handler=StaffFactory(is_active=False))

    assert keys(li) == {("test_requests", by_finance.pk), ("test_requests", by_leaver.pk)}


def test_a_holder_stands_only_for_the_actors_the_workflow_names():
    """A forwarded request waits for whoever follows departments up (a right its handler
    also holds), not for its handler alone: the handler stands for the desk's right only."""
    follow_up = Permission("enterprises.view_servicerequest", "跟进部门")
    split = dataclasses.replace(
        REQUESTS,
        next={ServiceRequest.Status.OPEN: (STAFF,), ServiceRequest.Status.FORWARDED: (follow_up,)},
        held_actors=(STAFF.key,),
    )
    wang = StaffFactory(first_name="伟", last_name="王")
    li = StaffFactory()
    with registered(split):
        taken_up = request(handler=wang)
        forwarded = request(
            handler=wang,
            status=ServiceRequest.Status.FORWARDED,
            handling=ServiceRequest.Handling.FORWARDED,
            department=DepartmentFactory(),
        )
        request_entered(forwarded, dt.date(2026, 3, 2), ServiceRequest.Status.FORWARDED)
        assert keys(li) == {("test_requests", forwarded.pk)}
        assert keys(wang) == {("test_requests", taken_up.pk), ("test_requests", forwarded.pk)}
        holders = {i.obj.pk: i.holder for i in queue_for_user(user=li, day=DAY).items}
    assert holders == {forwarded.pk: "跟进部门"}


def test_a_handover_moves_held_items_for_its_days_only(workflows):
    wang = StaffFactory(first_name="伟", last_name="王")
    li = StaffFactory(first_name="娜", last_name="李")
    zhao = StaffFactory()
    held = request(handler=wang)
    QueueHandover.objects.create(
        from_user=wang, to_user=li, starts_on=dt.date(2026, 3, 16), ends_on=dt.date(2026, 3, 20)
    )
    item = ("test_requests", held.pk)

    before, first, last, after = (dt.date(2026, 3, d) for d in (15, 16, 20, 21))
    assert item in keys(wang, before) and item not in keys(li, before)
    for day in (first, last):
        assert item in keys(li, day) and item not in keys(wang, day)
        assert queue_count_for_user(user=li, day=day) == 1
        assert queue_count_for_user(user=wang, day=day) == 0
    assert item in keys(wang, after) and item not in keys(li, after)
    assert all(item not in keys(zhao, d) for d in (before, first, last, after))

    [shown] = queue_for_user(user=li, day=first).items
    assert (shown.holder, shown.handed_to) == ("王伟", "李娜")
    [away] = queue_for_user(user=wang, day=first).handed_over
    assert away.to_user == li


def test_a_handover_to_someone_without_the_right_leaves_the_item_to_everyone(workflows):
    wang, li = StaffFactory(), StaffFactory()
    held = request(handler=wang)
    QueueHandover.objects.create(
        from_user=wang, to_user=FinanceFactory(), starts_on=DAY, ends_on=DAY
    )

    assert ("test_requests", held.pk) in keys(li)
    assert ("test_requests", held.pk) in keys(wang)


# ----------------------------------------------------------- since, age and deadlines


def test_since_is_the_latest_entry_into_the_current_state(workflows):
    """`move` keeps on the row when it entered its state; the queue reads it from there."""

    def step(obj, target, day):
        with time_machine.travel(at(day), tick=False):
            move(CLAIMS, obj, target, acting_user=None)

    with time_machine.travel(at(dt.date(2026, 3, 2)), tick=False):
        again = SubsidyClaimFactory(status=S.SUBMITTED)
    step(again, S.RETURNED, dt.date(2026, 3, 5))
    step(again, S.SUBMITTED, dt.date(2026, 3, 10))
    step(again, S.SUBMITTED, dt.date(2026, 3, 12))  # a reply leaves the state as it was
    with time_machine.travel(at(dt.date(2026, 3, 4)), tick=False):
        unrecorded = SubsidyClaimFactory()  # a ledger row: no step recorded

    since = {i.obj.pk: i.since for i in queue_for_user(user=StaffFactory(), day=DAY).items}
    assert since == {again.pk: at(dt.date(2026, 3, 10)), unrecorded.pk: at(dt.date(2026, 3, 4))}
    assert again.status_changes.count() == 3


def test_age_deadline_and_overdue_count_working_days(workflows):
    staff = StaffFactory()
    monday = claim(since=dt.date(2026, 3, 2))  # 5 working days: due Monday 2026-03-09
    friday = claim(since=dt.date(2026, 3, 6))  # due Friday 2026-03-13 (the weekend skipped)

    def item(obj, day):
        return next(i for i in queue_for_user(user=staff, day=day).items if i.obj == obj)

    on_the_day = item(monday, dt.date(2026, 3, 9))
    assert (on_the_day.deadline, on_the_day.age, on_the_day.overdue) == (
        dt.date(2026, 3, 9),
        5,
        False,
    )
    day_after = item(monday, dt.date(2026, 3, 10))
    assert (day_after.age, day_after.overdue) == (6, True)
    assert item(friday, dt.date(2026, 3, 13)).deadline == dt.date(2026, 3, 13)
    assert item(friday, dt.date(2026, 3, 16)).overdue
    assert item(friday, dt.date(2026, 3, 14)).age == 5  # Saturday counts no day


def test_age_and_deadline_follow_the_official_calendar(workflows):
    """National Day 2026: 1 to 7 October off, Saturday 10 October worked."""
    calendar.calendar_cache_clear()
    staff = StaffFactory()
    request(since=dt.date(2026, 9, 28))  # 15 working days while open

    def item(day):
        [found] = queue_for_user(user=staff, day=day).items
        return found

    # 29 and 30 September, 8, 9, 10 (a Saturday worked) and 12 October
    assert (item(dt.date(2026, 10, 12)).age, item(dt.date(2026, 10, 12)).deadline) == (
        6,
        dt.date(2026, 10, 23),
    )
    assert not item(dt.date(2026, 10, 23)).overdue
    late = item(dt.date(2026, 10, 26))
    assert (late.overdue, late.age) == (True, 16)


def test_a_state_without_a_time_limit_has_no_deadline(workflows):
    firm = EnterpriseFactory()
    claim(S.RETURNED, enterprise=firm, since=dt.date(2025, 1, 2))
    [item] = queue_for_user(user=EnterpriseUserFactory(enterprise=firm), day=DAY).items
    assert (item.deadline, item.overdue) == (None, False)


def test_the_workflows_own_deadline_comes_first():
    own = dataclasses.replace(CLAIMS, deadline=lambda c: c.notice_ends_on)
    with registered(own):
        claim(
            since=dt.date(2026, 3, 2),
            notice_starts_on=dt.date(2026, 3, 2),
            notice_ends_on=dt.date(2026, 3, 25),
        )
        [item] = queue_for_user(user=StaffFactory(), day=DAY).items
    assert (item.deadline, item.overdue) == (dt.date(2026, 3, 25), False)


def test_overdue_items_for_the_digest(workflows):
    staff = StaffFactory()
    late = claim(since=dt.date(2026, 3, 2))
    claim(since=dt.date(2026, 3, 19), year=2024)
    assert [i.obj for i in overdue_queue_items(user=staff, day=DAY)] == [late]


# ----------------------------------------------------------------- order and the limit


def test_oldest_first_across_processes(workflows):
    staff = StaffFactory()
    second = request(since=dt.date(2026, 3, 3))
    first = claim(since=dt.date(2026, 3, 2))
    third = claim(since=dt.date(2026, 3, 4), year=2024)
    assert [i.obj for i in queue_for_user(user=staff, day=DAY).items] == [first, second, third]


def test_the_limit_lists_the_oldest_and_counts_every_item(workflows):
    staff = StaffFactory()
    claims = [claim(since=dt.date(2026, 3, d)) for d in (6, 2, 5, 3, 4)]
    request(since=dt.date(2026, 3, 9))
    work = queue_for_user(user=staff, day=DAY, limit=3)
    assert [i.obj for i in work.items] == [claims[1], claims[3], claims[4]]
    assert {t.name: t.count for t in work.totals} == {"test_claims": 5, "test_requests": 1}
    assert (work.total, work.truncated) == (6, True)


# ---------------------------------------------------------------------------- its cost


def _world(rows: int, wang, li):
    """`rows` records in every state that waits for someone, some held, one handed over."""
    firm = EnterpriseFactory()
    for n in range(rows):
        claim(year=2000 + n)
        claim(S.RETURNED, enterprise=firm, year=2000 + n, programme=Programme.RENT)
        RDAuditFactory()
        request(handler=wang if n % 2 else None)
    QueueHandover.objects.get_or_create(from_user=wang, to_user=li, starts_on=DAY, ends_on=DAY)
    return firm


def test_only_the_listed_records_rows_are_read(workflows):
    """Each process gives its oldest keys; the rows are read only for the oldest `limit`
    across the processes (a process none of whose records is listed costs no row read)."""
    old = [claim(since=dt.date(2026, 3, d)) for d in (2, 3)]
    request(since=dt.date(2026, 3, 9))
    with CaptureQueriesContext(connection) as queries:
        work = queue_for_user(user=StaffFactory(), day=DAY, limit=2)
    assert [item.obj for item in work.items] == old
    assert {t.name: t.count for t in work.totals} == {"test_claims": 2, "test_requests": 1}
    rows_read = [q["sql"] for q in queries.captured_queries if '"description"' in q["sql"]]
    assert not any('FROM "enterprises_servicerequest"' in sql for sql in rows_read)


@pytest.mark.parametrize("who", ["staff", "enterprise"])
def test_the_queue_costs_the_same_queries_for_3_rows_as_for_30(workflows, who):
    wang, li = StaffFactory(), StaffFactory()
    counts = {}
    for rows in (3, 30):
        firm = _world(rows, wang, li)
        user = li if who == "staff" else EnterpriseUserFactory(enterprise=firm)
        user = User.objects.get(pk=user.pk)  # permissions not yet cached
        with CaptureQueriesContext(connection) as queue_queries:
            work = queue_for_user(user=user, day=DAY)
        with CaptureQueriesContext(connection) as count_queries:
            assert queue_count_for_user(user=user, day=DAY) == work.total
        counts[rows] = (len(queue_queries), len(count_queries))
        assert work.total >= rows
    assert counts[3] == counts[30]
    if who == "staff":
        # 2 the user's permissions, 1 who holds the permissions a holder stands for (and
        # the day's handovers), 1 the keys of every process in order, 1 per process listed
        # (its rows), 1 the names of those a held record is handed to; the count is that
        # holders query and one UNION over the processes.
        assert counts[30] == (2 + 1 + 1 + 2 + 1, 2)
    else:
        # the keys and the rows of the one process the enterprise acts in (its permissions
        # are never asked for)
        assert counts[30] == (2, 1)


def test_a_records_relations_are_joined_without_being_named():
    """A workflow that names no `related` still costs nothing per row for the record's own
    relations (a request's firm, its department when forwarded) and its holder."""
    unnamed = dataclasses.replace(
        REQUESTS,
        related=(),
        title=lambda r: f"{r.enterprise.name} {r.department.name if r.department else ''}",
    )
    staff = StaffFactory()
    department = DepartmentFactory()
    counts = []
    with registered(unnamed):
        for rows in (3, 30):
            for n in range(rows):
                request(handler=staff if n % 2 else None, department=department if n % 3 else None)
            reader = User.objects.get(pk=staff.pk)  # permissions not yet cached
            with CaptureQueriesContext(connection) as queries:
                work = queue_for_user(user=reader, day=DAY)
            assert all(item.title.startswith("重庆测试") for item in work.items)
            counts.append(len(queries))
    assert counts[0] == counts[1]


def test_the_service_desks_requests_wait_for_their_handler_at_no_cost_per_row():
    """The service desk's own workflow, as its app registers it."""
    from common.workflow import REGISTRY

    desk = REGISTRY["service_request"]
    wang, li = StaffFactory(), StaffFactory()
    department = DepartmentFactory()
    counts = []
    with registered(desk):
        for rows in (3, 30):
            for n in range(rows):
                forwarded = bool(n % 3)
                made = ServiceRequestFactory(
                    handler=wang if n % 2 else None,
                    status=ServiceRequest.Status.FORWARDED
                    if forwarded
                    else ServiceRequest.Status.OPEN,
                    handling=ServiceRequest.Handling.FORWARDED if forwarded else "",
                    department=department if forwarded else None,
                    registered_on=dt.date(2026, 3, 2),
                    due_on=dt.date(2026, 3, 23),
                )
            reader = User.objects.get(pk=li.pk)
            calendar.calendar_cache_clear()  # each read loads the calendar (once a minute in life)
            with CaptureQueriesContext(connection) as queries:
                work = queue_for_user(user=reader, day=DAY)
            counts.append(len(queries))
            assert all(item.holder != str(wang) for item in work.items)  # wang's wait for wang
        [mine] = [i for i in queue_for_user(user=wang, day=DAY).items if i.obj == made]
    assert counts[0] == counts[1]
    assert mine.link == reverse("service_desk:request_detail", args=[made.pk])
    assert (mine.deadline, mine.overdue) == (dt.date(2026, 3, 23), False)


def test_a_claim_the_bureau_admin_took_up_still_waits_for_the_signers_and_finance():
    """The subsidy claim's own workflow: its handler stands for staff and the first
    signature, so a claim taken up by someone holding every permission still waits for the
    section head, the deputy director and finance."""
    from common.workflow import REGISTRY

    admin = StaffFactory(roles=(Role.BUREAU_ADMIN,))
    head = StaffFactory(roles=(Role.SECTION_HEAD,))
    deputy = StaffFactory(roles=(Role.DEPUTY_DIRECTOR,))
    finance = FinanceFactory()
    waiting = {
        head: claim(S.HANDLER_SIGNED, handler=admin),
        deputy: claim(S.SECTION_HEAD_SIGNED, handler=admin, year=2024),
        finance: claim(S.APPROVED, handler=admin, year=2023),
    }
    held = claim(S.UNDER_REVIEW, handler=admin, year=2022)
    with registered(REGISTRY["subsidy_claim"]):
        for user, obj in waiting.items():
            assert keys(user) == {("subsidy_claim", obj.pk)}, user
        assert ("subsidy_claim", held.pk) in keys(admin)
        assert ("subsidy_claim", held.pk) not in keys(StaffFactory())
