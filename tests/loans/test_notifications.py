"""Every step of both loan processes tells each next actor (and each actor the new state
informs), except the person who made it, with a notification written with the step; the link
in it answers 200 for that recipient (tests.workflow_roles.assert_told). Generated from the
tables, so a step or an actor added is tested."""

import pytest
from django.urls import reverse

from loans.models import CompensationClaim, LoanStatus
from loans.workflows import CLAIM, LOAN
from tests.loans.world import World, claim_step, loan_step
from tests.workflow_roles import assert_told, last_notification_pk

pytestmark = pytest.mark.django_db
S = LoanStatus
C = CompensationClaim.Status
# Who makes a step in these tests: the role of its actor (never the bureau admin, who holds
# every permission, so that the admin is among the people told where bureau staff are).
MAKERS = ("firm", "staff", "bank_officer", "finance")
# Steps that move a record of the other process too (filing and paying a claim).


def _step_and_check(client, workflow, source, target):
    """Make the step as its actor; return the world, the record, the step's result and the
    ids of the people told."""
    world = World()
    make, step = (world.loan, loan_step) if workflow is LOAN else (world.claim, claim_step)
    obj = make(source)
    maker = next(
        world.roles[role] for role in MAKERS if workflow.may(world.roles[role], obj, target)
    )
    after = last_notification_pk()
    result = step(obj, target, maker)
    written = assert_told(
        client,
        workflow,
        obj,
        world.roles,
        after=after,
    )
    return world, obj, result, {row.recipient_id for row in written}


def _ids(world, *roles):
    return {world.roles[role].pk for role in roles}


@pytest.mark.parametrize(("source", "target"), list(LOAN.steps))
def test_each_loan_step_tells_each_next_actor_with_a_link_that_opens(client, fund, source, target):
    world, _loan, _result, told = _step_and_check(client, LOAN, source, target)
    # The firm hears of every step of its loan, as it did by the old status email (the
    # colleague of whoever made the step, at least); nobody outside the loan does.
    assert world.roles["firm_colleague"].pk in told
    assert not told & _ids(world, "other_firm", "other_bank_officer", "inactive_user")


@pytest.mark.parametrize(("source", "target"), list(CLAIM.steps))
def test_each_claim_step_tells_each_next_actor_with_a_link_that_opens(client, fund, source, target):
    _step_and_check(client, CLAIM, source, target)


# Who is told, by name: the people the old email reached, and now the bureau too.


def test_staff_are_told_when_a_loan_is_submitted(client, fund):
    world, _loan, _result, told = _step_and_check(client, LOAN, S.DRAFT, S.SUBMITTED)
    assert _ids(world, "staff", "bureau_admin") <= told
    assert not told & _ids(world, "finance", "section_head", "deputy_director")


def test_finance_are_told_when_compensation_is_claimed(client, fund):
    world, _loan, _result, told = _step_and_check(client, LOAN, S.DEFAULTED, S.COMPENSATION_CLAIMED)
    assert _ids(world, "finance", "bureau_admin") <= told


def test_the_staff_who_decide_are_told_when_a_claim_is_filed(client, fund):
    world = World()
    loan = world.loan(S.DEFAULTED)
    after = last_notification_pk()
    claim = loan_step(loan, S.COMPENSATION_CLAIMED, world.roles["bank_officer"])
    assert list(claim.status_changes.values_list("from_status", "to_status")) == [("", C.FILED)]
    written = assert_told(client, CLAIM, claim, world.roles, after=after)
    assert _ids(world, "staff", "bureau_admin") == {row.recipient_id for row in written}


@pytest.mark.parametrize(
    ("source", "target"), [(S.SUBMITTED, S.FORWARDED), (S.FORWARDED, S.WITHDRAWN)]
)
def test_the_bank_is_told_of_a_loan_forwarded_or_withdrawn_at_its_desk(
    client, fund, source, target
):
    from common.models import Notification

    world, loan, _result, told = _step_and_check(client, LOAN, source, target)
    officer = world.roles["bank_officer"]
    assert officer.pk in told
    row = Notification.objects.get(recipient=officer)
    assert row.url.endswith(reverse("loans:bank_loan_detail", args=[loan.pk]))


def test_the_bank_is_told_when_its_claim_is_paid(client, fund):
    world, _claim, _result, told = _step_and_check(client, CLAIM, C.APPROVED, C.PAID)
    assert told == _ids(world, "bank_officer")
