"""Every step of both loan processes tells each next actor (and each actor the new state
informs) with a notification in the outbox, written with the step; the link in it opens for
that recipient. Generated from the tables, so a step or an actor added is tested."""

import pytest
from django.conf import settings
from django.urls import reverse

from common.models import Notification
from loans.models import CompensationClaim, LoanStatus
from loans.workflows import BANK, CLAIM, DECIDER, ENTERPRISE, FINANCE, LOAN, STAFF
from tests.loans.world import World, claim_step, loan_step

pytestmark = pytest.mark.django_db
S = LoanStatus
C = CompensationClaim.Status
# Who makes a step in these tests: the role of its actor (never the bureau admin, who holds
# every permission, so that the admin is among the people told where bureau staff are).
MAKERS = ("enterprise_user", "staff", "bank_officer", "finance")


def _path(url: str) -> str:
    base = settings.PORTAL_BASE_URL.rstrip("/")
    assert url.startswith(base + "/"), url
    return url[len(base) :]


def _check_told(client, workflow, obj, target, written):
    """Each person of each next and told actor has one notification of this step, whose
    link answers 200 when that person opens it; returns who was told. (A step of one process
    may make a step of the other: filing a claim, paying it; each is checked on its own.)"""
    written = [n for n in written if n.kind == workflow.name]
    told = {}
    for waiting, actors in (
        (True, workflow.next.get(target, ())),
        (False, workflow.tell.get(target, ())),
    ):
        for actor in actors:
            people = list(actor.recipients(obj))
            if waiting:
                assert people, f"{workflow.name} {target}: nobody is {actor.key}"
            for person in people:
                [row] = [n for n in written if n.recipient_id == person.pk]
                assert row.email == person.email
                client.force_login(person)
                response = client.get(_path(row.url))
                assert response.status_code == 200, (target, actor.key, row.url)
                told[person.pk] = actor.key
    assert {n.recipient_id for n in written} == set(told), "someone not named was told"
    return told


def _step_and_check(client, workflow, make, step, source, target):
    world = World()
    obj = make(world, source)
    maker = next(
        world.roles[role] for role in MAKERS if workflow.may(world.roles[role], obj, target)
    )
    last = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    step(obj, target, maker)
    obj.refresh_from_db()
    written = list(Notification.objects.filter(pk__gt=last))
    return world, obj, _check_told(client, workflow, obj, target, written)


@pytest.mark.parametrize(("source", "target"), list(LOAN.steps))
def test_each_loan_step_tells_each_next_actor_with_a_link_that_opens(client, fund, source, target):
    world, _obj, told = _step_and_check(
        client, LOAN, lambda world, state: world.loan(state), loan_step, source, target
    )
    # The firm hears of every step of its loan, as it did by the old status email; its
    # switched-off account does not.
    assert told[world.roles["enterprise_user"].pk] == ENTERPRISE.key
    assert world.roles["inactive_user"].pk not in told
    assert world.roles["other_enterprise_user"].pk not in told
    assert world.roles["other_bank_officer"].pk not in told


@pytest.mark.parametrize(("source", "target"), list(CLAIM.steps))
def test_each_claim_step_tells_each_next_actor_with_a_link_that_opens(client, fund, source, target):
    _step_and_check(
        client, CLAIM, lambda world, state: world.claim(state), claim_step, source, target
    )


# Who is told, by name: the people the old email reached, and the bureau now too.


def test_staff_are_told_when_a_loan_is_submitted(client, fund):
    world, _obj, told = _step_and_check(
        client, LOAN, lambda world, state: world.loan(state), loan_step, S.DRAFT, S.SUBMITTED
    )
    for role in ("staff", "bureau_admin"):
        assert told[world.roles[role].pk] == STAFF.key
    assert world.roles["finance"].pk not in told


def test_finance_are_told_when_compensation_is_claimed(client, fund):
    world, _obj, told = _step_and_check(
        client,
        LOAN,
        lambda world, state: world.loan(state),
        loan_step,
        S.DEFAULTED,
        S.COMPENSATION_CLAIMED,
    )
    for role in ("finance", "bureau_admin"):
        assert told[world.roles[role].pk] == FINANCE.key


@pytest.mark.parametrize(
    ("source", "target"), [(S.SUBMITTED, S.FORWARDED), (S.FORWARDED, S.WITHDRAWN)]
)
def test_the_bank_is_told_of_a_loan_forwarded_or_withdrawn_at_its_desk(
    client, fund, source, target
):
    world, loan, told = _step_and_check(
        client, LOAN, lambda world, state: world.loan(state), loan_step, source, target
    )
    officer = world.roles["bank_officer"]
    assert told[officer.pk] == BANK.key
    row = Notification.objects.get(recipient=officer)
    assert _path(row.url) == reverse("loans:bank_loan_detail", args=[loan.pk])


def test_the_bank_is_told_when_its_claim_is_paid(client, fund):
    world, _obj, told = _step_and_check(
        client, CLAIM, lambda world, state: world.claim(state), claim_step, C.APPROVED, C.PAID
    )
    assert told[world.roles["bank_officer"].pk] == BANK.key


def test_the_staff_who_decide_are_told_when_a_claim_is_filed(client, fund):
    world = World()
    loan = world.loan(S.DEFAULTED)
    last = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    claim = loan_step(loan, S.COMPENSATION_CLAIMED, world.roles["bank_officer"])
    assert list(claim.status_changes.values_list("from_status", "to_status")) == [("", C.FILED)]
    written = list(Notification.objects.filter(pk__gt=last))
    told = _check_told(client, CLAIM, claim, C.FILED, written)
    for role in ("staff", "bureau_admin"):
        assert told[world.roles[role].pk] == DECIDER.key
